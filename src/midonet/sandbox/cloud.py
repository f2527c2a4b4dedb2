"""Building the sandbox: underlay, hosts, processes, topology, VMs.

underlay bridge mnsb-br (10.250.0.0/24; the root namespace is 10.250.0.254)
  host h1..hN   namespace mnsb-hI, 10.250.0.I, running `midolman` (control endpoint
                on 10.250.0.I:7200), all members of the VXLAN tunnel zone "sandbox"
tenant bridge 10.0.0.0/24 ── tenant router (10.0.0.1; SNAT to 203.0.113.1,
    floating IP 203.0.113.10 ↔ vm1, load balancer VIP 203.0.113.100:80)
    ── 172.16.0.0/30 ── edge router ── uplink 198.51.100.1/24 bound on h1 to the
    "external" namespace mnsb-ext (198.51.100.2; routes 203.0.113.0/24 to the
    edge: chapter 1's fake uplink)
VMs vm1, vm2 and backends b1..b3 (10.0.0.11-12, .21-23) spread over the hosts;
each backend serves TCP 8080 answering with its name.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from midonet.errors import MidonetError
from midonet.sandbox.api import JSON, Api
from midonet.sandbox.record import Record

PREFIX = "mnsb"
UNDERLAY = f"{PREFIX}-br"
UNDERLAY_GATEWAY = "10.250.0.254"
"""The root namespace's address on the underlay: the cluster reaches the agents'
control endpoints through it."""
EXTERNAL = f"{PREFIX}-ext"
TENANT_NET = "10.0.0"
SNAT_ADDRESS = "203.0.113.1"
FLOATING_IP, FLOATING_VM = "203.0.113.10", "10.0.0.11"
VIP = "203.0.113.100"
EXTERNAL_IP, EDGE_UPLINK = "198.51.100.2", "198.51.100.1"
BACKEND_PORT = 8080

NAMED_SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(64)
while True:
    c, peer = s.accept()
    try:
        c.sendall(f"{sys.argv[1]} {peer[0]}\\n".encode())
    finally:
        c.close()
"""


class SandboxError(MidonetError):
    """A step of bringing the sandbox up failed (the message says which and why)."""


@dataclass
class Vm:
    name: str
    ip: str
    host: int
    netns: str
    outer: str


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise SandboxError(f"`{' '.join(args)}` failed: {done.stderr.strip() or done.stdout}")
    return done


