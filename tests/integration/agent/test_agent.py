"""The agent forwarding real traffic between namespaces (needs root)."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from agentlab import RunningAgent, link, router_port
from netlab import Guest, LineReader, NetLab, root_and_tools, wait_for

from midonet.agent.events import AgentEvents
from midonet.agent.service import Agent
from midonet.config import Config, ConfigLayer
from midonet.model import Bridge, Chain, Host, Port, PortType, Router, Rule, RuleType
from midonet.store import EmbeddedStore
from midonet.store.state import HostAlive, MacTable, PortActive

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20)
total = 0
while True:
    data = c.recv(65536)
    if not data:
        break
    total += len(data)
    c.sendall(data)
c.close(); print(total)
"""

CLIENT = """
import hashlib, os, socket, sys
payload = os.urandom(int(sys.argv[2]))
s = socket.create_connection((sys.argv[1], 7000), timeout=20)
s.sendall(payload); s.shutdown(socket.SHUT_WR)
back = bytearray()
while True:
    data = s.recv(65536)
    if not data:
        break
    back += data
assert bytes(back) == payload, (len(back), len(payload))
print("ok", len(back))
"""


def one_bridge(agent: RunningAgent, lab: NetLab) -> tuple[Guest, Guest, Port, Port]:
    a = lab.guest("a", "10.91.0.1/24")
    b = lab.guest("b", "10.91.0.2/24")
    bridge = Bridge(name="br")
    agent.store.create(bridge)
    pa, pb = agent.exterior(bridge, a.outer), agent.exterior(bridge, b.outer)
    agent.wait_active(pa, pb)
    return a, b, pa, pb


def routed(agent: RunningAgent, lab: NetLab) -> tuple[Guest, Guest, Router]:
    """Two bridges joined by a router: 10.92.1.0/24 and 10.92.2.0/24."""
    a = lab.guest("a", "10.92.1.2/24", gateway="10.92.1.1")
    b = lab.guest("b", "10.92.2.2/24", gateway="10.92.2.1")
    router = Router(name="edge")
    agent.store.create(router)
    ports = []
    for guest, net in ((a, 1), (b, 2)):
        bridge = Bridge(name=f"net{net}")
        agent.store.create(bridge)
        ports.append(agent.exterior(bridge, guest.outer))
        uplink = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
        agent.store.create(uplink)
        link(agent, uplink, router_port(agent, router, f"10.92.{net}.1/24"))
    agent.wait_active(*ports)
    return a, b, router


def test_host_registers_with_interfaces_and_alive(agent: RunningAgent, lab: NetLab) -> None:
    guest = lab.guest("h", "10.90.0.1/24")
    assert wait_for(lambda: HostAlive(agent.store.state).is_alive(agent.host_id))
    assert wait_for(
        lambda: agent.store.get(Host, agent.host_id).obj.interface(guest.outer) is not None
    )
    host = agent.store.get(Host, agent.host_id).obj
    assert host.interface("lo") is not None
    text = agent.events_path.read_text()
    assert "org.midonet.event.agent.Service.START - START Service started." in text
    assert f"org.midonet.event.agent.Interface.DETECT - NEW interface={guest.outer}" in text


