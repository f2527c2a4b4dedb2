"""The agent's datapath under real traffic, beside the kernel's bridge in the same run.

    sudo .venv/bin/python bench/agent.py [--duration 3] [--pings 20]

Agent case: the canonical path without NAT (conntrack and NAT are not simulated yet)
— vm1 (10.0.0.11) on a tenant bridge → tenant router → transit link → edge router →
uplink bridge → ext (192.0.2.100); each host a network namespace whose veth peer the
agent (running in this process, embedded NSDB in a temporary file) has bound.
Kernel case: vm1 and ext on one Linux bridge (the anchor's plain-kernel L2 path).

  first_ping_ms    RTT of the very first ping vm1 → ext (cold: ARP, MAC learning, flows)
  ping_median_ms   median of the next `--pings` pings, 0.1 s apart (flows cached)
  udp64_rx_pps     64-byte UDP datagrams/s ext received from one Python sender in vm1
                   sending as fast as it can for `--duration` s (the same sender and
                   receiver for both cases); udp64_tx_pps is what vm1 sent
  tcp_mbps         one TCP stream vm1 → ext for `--duration` s (TSO super-packets
                   cross the agent whole; the kernel segments them on the way out)
  agent_kernel_drops  frames the kernel dropped because the agent did not keep up

Results are `key=value` lines, then each agent figure as a ratio of the kernel's.
Needs root; every namespace and link it makes is removed by name on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from midonet.agent.events import AgentEvents
from midonet.agent.service import Agent
from midonet.model import Bridge, Port, PortType, Route, Router
from midonet.store import EmbeddedStore
from midonet.store.state import PortActive

PREFIX = f"mnb{os.getpid() % 10000}"

SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9000)); payload = bytes(64); n = 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.send(payload); n += 1
        except OSError:
            pass
print(n)
"""

RECEIVER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("0.0.0.0", 9000)); s.settimeout(float(sys.argv[1]) + 3); n = 0
print("ready", flush=True)
try:
    s.recv(2048); n = 1; s.settimeout(0.5)
    while True:
        s.recv(2048); n += 1
except OSError:
    pass
print(n)
"""


TCP_SINK = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9001)); s.listen(1); s.settimeout(10)
print("ready", flush=True)
c, _ = s.accept(); c.settimeout(5); n = 0; start = time.monotonic()
try:
    while True:
        data = c.recv(1 << 20)
        if not data:
            break
        n += len(data)
except OSError:
    pass
print(n, time.monotonic() - start)
"""

TCP_SOURCE = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9001), timeout=10)
chunk = bytes(1 << 16); end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    s.sendall(chunk)
s.close()
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=60)


class Lab:
    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.links: list[str] = []

    def host(self, tag: str, cidr: str, gateway: str | None) -> tuple[str, str]:
        """A namespace with `cidr` on a veth; returns (namespace, root-side link)."""
        ns, outer, inner = f"{PREFIX}{tag}", f"{PREFIX}{tag}o", f"{PREFIX}{tag}i"
        self.namespaces.append(ns)
        sh("ip", "netns", "add", ns)
        self.links.append(outer)
        sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns)
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/net/ipv6/conf/{outer}/disable_ipv6").write_text("1")
        sh("ip", "link", "set", outer, "up")
        ex = ("ip", "netns", "exec", ns)
        sh(*ex, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "link", "set", inner, "up")
        sh(*ex, "ip", "addr", "add", cidr, "dev", inner)
        if gateway:
            sh(*ex, "ip", "route", "add", "default", "via", gateway)
        return ns, outer

    def bridge(self) -> str:
        name = f"{PREFIX}br"
        self.links.append(name)
        sh("ip", "link", "add", name, "type", "bridge")
        sh("ip", "link", "set", name, "up")
        return name

    def cleanup(self) -> None:
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)


def ping_figures(ns: str, ip: str, pings: int) -> dict[str, float]:
    first = sh("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "5", ip, check=False)
    rest = sh(
        "ip", "netns", "exec", ns, "ping", "-c", str(pings), "-i", "0.1", "-W", "2", ip,
        check=False,
    )  # fmt: skip
    rtts = [float(x) for x in re.findall(r"time=([\d.]+) ms", rest.stdout)]
    first_rtt = re.findall(r"time=([\d.]+) ms", first.stdout)
    return {
        "first_ping_ms": float(first_rtt[0]) if first_rtt else float("nan"),
        "ping_median_ms": statistics.median(rtts) if rtts else float("nan"),
    }


def udp_figures(src_ns: str, dst_ns: str, dst_ip: str, duration: float) -> dict[str, float]:
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", dst_ns, sys.executable, "-c", RECEIVER, str(duration)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdout is not None
    receiver.stdout.readline()  # ready
    sent = sh("ip", "netns", "exec", src_ns, sys.executable, "-c", SENDER, dst_ip, str(duration))
    out, _ = receiver.communicate(timeout=duration + 10)
    return {
        "udp64_rx_pps": int(out.split()[-1]) / duration,
        "udp64_tx_pps": int(sent.stdout.split()[-1]) / duration,
    }


def tcp_figures(src_ns: str, dst_ns: str, dst_ip: str, duration: float) -> dict[str, float]:
    sink = subprocess.Popen(
        ["ip", "netns", "exec", dst_ns, sys.executable, "-c", TCP_SINK],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    sink.stdout.readline()  # ready
    sh("ip", "netns", "exec", src_ns, sys.executable, "-c", TCP_SOURCE, dst_ip, str(duration))
    out, _ = sink.communicate(timeout=duration + 15)
    received, seconds = out.split()
    return {"tcp_mbps": int(received) * 8 / float(seconds) / 1e6}


def wait_for(predicate: object, timeout: float) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the agent did not bind the ports")
        time.sleep(0.05)


def router_port(store: EmbeddedStore, router: Router, cidr: str, **extra: object) -> Port:
    iface = ipaddress.IPv4Interface(cidr)
    port = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=iface.ip,
        network_address=iface.network.network_address,
        network_length=iface.network.prefixlen,
        **extra,  # type: ignore[arg-type]
    )
    store.create(port)
    return port


def bridged(store: EmbeddedStore, router_side: Port, host_id: uuid.UUID, ifname: str) -> Port:
    """A bridge holding `ifname` (bound) and an uplink peered with `router_side`."""
    bridge = Bridge(name=ifname)
    store.create(bridge)
    bound = Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=host_id, interface_name=ifname)
    store.create(bound)
    store.create(Port(type=PortType.BRIDGE, bridge_id=bridge.id, peer_id=router_side.id))
    return bound