def in_ns(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run("ip", "netns", "exec", netns, *args, check=check)


class Builder:
    def __init__(self, record: Record, hosts: int, api_port: int, log: Any) -> None:
        self.record = record
        self.hosts = hosts
        self.api_port = api_port
        self.say = log
        self.api = Api(f"http://127.0.0.1:{api_port}/midonet-api")
        self.host_ids: dict[int, str] = {}
        self.vms: list[Vm] = []
        self.vm_ports: dict[str, str] = {}
        """VM name → the id of the tenant bridge port it is plugged into."""

    @property
    def state_dir(self) -> Path:
        return self.record.state_dir

    # --- namespaces and links --------------------------------------------------------------

    def namespace(self, name: str) -> None:
        run("ip", "netns", "add", name)
        self.record.add_namespace(name)
        in_ns(name, "ip", "link", "set", "lo", "up")
        in_ns(name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", check=False)

    def underlay(self) -> None:
        run("ip", "link", "add", UNDERLAY, "type", "bridge")
        self.record.add_link(UNDERLAY)
        run("ip", "link", "set", UNDERLAY, "up")
        run("ip", "addr", "add", f"{UNDERLAY_GATEWAY}/24", "dev", UNDERLAY)
        for index in range(1, self.hosts + 1):
            netns, outer, inner = self.host_ns(index), f"{PREFIX}-u{index}", f"{PREFIX}-v{index}"
            self.namespace(netns)
            run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", netns)
            self.record.add_link(outer)
            run("ip", "link", "set", outer, "master", UNDERLAY, "up")
            in_ns(netns, "ip", "link", "set", inner, "up")
            in_ns(netns, "ip", "addr", "add", f"{self.underlay_ip(index)}/24", "dev", inner)
        self.say(f"underlay {UNDERLAY} with {self.hosts} host namespaces")

    @staticmethod
    def host_ns(index: int) -> str:
        return f"{PREFIX}-h{index}"

    @staticmethod
    def underlay_ip(index: int) -> str:
        """Host I's underlay address (the root namespace is UNDERLAY_GATEWAY)."""
        return f"10.250.0.{index}"

    def guest(self, name: str, host: int, cidr: str, gateway: str | None) -> Vm:
        """A namespace whose interface's peer is in host `host`'s namespace."""
        netns = f"{PREFIX}-{name}"
        outer, inner = f"{PREFIX}-{name}o", f"{PREFIX}-{name}i"
        self.namespace(netns)
        host_ns = self.host_ns(host)
        in_ns(host_ns, "ip", "link", "add", outer, "type", "veth", "peer", "name", inner,
              "netns", netns)  # fmt: skip
        in_ns(host_ns, "sysctl", "-q", "-w", f"net.ipv6.conf.{outer}.disable_ipv6=1", check=False)
        in_ns(host_ns, "ip", "link", "set", outer, "up")
        in_ns(netns, "ip", "link", "set", inner, "up")
        in_ns(netns, "ip", "addr", "add", cidr, "dev", inner)
        if gateway is not None:
            in_ns(netns, "ip", "route", "add", "default", "via", gateway)
        return Vm(name, cidr.split("/", maxsplit=1)[0], host, netns, outer)

    # --- processes -------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], marker: str) -> None:
        log = (self.state_dir / f"{name}.log").open("ab")
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self.record.add_process(name, proc, marker)

    def start_cluster(self) -> None:
        nsdb = self.state_dir / "nsdb.db"
        self.spawn(
            "cluster",
            [sys.executable, "-m", "midonet.cluster.main", "--port", str(self.api_port),
             "--host", "127.0.0.1", "--nsdb", f"file:{nsdb}",
             "--state-dir", str(self.state_dir / "cluster")],
            "midonet.cluster.main",
        )  # fmt: skip
        self.api.wait(30)
        self.say(f"cluster API at {self.api.base} (NSDB {nsdb})")

    def start_agents(self) -> None:
        nsdb = self.state_dir / "nsdb.db"
        for index in range(1, self.hosts + 1):
            state = self.state_dir / f"h{index}"
            state.mkdir(exist_ok=True)
            # The control endpoint on the underlay, where the cluster (root namespace,
            # UNDERLAY_GATEWAY) forwards traces to it; mm-meter -h 10.250.0.I works too.
            config = state / "midolman.conf"
            config.write_text(f'agent.control.address: "{self.underlay_ip(index)}"\n')
            self.spawn(
                f"agent-h{index}",
                ["ip", "netns", "exec", self.host_ns(index), sys.executable, "-m",
                 "midonet.agent.main", "--nsdb", f"file:{nsdb}", "--state-dir", str(state),
                 "--config", str(config), "--hostname", f"sandbox-h{index}"],
                "midonet.agent.main",
            )  # fmt: skip
        deadline = time.monotonic() + 40
        while len(self.host_ids) < self.hosts:
            for host in self.api.get("/hosts") or []:
                name = str(host.get("name", ""))
                if name.startswith("sandbox-h") and host.get("alive"):
                    self.host_ids[int(name.removeprefix("sandbox-h"))] = host["id"]
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"only {len(self.host_ids)} of {self.hosts} agents came up; see "
                    f"{self.state_dir}/agent-h*.log"
                )
            time.sleep(0.3)
        self.say(f"{self.hosts} agents alive: " + ", ".join(f"sandbox-h{i}" for i in self.host_ids))

    def serve(self, vm: Vm, name: str) -> None:
        self.spawn(
            f"server-{vm.name}",
            ["ip", "netns", "exec", vm.netns, sys.executable, "-c", NAMED_SERVER, name,
             str(BACKEND_PORT)],
            NAMED_SERVER.strip().splitlines()[0],
        )  # fmt: skip

    # --- topology through the API ----------------------------------------------------------

    def topology(self) -> None:
        api = self.api
        zone = api.create("/tunnel_zones", {"name": "sandbox", "type": "vxlan"})
        for index, host_id in sorted(self.host_ids.items()):
            api.request(
                "POST", zone["hosts"], {"hostId": host_id, "ipAddress": self.underlay_ip(index)}
            )

        tenant = api.create("/routers", {"name": "tenant-router", "tenantId": "sandbox"})
        edge = api.create("/routers", {"name": "edge-router", "tenantId": "admin"})
        bridge = api.create("/bridges", {"name": "tenant-net", "tenantId": "sandbox"})

        gateway = self._router_port(tenant, f"{TENANT_NET}.1", 24)
        bridge_up = api.create(bridge["ports"], {"type": "Bridge"})
        api.request("POST", gateway["link"], {"peerId": bridge_up["id"]})
        tenant_up = self._router_port(tenant, "172.16.0.2", 30)
        edge_down = self._router_port(edge, "172.16.0.1", 30)
        api.request("POST", tenant_up["link"], {"peerId": edge_down["id"]})
        uplink = self._router_port(edge, EDGE_UPLINK, 24)
        self._route(tenant, "0.0.0.0", 0, tenant_up, "172.16.0.1")
        self._route(edge, "203.0.113.0", 24, edge_down, "172.16.0.2")

        self._nat(tenant, tenant_up)
        self._load_balancer(tenant)

        external = self.guest("ext", 1, f"{EXTERNAL_IP}/24", None)
        in_ns(external.netns, "ip", "route", "add", "203.0.113.0/24", "via", EDGE_UPLINK)
        self._bind(1, uplink, external.outer)
        self.record.info["external"] = external.netns

        placements = [("vm1", FLOATING_VM), ("vm2", f"{TENANT_NET}.12")]
        placements += [(f"b{i}", f"{TENANT_NET}.{20 + i}") for i in (1, 2, 3)]
        for n, (name, ip) in enumerate(placements):
            host = n % self.hosts + 1
            vm = self.guest(name, host, f"{ip}/24", f"{TENANT_NET}.1")
            port = api.create(bridge["ports"], {"type": "Bridge"})
            self._bind(host, port, vm.outer)
            self.vms.append(vm)
            self.vm_ports[name] = str(port["id"])
        for vm in self.vms:
            if vm.name.startswith("b"):
                self.serve(vm, f"backend-{vm.name}")
        self.record.info["vms"] = {vm.name: [vm.netns, vm.ip, vm.host] for vm in self.vms}
        self.record.save()
        self.say(
            "topology: tenant-net 10.0.0.0/24, tenant-router (SNAT 203.0.113.1, floating IP "
            f"{FLOATING_IP} -> vm1, VIP {VIP}:80 over b1-b3), edge-router, uplink to {EXTERNAL}"
        )

    def _router_port(self, router: JSON, address: str, length: int) -> JSON:
        network = ipaddress.ip_network(f"{address}/{length}", strict=False)
        return self.api.create(
            router["ports"],
            {
                "type": "Router",
                "portAddress": address,
                "networkAddress": str(network.network_address),
                "networkLength": length,
            },
        )

    def _route(self, router: JSON, dst: str, length: int, port: JSON, gateway: str) -> None:
        self.api.create(
            router["routes"],
            {
                "type": "Normal",
                "srcNetworkAddr": "0.0.0.0",
                "srcNetworkLength": 0,
                "dstNetworkAddr": dst,
                "dstNetworkLength": length,
                "nextHopPort": port["id"],
                "nextHopGateway": gateway,
                "weight": 100,
            },
        )

    def _bind(self, host: int, port: JSON, interface: str) -> None:
        self.api.request(
            "POST",
            f"/hosts/{self.host_ids[host]}/ports",
            {"portId": port["id"], "interfaceName": interface},
        )

    def _nat(self, tenant: JSON, tenant_up: JSON) -> None:
        api = self.api
        pre = api.create("/chains", {"name": "tenant-pre-routing", "tenantId": "sandbox"})
        post = api.create("/chains", {"name": "tenant-post-routing", "tenantId": "sandbox"})
        api.create(pre["rules"], {
            "type": "dnat", "flowAction": "accept", "nwDstAddress": FLOATING_IP,
            "nwDstLength": 32, "natTargets": [_target(FLOATING_VM)],
        })  # fmt: skip
        api.create(pre["rules"], {
            "type": "rev_snat", "flowAction": "accept", "nwDstAddress": SNAT_ADDRESS,
            "nwDstLength": 32,
        })  # fmt: skip
        api.create(post["rules"], {
            "type": "snat", "flowAction": "accept", "nwSrcAddress": FLOATING_VM,
            "nwSrcLength": 32, "outPorts": [tenant_up["id"]],
            "natTargets": [_target(FLOATING_IP)],
        })  # fmt: skip
        api.create(post["rules"], {
            "type": "snat", "flowAction": "accept", "outPorts": [tenant_up["id"]],
            "natTargets": [_target(SNAT_ADDRESS, 1024, 65535)],
        })  # fmt: skip
        current = api.get(tenant["uri"])
        api.update(current, inboundFilterId=pre["id"], outboundFilterId=post["id"])

    def _load_balancer(self, tenant: JSON) -> None:
        api = self.api
        lb = api.create("/load_balancers", {"adminStateUp": True})
        pool = api.create(lb["pools"], {"lbMethod": "ROUND_ROBIN"})
        for i in (1, 2, 3):
            api.create(
                pool["poolMembers"],
                {"address": f"{TENANT_NET}.{20 + i}", "protocolPort": BACKEND_PORT},
            )
        api.create(pool["vips"], {"address": VIP, "protocolPort": 80})
        api.update(api.get(tenant["uri"]), loadBalancerId=lb["id"])


def _target(address: str, port_from: int = 0, port_to: int = 0) -> JSON:
    return {"addressFrom": address, "addressTo": address, "portFrom": port_from, "portTo": port_to}


def missing_tools() -> list[str]:
    return [tool for tool in ("ip", "ping") if shutil.which(tool) is None]
