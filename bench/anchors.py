"""Our agent on the anchors' canonical topology, measured the way the anchors are.

    sudo .venv/bin/python bench/anchors.py [--runs 3] [--duration 5] [--soak 60] [--ovn]

The topology of ../shared/anchors/: vm1 (10.0.0.11) and vm2 (10.0.0.12) on a tenant
bridge → tenant router (10.0.0.1) that SNATs 10.0.0.0/24 to 172.16.0.2, with 22
stateful rules as security groups on the VM ports (tracking and anti-spoofing from
the VMs; replies, ICMP and 16 service ports to them) → transit 172.16.0.0/24 → edge
router → uplink 192.0.2.1 → ext (192.0.2.100). One `midolman` process (embedded NSDB
file) binds the namespaces' veth peers. The same tools as the anchors: ping,
`iperf3 -u -l 64 -b 0`, `iperf3`
TCP, sequential connect+close through the SNAT, and rule-add-to-applied (a drop rule
written to the NSDB until the agent applies it — its trace of vm1's ping says DROP,
as `ovn-nbctl --wait=hv` waits for the hypervisors — then a real ping is checked to
be dropped; MidoNet's counterpart of an ACL add).

In the same run: `kernel-router.sh` (always) and `ovn-router.sh` (with `--ovn`; it
installs OVN and takes minutes). Without `--ovn` the OVN column is the issue's
reference figures for this machine. Prints medians of `--runs` runs, then ratios.
With `--soak S`: S seconds of UDP and then of new connections, the agent's RSS
before and after, and whether it survived.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

from midonet.agent.control import CONTROL_TABLE
from midonet.agent.host_id import read_host_id
from midonet.model import (
    Bridge,
    Chain,
    Condition,
    FlowAction,
    NatTarget,
    Port,
    PortRange,
    PortType,
    Route,
    Router,
    Rule,
    RuleType,
)
from midonet.store import EmbeddedStore
from midonet.store.state import HostAlive, PortActive
from midonet.tools.control_client import ControlClient

HERE = Path(__file__).resolve().parent
ANCHORS = HERE.parent.parent / "shared" / "anchors"
PREFIX = f"mna{os.getpid() % 10000}"
OVN_REFERENCE = {  # the figures for OVN on this machine (medians of its ranges)
    "first_ping_ms": 2.52,
    "ping_median_ms": 0.36,
    "udp64_rx_pps": 132509.0,
    "tcp_gbps": 11.5,
    "tcp_conn_per_s": 6400.0,
}
KEYS = (
    "first_ping_ms",
    "ping_median_ms",
    "udp64_rx_pps",
    "tcp_gbps",
    "tcp_conn_per_s",
    "rule_applied_ms",
)
SERVICE_PORTS = (
    22,
    53,
    80,
    443,
    993,
    995,
    1194,
    3306,
    5432,
    5672,
    6379,
    8080,
    8443,
    9090,
    9200,
    11211,
)

CONN_SERVER = """
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2]))); srv.listen(4096)
print("ready", flush=True)
while True:
    c, _ = srv.accept(); c.close()
"""
PEER_SERVER = """
import socket
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("192.0.2.100", 5400)); srv.listen(16)
print("ready", flush=True)
c, peer = srv.accept(); print(peer[0], flush=True); c.close()
"""
CONN_CLIENT = """
import socket, sys, time
host, port, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ok = 0; first_failure = None; start = time.monotonic()
while (attempt := time.monotonic()) < start + duration:
    s = socket.socket(); s.settimeout(2.0)
    try:
        s.connect((host, port)); ok += 1
    except OSError:
        if first_failure is None:
            first_failure = attempt - start
    finally:
        s.close()