def test_ping_across_a_bridge(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _, _ = one_bridge(agent, lab)
    assert a.ping(b.ip)
    assert b.ping(a.ip)
    assert all(p.socket.has_ring for p in agent.agent.datapath.ports.values())
    assert agent.agent.call(agent.agent.datapath.collect_drops) == 0  # kept up with pings
    stats = agent.agent.pipeline.stats
    agent.agent.call(agent.agent.pipeline.sync_offloaded)
    kernel = agent.agent.kernel_flows
    forwarded_by_flows = stats.flow_hits + (kernel.kernel_packets if kernel else 0)
    assert forwarded_by_flows > 0 and stats.simulations > 0  # later pings: their flows


def test_ping_across_a_router(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _ = routed(agent, lab)
    assert a.ping("10.92.1.1", count=1)  # the router's own address answers
    assert a.ping(b.ip, count=5)
    assert b.ping(a.ip, count=2)


def _tcp_transfer(a: Guest, b: Guest, size: int = 2_000_000) -> None:
    """`size` bytes over TCP from a to b, received whole."""
    assert a.ping(b.ip, count=2)
    server = b.popen("python3", "-c", SERVER)
    try:
        time.sleep(0.3)
        done = a.run("python3", "-c", CLIENT, b.ip, str(size), check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith(f"ok {size}")
        out, _ = server.communicate(timeout=30)
        assert server.returncode == 0 and out.strip() == str(size)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


@pytest.mark.agent_config({"agent.datapath.kernel_fast_path": False})
def test_tcp_across_a_router_in_user_space(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _ = routed(agent, lab)
    _tcp_transfer(a, b)
    # TSO super-packets went through whole, segmented by the kernel on the way out
    assert agent.agent.datapath.stats.gso_received > 0


def test_tcp_across_a_router_in_the_kernel(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _ = routed(agent, lab)
    _tcp_transfer(a, b)
    kernel = agent.agent.kernel_flows
    assert kernel is not None and len(kernel) >= 2  # both directions of the connection
    agent.agent.call(agent.agent.pipeline.sync_offloaded)
    # The agent simulated the connection's first packets; the kernel carried the data.
    assert kernel.kernel_bytes > 2_000_000
    assert agent.agent.datapath.stats.received < 50


def test_drop_rule_stops_an_established_flow(agent: RunningAgent, lab: NetLab) -> None:
    a, b, router = routed(agent, lab)
    chain = Chain(name="in")
    agent.store.create(chain)
    current = agent.store.get(Router, router.id)
    agent.store.update(current.obj.replace(inbound_filter_id=chain.id))
    pinger = LineReader(a.popen("ping", "-i", "0.1", "-w", "30", b.ip))
    try:
        assert wait_for(lambda: pinger.count("bytes from") >= 5, 10)
        agent.store.create(Rule(type=RuleType.DROP, chain_id=chain.id))
        time.sleep(2.0)  # generous: the rule reaches the agent and the flow goes
        stopped_at = pinger.count("bytes from")
        time.sleep(1.5)
        assert pinger.count("bytes from") == stopped_at
    finally:
        pinger.stop()


def test_corrupt_and_truncated_frames_are_dropped(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _, _ = one_bridge(agent, lab)
    stats = agent.agent.pipeline.stats
    before = stats.malformed
    inject = (
        "import socket\n"
        f"s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('{a.inner}', 0))\n"
        "dst, src = b'\\xff' * 6, bytes.fromhex('02aabbccddee')\n"
        "frames = [dst + src + b'\\x08\\x00', dst + src + b'\\x86\\xdd' + bytes(8),\n"
        "          dst + src + b'\\x08\\x00' + b'\\x45\\x00\\x00',\n"
        "          dst + src + b'\\x08\\x00' + b'\\x4f' + bytes(30),\n"
        "          dst + src + b'\\x81\\x00\\x00',\n"
        "          dst + src + b'\\x08\\x06' + bytes(5)]\n"
        "for f in frames * 20:\n"
        "    s.send(f)\n"
    )
    a.run("python3", "-c", inject)
    assert wait_for(lambda: stats.malformed - before >= 20, 5)
    assert agent.agent.loop.errors == 0
    assert a.ping(b.ip)  # still forwarding


def test_unbinding_a_port_stops_its_traffic(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _, pb = one_bridge(agent, lab)
    assert a.ping(b.ip)
    current = agent.store.get(Port, pb.id)
    agent.store.update(current.obj.replace(host_id=None, interface_name=None))
    assert wait_for(lambda: pb.id not in agent.agent.datapath.by_vport, 5)
    assert not a.ping(b.ip, count=2, timeout=1)


def test_a_deleted_port_is_closed_and_a_recreated_interface_is_bound_again(
    agent: RunningAgent, lab: NetLab
) -> None:
    a, b, pa, pb = one_bridge(agent, lab)
    assert a.ping(b.ip)
    number = agent.agent.datapath.by_vport[pa.id].number
    agent.store.delete(Port, pa.id)
    assert wait_for(lambda: pa.id not in agent.agent.datapath.by_vport, 5)
    assert wait_for(lambda: PortActive(agent.store.state).host_of(pa.id) is None, 5)
    flows = agent.agent.call(lambda: [f.key.in_port for f in agent.agent.pipeline.flows])
    assert isinstance(flows, list) and number not in flows
    # b's interface goes away and comes back: the binding follows it.
    old = agent.agent.datapath.by_vport[pb.id].socket.ifindex
    lab.recreate(b)
    new = socket.if_nametoindex(b.outer)
    assert new != old
    assert wait_for(lambda: _bound_index(agent, pb) == new, 5)
    agent.wait_active(pb)


def _bound_index(agent: RunningAgent, port: Port) -> int | None:
    dp_port = agent.agent.datapath.by_vport.get(port.id)
    return None if dp_port is None else dp_port.socket.ifindex


def test_losing_the_session_stops_the_agent(agent: RunningAgent) -> None:
    agent.agent.session.close()
    assert wait_for(lambda: agent.agent.expired, 5)
    text = agent.events_path.read_text()
    assert "org.midonet.event.agent.Nsdb.CONN_EXPIRE - CONN_EXPIRE" in text


def test_the_router_answers_icmp_errors(agent: RunningAgent, lab: NetLab) -> None:
    a, _, _ = routed(agent, lab)
    done = a.run("ping", "-c", "1", "-W", "2", "10.99.0.1", check=False, timeout=10)
    assert "10.92.1.1" in done.stdout and "Unreachable" in done.stdout, done.stdout
    ttl = a.run("ping", "-c", "1", "-W", "2", "-t", "1", "10.92.2.2", check=False, timeout=10)
    assert "Time to live exceeded" in ttl.stdout, ttl.stdout


def test_learned_macs_are_forgotten_when_no_flow_uses_them(tmp_path: Path, lab: NetLab) -> None:
    a = lab.guest("a", "10.96.0.1/24")
    b = lab.guest("b", "10.96.0.2/24")
    store = EmbeddedStore(tmp_path / "nsdb.db")
    me = uuid.uuid4()
    config = Config([ConfigLayer("test", {"agent.bridge.mac_port_mapping_expire": "1s"})])
    events = AgentEvents(None)
    agent = Agent(
        store,
        me,
        hostname="node1",
        events=events,
        config=config,
        flow_idle_timeout=1.0,
        expiration_interval=0.5,
    )
    try:
        agent.start_thread()
        bridge = Bridge(name="br")
        store.create(bridge)
        ports = [
            Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=me, interface_name=g.outer)
            for g in (a, b)
        ]
        for port in ports:
            store.create(port)
        active = PortActive(store.state)
        assert wait_for(lambda: all(active.host_of(p.id) == me for p in ports), 10)
        # Static neighbours: after the pings, nothing refreshes the MACs.
        a.run("ip", "neigh", "replace", b.ip, "lladdr", b.mac, "dev", a.inner)
        b.run("ip", "neigh", "replace", a.ip, "lladdr", a.mac, "dev", b.inner)
        assert a.ping(b.ip, count=2)
        table = MacTable(store.state, bridge.id)
        assert table.get(a.mac) == ports[0].id and table.get(b.mac) == ports[1].id
        assert wait_for(lambda: table.get(a.mac) is None and table.get(b.mac) is None, 10)
        assert agent.mac_expiry.expired >= 2
    finally:
        agent.stop()
        events.close()
        store.close()


class Recorder:
    """Stands in for the tunnels: what the agent would send to other hosts."""

    def __init__(self) -> None:
        self.sent: list[tuple[uuid.UUID, uuid.UUID, bytes]] = []

    def send(self, host_id: uuid.UUID, port: Port, frame: bytes, vnet: bytes | None) -> bool:
        self.sent.append((host_id, port.id, frame))
        return True


def test_frames_for_ports_on_other_hosts_go_to_the_remote_output(
    agent: RunningAgent, lab: NetLab
) -> None:
    a, _, pa, _ = one_bridge(agent, lab)
    other = Host(name="elsewhere")
    agent.store.create(other)
    remote = Port(
        type=PortType.BRIDGE, bridge_id=pa.bridge_id, host_id=other.id, interface_name="x"
    )
    agent.store.create(remote)
    recorder = Recorder()
    agent.agent.remote = recorder
    assert wait_for(lambda: agent.agent.topology.current.get(Port, remote.id) is not None, 5)
    a.ping("10.91.0.99", count=1, timeout=1)  # an ARP request, flooded to every port
    assert wait_for(lambda: any(p == remote.id for _, p, _ in recorder.sent), 5)
    host_id, _, frame = next(x for x in recorder.sent if x[1] == remote.id)
    assert host_id == other.id and frame[12:14] == b"\x08\x06"