def canonical(store: EmbeddedStore, host_id: uuid.UUID, vm1: str, ext: str) -> list[Port]:
    tenant, edge = Router(name="tenant"), Router(name="edge")
    store.create(tenant)
    store.create(edge)
    t_in = router_port(store, tenant, "10.0.0.1/24")
    t_out = router_port(store, tenant, "172.16.0.2/30")
    e_in = router_port(store, edge, "172.16.0.1/30", peer_id=t_out.id)
    e_up = router_port(store, edge, "192.0.2.1/24")
    any4 = ipaddress.IPv4Address("0.0.0.0")
    store.create(
        Route(router_id=tenant.id, dst_network_addr=any4, dst_network_length=0,
              next_hop_port_id=t_out.id, next_hop_gateway=ipaddress.IPv4Address("172.16.0.1"))
    )  # fmt: skip
    store.create(
        Route(router_id=edge.id, dst_network_addr=ipaddress.IPv4Address("10.0.0.0"),
              dst_network_length=24, next_hop_port_id=e_in.id,
              next_hop_gateway=ipaddress.IPv4Address("172.16.0.2"))
    )  # fmt: skip
    return [bridged(store, t_in, host_id, vm1), bridged(store, e_up, host_id, ext)]


@contextlib.contextmanager
def running_agent(workdir: Path) -> Iterator[tuple[Agent, EmbeddedStore]]:
    store = EmbeddedStore(workdir / "nsdb.db")
    events = AgentEvents(workdir / "events.log")
    agent = Agent(store, uuid.uuid4(), hostname=socket.gethostname(), events=events)
    try:
        agent.start_thread()
        yield agent, store
    finally:
        agent.stop()
        events.close()
        store.close()


def measure_agent(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    lab = Lab()
    try:
        vm1, vm1_link = lab.host("v", "10.0.0.11/24", "10.0.0.1")
        ext, ext_link = lab.host("x", "192.0.2.100/24", "192.0.2.1")
        with running_agent(workdir) as (agent, store):
            ports = canonical(store, agent.host_id, vm1_link, ext_link)
            active = PortActive(store.state)
            wait_for(lambda: all(active.host_of(p.id) == agent.host_id for p in ports), 10)
            figures = ping_figures(vm1, "192.0.2.100", args.pings)
            figures.update(udp_figures(vm1, ext, "192.0.2.100", args.duration))
            figures.update(tcp_figures(vm1, ext, "192.0.2.100", args.duration))
            stats = agent.pipeline.stats
            figures["agent_simulations"] = stats.simulations
            figures["agent_flow_hits"] = stats.flow_hits
            # Frames the kernel dropped because the agent did not keep up.
            agent.call(agent.datapath.collect_drops)
            figures["agent_kernel_drops"] = agent.datapath.stats.kernel_drops
        return figures
    finally:
        lab.cleanup()


def measure_kernel(args: argparse.Namespace) -> dict[str, float]:
    lab = Lab()
    try:
        vm1, vm1_link = lab.host("kv", "10.0.0.11/24", None)
        ext, ext_link = lab.host("kx", "10.0.0.100/24", None)
        bridge = lab.bridge()
        for link in (vm1_link, ext_link):
            sh("ip", "link", "set", link, "master", bridge)
        figures = ping_figures(vm1, "10.0.0.100", args.pings)
        figures.update(udp_figures(vm1, ext, "10.0.0.100", args.duration))
        figures.update(tcp_figures(vm1, ext, "10.0.0.100", args.duration))
        return figures
    finally:
        lab.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--pings", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/agent.py needs root (network namespaces)")
    with tempfile.TemporaryDirectory() as tmp:
        agent = measure_agent(args, Path(tmp))
    kernel = measure_kernel(args)
    for name, figures in (("agent", agent), ("kernel_bridge", kernel)):
        for key, value in figures.items():
            print(
                f"{name}.{key}={value:.3f}" if isinstance(value, float) else f"{name}.{key}={value}"
            )
    for key in ("first_ping_ms", "ping_median_ms", "udp64_rx_pps", "udp64_tx_pps", "tcp_mbps"):
        if kernel.get(key):
            print(f"ratio.{key}={agent[key] / kernel[key]:.3f}")


if __name__ == "__main__":
    main()