span = first_failure if first_failure is not None else time.monotonic() - start
print(f"{ok / span:.0f}")
"""


def sh(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def ensure_tools() -> None:
    if shutil.which("iperf3") is None:
        print("installing iperf3", file=sys.stderr)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "iperf3", timeout=600)


def key_values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def anchor(script: str, duration: float) -> dict[str, float]:
    env = {**os.environ, "DURATION": str(int(duration))}
    done = subprocess.run(
        ["bash", str(ANCHORS / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    values = key_values(done.stdout)
    out: dict[str, float] = {}
    for key in KEYS:
        with contextlib.suppress(KeyError, ValueError):
            out[key] = float(values[key])
    if "nft_rule_add_ms_median" in values:
        out["rule_applied_ms"] = float(values["nft_rule_add_ms_median"])
    if "acl_add_wait_hv_ms_median" in values:
        out["rule_applied_ms"] = float(values["acl_add_wait_hv_ms_median"])
    return out


# --- our agent ----------------------------------------------------------------------------


class Lab:
    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.links: list[str] = []

    def host(self, tag: str, cidr: str, gateway: str) -> tuple[str, str]:
        ns, outer, inner = f"{PREFIX}{tag}", f"{PREFIX}{tag}o", f"{PREFIX}{tag}i"
        self.namespaces.append(ns)
        sh("ip", "netns", "add", ns)
        self.links.append(outer)
        sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns)
        sh("sysctl", "-q", "-w", f"net.ipv6.conf.{outer}.disable_ipv6=1", check=False)
        sh("ip", "link", "set", outer, "up")
        ex = ("ip", "netns", "exec", ns)
        sh(*ex, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "link", "set", inner, "up")
        sh(*ex, "ip", "addr", "add", cidr, "dev", inner)
        sh(*ex, "ip", "route", "add", "default", "via", gateway)
        return ns, outer

    def cleanup(self) -> None:
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)


def _router_port(store: EmbeddedStore, router: Router, cidr: str, **extra: object) -> Port:
    iface = ipaddress.IPv4Interface(cidr)
    port = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=iface.ip,
        network_address=iface.network.network_address,
        network_length=iface.network.prefixlen,
        **extra,
    )  # type: ignore[arg-type]
    store.create(port)
    return port


def _rules(store: EmbeddedStore, chain: Chain, rules: list[Rule]) -> None:
    for rule in rules:
        store.create(rule.replace(chain_id=chain.id))


def canonical(store: EmbeddedStore, host_id: uuid.UUID, links: dict[str, str]) -> list[Port]:
    """The anchors' topology; returns the bound ports."""
    tenant, edge = Router(name="tenant-router"), Router(name="edge")
    store.create(tenant)
    store.create(edge)
    bridge = Bridge(name="tenant")
    store.create(bridge)
    bound = [
        Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=host_id, interface_name=links[vm])
        for vm in ("vm1", "vm2")
    ]
    for port in bound:
        store.create(port)
    t_in = _router_port(store, tenant, "10.0.0.1/24")
    store.create(Port(type=PortType.BRIDGE, bridge_id=bridge.id, peer_id=t_in.id))
    t_out = _router_port(store, tenant, "172.16.0.2/24")
    e_in = _router_port(store, edge, "172.16.0.1/24", peer_id=t_out.id)
    e_up = _router_port(store, edge, "192.0.2.1/24", host_id=host_id, interface_name=links["ext"])
    bound.append(e_up)
    any4, ip = ipaddress.IPv4Address("0.0.0.0"), ipaddress.IPv4Address
    store.create(
        Route(
            router_id=tenant.id,
            dst_network_addr=any4,
            dst_network_length=0,
            next_hop_port_id=t_out.id,
            next_hop_gateway=ip("172.16.0.1"),
        )
    )
    store.create(
        Route(
            router_id=edge.id,
            dst_network_addr=ip("10.0.0.0"),
            dst_network_length=24,
            next_hop_port_id=e_in.id,
            next_hop_gateway=ip("172.16.0.2"),
        )
    )
    # The stateful rules, as security groups on the VM ports (OVN's ACLs on the tenant
    # switch; the kernel anchor's forward chain): from a VM, track and anti-spoof;
    # to a VM, replies, ICMP and 16 service ports, nothing else.
    sg_in, sg_out, pre, post = (Chain(name=n) for n in ("sg-in", "sg-out", "pre", "post"))
    for chain in (sg_in, sg_out, pre, post):
        store.create(chain)
    vms = [ip("10.0.0.11"), ip("10.0.0.12")]
    _rules(
        store,
        sg_in,
        [
            Rule(type=RuleType.CONTINUE, condition=Condition(match_forward_flow=True)),
            *(
                Rule(type=RuleType.ACCEPT, condition=Condition(nw_src_address=vm, nw_src_length=32))
                for vm in vms
            ),
            Rule(type=RuleType.DROP, condition=Condition(dl_type=0x0800)),
        ],
    )
    _rules(
        store,
        sg_out,
        [
            Rule(type=RuleType.ACCEPT, condition=Condition(match_return_flow=True)),
            Rule(type=RuleType.ACCEPT, condition=Condition(nw_proto=1)),
            *(
                Rule(
                    type=RuleType.ACCEPT,
                    condition=Condition(nw_proto=6, tp_dst=PortRange(start=p, end=p)),
                )
                for p in SERVICE_PORTS
            ),
            Rule(type=RuleType.DROP, condition=Condition(dl_type=0x0800)),
        ],
    )
    for port in bound[:2]:
        current_port = store.get(Port, port.id)
        store.update(
            current_port.obj.replace(inbound_filter_id=sg_in.id, outbound_filter_id=sg_out.id),
            expected_version=current_port.version,
        )
    _rules(
        store,
        pre,
        [
            Rule(
                type=RuleType.REV_SNAT,
                flow_action=FlowAction.ACCEPT,
                condition=Condition(in_port_ids=(t_out.id,)),
            )
        ],
    )
    _rules(
        store,
        post,
        [
            Rule(
                type=RuleType.SNAT,
                flow_action=FlowAction.ACCEPT,
                nat_targets=(NatTarget.parse("172.16.0.2:1024-65535"),),
                condition=Condition(
                    out_port_ids=(t_out.id,), nw_src_address=ip("10.0.0.0"), nw_src_length=24
                ),
            )
        ],
    )
    current = store.get(Router, tenant.id)
    store.update(
        current.obj.replace(inbound_filter_id=pre.id, outbound_filter_id=post.id),
        expected_version=current.version,
    )
    return bound


@contextlib.contextmanager
def agent_process(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], uuid.UUID]]:
    log = (workdir / "midolman.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "midonet.agent.main",
            "--nsdb",
            f"file:{workdir}/nsdb.db",
            "--state-dir",
            str(workdir),
            "--log-level",
            "WARNING",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while (host := read_host_id(workdir)) is None or not _registered(workdir, host):
            if time.monotonic() > deadline:
                raise TimeoutError("midolman did not start")
            time.sleep(0.1)
        yield proc, host
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _registered(workdir: Path, host: uuid.UUID) -> bool:
    with EmbeddedStore(workdir / "nsdb.db") as store:
        return HostAlive(store.state).is_alive(host)


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def ex(ns: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *args, check=False, timeout=timeout)


def measure_ours(duration: float, soak: float) -> dict[str, float]:
    lab = Lab()
    servers: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        try:
            vm1, vm1_link = lab.host("v1", "10.0.0.11/24", "10.0.0.1")
            _, vm2_link = lab.host("v2", "10.0.0.12/24", "10.0.0.1")
            ext, ext_link = lab.host("x", "192.0.2.100/24", "192.0.2.1")
            with agent_process(workdir) as (proc, host_id):
                with EmbeddedStore(workdir / "nsdb.db") as store:
                    ports = canonical(
                        store, host_id, {"vm1": vm1_link, "vm2": vm2_link, "ext": ext_link}
                    )
                    active = PortActive(store.state)
                    deadline = time.monotonic() + 20
                    while not all(active.host_of(p.id) == host_id for p in ports):
                        if time.monotonic() > deadline:
                            raise TimeoutError("the agent did not bind the ports")
                        time.sleep(0.05)
                    out = _data_plane(vm1, ext, duration, servers)
                    out["snat_seen"] = 1.0 if _snat_seen(vm1, ext, servers) else 0.0
                    out["rule_applied_ms"] = _rule_applied(store, vm1, host_id, ports[0])
                    if soak:
                        out.update(_soak(proc.pid, vm1, ext, soak))
                return out
        finally:
            for server in servers:
                server.kill()
                server.communicate()
            lab.cleanup()


def _data_plane(
    vm1: str, ext: str, duration: float, servers: list[subprocess.Popen[str]]
) -> dict[str, float]:
    out: dict[str, float] = {}
    first = ex(vm1, "ping", "-n", "-c", "1", "-W", "5", "192.0.2.100")
    found = re.findall(r"time=([\d.]+) ms", first.stdout)
    out["first_ping_ms"] = float(found[0]) if found else float("nan")
    rest = ex(vm1, "ping", "-n", "-c", "20", "-i", "0.1", "-W", "2", "192.0.2.100")
    times = [float(t) for t in re.findall(r"time=([\d.]+) ms", rest.stdout)]
    out["ping_median_ms"] = statistics.median(times) if times else float("nan")
    iperf = subprocess.Popen(
        ["ip", "netns", "exec", ext, "iperf3", "-s", "-B", "192.0.2.100"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    servers.append(iperf)
    time.sleep(0.5)
    udp = ex(
        vm1,
        "iperf3",
        "-c",
        "192.0.2.100",
        "-u",
        "-l",
        "64",
        "-b",
        "0",
        "-t",
        str(int(duration)),
        "--json",
    )
    with contextlib.suppress(ValueError, KeyError):
        received = json.loads(udp.stdout)["end"]["sum_received"]
        out["udp64_rx_pps"] = (received["packets"] - received["lost_packets"]) / received["seconds"]
    time.sleep(0.5)
    tcp = ex(vm1, "iperf3", "-c", "192.0.2.100", "-t", str(int(duration)), "--json")
    with contextlib.suppress(ValueError, KeyError):
        out["tcp_gbps"] = json.loads(tcp.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    ex(vm1, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1")
    conn = subprocess.Popen(
        ["ip", "netns", "exec", ext, sys.executable, "-c", CONN_SERVER, "192.0.2.100", "5300"],
        stdout=subprocess.PIPE,
        text=True,
    )
    servers.append(conn)
    assert conn.stdout is not None
    conn.stdout.readline()
    rate = ex(vm1, sys.executable, "-c", CONN_CLIENT, "192.0.2.100", "5300", str(duration))
    with contextlib.suppress(ValueError):
        out["tcp_conn_per_s"] = float(rate.stdout.strip())
    return out


def _snat_seen(vm1: str, ext: str, servers: list[subprocess.Popen[str]]) -> bool:
    """Whether ext sees vm1's connections come from the SNAT address."""
    probe = subprocess.Popen(
        ["ip", "netns", "exec", ext, sys.executable, "-c", PEER_SERVER],
        stdout=subprocess.PIPE,
        text=True,
    )
    servers.append(probe)
    assert probe.stdout is not None
    probe.stdout.readline()
    ex(vm1, sys.executable, "-c", CONN_CLIENT, "192.0.2.100", "5400", "0.2")
    return probe.stdout.readline().strip() == "172.16.0.2"


def _rule_applied(store: EmbeddedStore, vm1: str, host_id: uuid.UUID, port: Port) -> float:
    """Milliseconds from writing a drop rule for ICMP to ext until the agent applies
    it: its own trace of vm1's ping (the control endpoint runs the datapath's
    simulation on the agent's live topology) comes back DROP — what `ovn-nbctl
    --wait=hv` waits for. A real ping is then checked to be dropped too."""
    entry = store.state.get(CONTROL_TABLE, str(host_id))
    assert entry is not None, "the agent serves no control endpoint"
    url = urllib.parse.urlsplit(str(entry.value))
    client = ControlClient(str(url.hostname), int(url.port or 7200))
    probe = {
        "portId": str(port.id),
        "packet": {"ipSrc": "10.0.0.11", "ipDst": "192.0.2.100", "proto": "icmp"},
    }
    samples = []
    edge = next(r for r in store.list(Router) if r.name == "edge")
    for _ in range(5):
        chain = Chain(name="probe")
        store.create(chain)
        start = time.perf_counter()
        store.create(Rule(type=RuleType.DROP, chain_id=chain.id, condition=Condition(nw_proto=1)))
        current = store.get(Router, edge.id)
        store.update(
            current.obj.replace(inbound_filter_id=chain.id), expected_version=current.version
        )
        while client.call("POST", "/trace", probe)["outcome"] != "DROP":
            time.sleep(0.0005)
        samples.append((time.perf_counter() - start) * 1000)
        dropped = ex(vm1, "ping", "-n", "-c", "1", "-W", "0.3", "192.0.2.100").returncode != 0
        assert dropped, "the agent's trace said DROP but a ping went through"
        store.delete(Chain, chain.id)  # clears the filter; traffic passes again
        ex(vm1, "ping", "-n", "-c", "2", "-W", "1", "192.0.2.100")
    return statistics.median(samples)


def _soak(pid: int, vm1: str, ext: str, seconds: float) -> dict[str, float]:
    """`seconds` of the UDP flood, then of new connections: what each achieved (a
    load that died midway shows here), the agent's RSS before, between and after."""
    out = {"soak_rss_before_mb": rss_mb(pid)}
    udp = ex(
        vm1,
        "iperf3",
        "-c",
        "192.0.2.100",
        "-u",
        "-l",
        "64",
        "-b",
        "0",
        "-t",
        str(int(seconds)),
        "--json",
        timeout=seconds + 60,
    )
    with contextlib.suppress(ValueError, KeyError):
        received = json.loads(udp.stdout)["end"]["sum_received"]
        lost = received["packets"] - received["lost_packets"]
        out["soak_udp64_rx_pps"] = lost / received["seconds"]
    out["soak_rss_after_udp_mb"] = rss_mb(pid)
    # RSS four times during the connection load: growth that levels off is state
    # reaching its bound (flows: max_flow_count; flow state: idle expiry), not a leak.
    samples: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:
        started = time.monotonic()
        while not stop.wait(seconds / 4):
            with contextlib.suppress(OSError):
                at = round(time.monotonic() - started)
                samples[f"soak_conn_rss_at_{at}s_mb"] = rss_mb(pid)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = ex(
        vm1,
        sys.executable,
        "-c",
        CONN_CLIENT,
        "192.0.2.100",
        "5300",
        str(seconds),
        timeout=seconds + 60,
    )
    stop.set()
    sampler.join()
    with contextlib.suppress(ValueError):
        out["soak_conn_per_s"] = float(conn.stdout.strip())
    out.update(samples)
    out["soak_rss_after_mb"] = rss_mb(pid)
    out["soak_agent_alive"] = 1.0 if Path(f"/proc/{pid}").exists() else 0.0
    # What the memory holds, bounded by design: flows by max_flow_count, flow state
    # by its idle expiry (an entry lives 60 s past the last flow that used it).
    out.update(_agent_gauges("soak_"))
    return out


def _agent_gauges(prefix: str) -> dict[str, float]:
    """The agent's table sizes, from its control endpoint's metrics."""
    wanted = {
        "midolman_datapath_flows": "flows",
        "midolman_datapath_kernel_flows": "kernel_flows",
        "midolman_flow_state_entries": "flow_state_entries",
    }
    out: dict[str, float] = {}
    try:
        with urllib.request.urlopen("http://127.0.0.1:7200/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            out[prefix + wanted[name]] = float(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of each load (0: none)")
    parser.add_argument("--ovn", action="store_true", help="also run ovn-router.sh")
    parser.add_argument("--quick", action="store_true", help="one run of 2 s each")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.duration = 1, 2.0
    # SIGTERM (a `timeout`, a CI cancel) unwinds like Ctrl-C, so the lab's
    # namespaces and the agent are removed by the `finally` blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_tools()
    ours, kernel, ovn = [], [], []
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}", file=sys.stderr, flush=True)
        kernel.append(anchor("kernel-router.sh", args.duration))
        ours.append(measure_ours(args.duration, args.soak if run == 0 else 0.0))
        if args.ovn:
            ovn.append(anchor("ovn-router.sh", args.duration))
    columns = {"ours": ours, "kernel": kernel}
    columns["ovn" if args.ovn else "ovn (reference)"] = ovn or [OVN_REFERENCE]
    medians = {
        name: {
            k: statistics.median([r[k] for r in runs if k in r])
            for k in KEYS
            if any(k in r for r in runs)
        }
        for name, runs in columns.items()
    }
    print(f"{'key':18}" + "".join(f"{name:>18}" for name in medians) + "   ours/kernel  ours/ovn")
    ovn_name = list(medians)[-1]
    for key in KEYS:
        cells = "".join(f"{m.get(key, float('nan')):>18.3f}" for m in medians.values())
        ratios = [
            medians["ours"].get(key, float("nan")) / base
            if (base := medians[other].get(key))
            else float("nan")
            for other in ("kernel", ovn_name)
        ]
        print(f"{key:18}{cells}   {ratios[0]:11.2f} {ratios[1]:9.2f}")
    for key, value in ours[0].items():
        if key.startswith("soak"):
            print(f"{key}={value:.1f}")


if __name__ == "__main__":
    main()
