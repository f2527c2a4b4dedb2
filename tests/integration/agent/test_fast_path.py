"""The kernel fast path on real veths: entries made from a FlowMatch and actions
forward packets the way `apply_actions` would — MACs, TTL, NAT, checksums (whole
and partial), TSO segments — and keep them out of the agent's packet socket."""

from __future__ import annotations

import socket
import sys
import time
import uuid
import warnings
from collections.abc import Iterator

import pytest
from netlab import Guest, NetLab, root_and_tools, wait_for

from midonet.agent.datapath.bpf_sys import BpfLoadError
from midonet.agent.datapath.fast_path import KernelFastPath
from midonet.agent.datapath.fast_path_entry import counters, entry_key, entry_value
from midonet.agent.datapath.packet_socket import PacketSocket
from midonet.agent.simulation.result import Output, SetField
from midonet.packets.address import ipv4_from_str, mac_from_str
from midonet.packets.match import FlowMatch, match_frame

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

ROUTER_MAC = "02:00:00:00:fe:01"
PUBLIC_IP = "10.95.1.254"  # the "router's" SNAT address on B's side
A_PORT_ID = uuid.uuid4()
B_PORT_ID = uuid.uuid4()


@pytest.fixture
def fast_path() -> Iterator[KernelFastPath]:
    try:
        path = KernelFastPath(1024)
    except BpfLoadError:
        raise  # the verifier refused our programs: a defect, not a missing feature
    except OSError as e:
        pytest.skip(f"the kernel refuses BPF here: {e}")
    try:
        yield path
    finally:
        path.close()


def _guests(lab: NetLab) -> tuple[Guest, Guest]:
    a = lab.guest("a", "10.95.0.1/24", gateway="10.95.0.254")
    b = lab.guest("b", "10.95.1.1/24")
    a.run("ip", "neigh", "add", "10.95.0.254", "lladdr", ROUTER_MAC, "dev", a.inner)
    b.run("ip", "neigh", "add", PUBLIC_IP, "lladdr", ROUTER_MAC, "dev", b.inner)
    return a, b


def _ifindexes(a: Guest, b: Guest) -> dict[uuid.UUID, int]:
    return {A_PORT_ID: socket.if_nametoindex(a.outer), B_PORT_ID: socket.if_nametoindex(b.outer)}


def _both_attached(
    lab: NetLab, fast_path: KernelFastPath
) -> tuple[Guest, Guest, dict[uuid.UUID, int], list[PacketSocket]]:
    """Both guests, the kernel forwarding on both interfaces, and the agent's packet
    sockets there (which should see nothing of the offloaded flows)."""
    a, b = _guests(lab)
    ifindexes = _ifindexes(a, b)
    sockets = [PacketSocket(a.outer), PacketSocket(b.outer)]
    fast_path.attach(ifindexes[A_PORT_ID], sockets[0].sock)
    fast_path.attach(ifindexes[B_PORT_ID], sockets[1].sock)
    return a, b, ifindexes, sockets


def _snat_actions(b: Guest, sport: int) -> tuple[object, ...]:
    """What a router with SNAT does to A's packets towards B."""
    return (
        SetField("eth_src", mac_from_str(ROUTER_MAC)),
        SetField("eth_dst", mac_from_str(b.mac)),
        SetField("nw_ttl", 63),
        SetField("nw_src", ipv4_from_str(PUBLIC_IP)),
        SetField("src_port", sport),
        Output(B_PORT_ID),
    )


def _match(a: Guest, proto: int, sport: int, dport: int, in_port: int) -> FlowMatch:
    return FlowMatch(
        in_port=in_port, eth_src=mac_from_str(a.mac), eth_dst=mac_from_str(ROUTER_MAC),
        ethertype=0x0800, nw_src=ipv4_from_str(a.ip), nw_dst=ipv4_from_str("10.95.1.1"),
        nw_proto=proto, nw_ttl=64, src_port=sport, dst_port=dport,
    )  # fmt: skip


def _offload(
    path: KernelFastPath, match: FlowMatch, actions: tuple[object, ...], ifindexes: dict
) -> bytes:
    """Offload a flow arriving from A."""
    key = entry_key(match, ifindexes[A_PORT_ID])
    value = entry_value(match, actions, ifindexes.get)  # type: ignore[arg-type]
    assert key is not None and value is not None
    assert path.add(key, value)
    return key


def _frames(sock: PacketSocket, until: float, want: int) -> list[Ether]:
    got: list[Ether] = []
    while time.monotonic() < until and len(got) < want:
        received = sock.receive()
        if received is None:
            time.sleep(0.005)
            continue
        frame = Ether(received.frame)
        if IP in frame:
            got.append(frame)
    return got


CAPTURE = """
import sys, time
from midonet.agent.datapath.packet_socket import PacketSocket
sock = PacketSocket(sys.argv[1])
print("ready", flush=True)
deadline, seen = time.monotonic() + float(sys.argv[3]), 0
while seen < int(sys.argv[2]) and time.monotonic() < deadline:
    got = sock.receive()
    if got is None:
        time.sleep(0.005)
    elif len(got.frame) > 34 and got.frame[12:14] == b"\\x08\\x00":
        print(got.frame.hex(), flush=True)
        seen += 1
"""


class Capture:
    """Frames as a guest's own interface receives them (its kernel's view: a frame
    left to checksum offload is completed, as PacketSocket does)."""

    def __init__(self, guest: Guest, count: int, timeout: float = 5.0) -> None:
        self.proc = guest.popen(sys.executable, "-c", CAPTURE, guest.inner, str(count),
                                str(timeout))  # fmt: skip
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def frames(self) -> list[Ether]:
        out, _ = self.proc.communicate(timeout=30)
        return [Ether(bytes.fromhex(line)) for line in out.split()]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


def _udp(guest: Guest, payload: bytes, dport: int, sport: int = 0, count: int = 1) -> None:
    """Send UDP datagrams from the guest's own stack (checksums left to offload)."""
    guest.run("python3", "-c", (
        "import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"u.bind(('0.0.0.0', {sport}))\n"
        f"for _ in range({count}): u.sendto({payload!r}, ('10.95.1.1', {dport}))"
    ))  # fmt: skip


def _checksums_right(frame: Ether) -> bool:
    check = frame.copy()
    del check[IP].chksum
    layer = TCP if TCP in check else UDP
    del check[layer].chksum
    rebuilt = Ether(bytes(check))
    return bool(rebuilt[IP].chksum == frame[IP].chksum and
                rebuilt[layer].chksum == frame[layer].chksum)  # fmt: skip


def test_a_udp_flow_is_rewritten_with_whole_and_partial_checksums(
    lab: NetLab, fast_path: KernelFastPath
) -> None:
    a, b = _guests(lab)
    ifindexes = _ifindexes(a, b)
    agent_side = PacketSocket(a.outer)
    fast_path.attach(ifindexes[A_PORT_ID], agent_side.sock)
    capture = Capture(b, 2)
    try:
        match = _match(a, 17, 5000, 9, in_port=1)
        key = _offload(fast_path, match, _snat_actions(b, 40000), ifindexes)
        # Whole checksums: a frame A's kernel did not leave to offload.
        crafted = bytes(
            Ether(src=a.mac, dst=ROUTER_MAC) / IP(src=a.ip, dst="10.95.1.1", ttl=64)
            / UDP(sport=5000, dport=9) / b"whole checksum"
        )  # fmt: skip
        assert match_frame(crafted, 1) == match
        a.run("python3", "-c",
              "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
              f"s.bind(('{a.inner}', 0)); s.send(bytes.fromhex('{crafted.hex()}'))")  # fmt: skip
        # Partial checksums: A's own UDP socket (veth offloads the checksum).
        _udp(a, b"partial checksum", 9, sport=5000)
        frames = capture.frames()
        assert len(frames) == 2
        for frame in frames:
            assert frame.src == ROUTER_MAC and frame.dst == b.mac
            assert (frame[IP].src, frame[IP].dst, frame[IP].ttl) == (PUBLIC_IP, "10.95.1.1", 63)
            assert (frame[UDP].sport, frame[UDP].dport) == (40000, 9)
            assert _checksums_right(frame), frame.show(dump=True)
        assert {bytes(f[UDP].payload) for f in frames} == {b"whole checksum", b"partial checksum"}
        assert agent_side.receive() is None  # the agent never saw them
        counted = fast_path.counted(key)
        assert counted is not None and counted[0] == 2
        # A packet of no offloaded flow reaches the agent, whole.
        _udp(a, b"not offloaded", 10)
        seen = _frames(agent_side, time.monotonic() + 5, 1)
        assert seen and bytes(seen[0][UDP].payload) == b"not offloaded"
        # Removing the entry hands the flow back to the agent, with its counts.
        assert fast_path.remove(key)[0] == 2
        _udp(a, b"back to the agent", 9, sport=5000)
        seen = _frames(agent_side, time.monotonic() + 5, 1)
        assert seen and bytes(seen[0][UDP].payload) == b"back to the agent"
    finally:
        agent_side.close()
        capture.close()


def test_a_tcp_connection_through_snat_runs_in_the_kernel_both_ways(
    lab: NetLab, fast_path: KernelFastPath
) -> None:
    a, b, ifindexes, sockets = _both_attached(lab, fast_path)
    try:
        out = _offload(fast_path, _match(a, 6, 40123, 7000, 1), _snat_actions(b, 40000),
                       ifindexes)  # fmt: skip
        reply = FlowMatch(
            in_port=2, eth_src=mac_from_str(b.mac), eth_dst=mac_from_str(ROUTER_MAC),
            ethertype=0x0800, nw_src=ipv4_from_str("10.95.1.1"), nw_dst=ipv4_from_str(PUBLIC_IP),
            nw_proto=6, nw_ttl=64, src_port=7000, dst_port=40000,
        )  # fmt: skip
        reply_actions = (
            SetField("eth_src", mac_from_str(ROUTER_MAC)),
            SetField("eth_dst", mac_from_str(a.mac)),
            SetField("nw_ttl", 63),
            SetField("nw_dst", ipv4_from_str(a.ip)),
            SetField("dst_port", 40123),
            Output(A_PORT_ID),
        )
        back_key = entry_key(reply, ifindexes[B_PORT_ID])
        back_value = entry_value(reply, reply_actions, ifindexes.get)  # type: ignore[arg-type]
        assert (
            back_key is not None and back_value is not None and fast_path.add(back_key, back_value)
        )
        server = b.popen("python3", "-c", (
            "import socket\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', 7000)); s.listen(1); s.settimeout(20)\n"
            "c, peer = s.accept(); n = 0\n"
            "while True:\n"
            "    d = c.recv(65536)\n"
            "    if not d: break\n"
            "    n += len(d)\n"
            "c.sendall(f'{peer[0]}:{peer[1]} {n}'.encode()); c.close()\n"
        ))  # fmt: skip
        time.sleep(0.3)
        client = a.run("python3", "-c", (
            "import socket\n"
            "c = socket.socket(); c.bind(('0.0.0.0', 40123)); c.settimeout(20)\n"
            "c.connect(('10.95.1.1', 7000)); c.sendall(b'x' * 4_000_000)\n"
            "c.shutdown(socket.SHUT_WR); print(c.recv(100).decode())\n"
        ), timeout=40)  # fmt: skip
        server.communicate(timeout=15)
        assert client.stdout.strip() == f"{PUBLIC_IP}:40000 4000000"
        sent = fast_path.counted(out)
        assert sent is not None and sent[1] > 4_000_000
        assert all(s.receive() is None for s in sockets)  # nothing reached the agent
    finally:
        for s in sockets:
            s.close()


def test_a_drop_flow_drops_in_the_kernel(lab: NetLab, fast_path: KernelFastPath) -> None:
    a, b = _guests(lab)
    ifindexes = _ifindexes(a, b)
    agent_side = PacketSocket(a.outer)
    fast_path.attach(ifindexes[A_PORT_ID], agent_side.sock)
    capture = Capture(b, 1, timeout=1.0)
    try:
        key = _offload(fast_path, _match(a, 17, 5001, 9, 1), (), ifindexes)
        _udp(a, b"dropped", 9, sport=5001, count=5)
        assert wait_for(lambda: (fast_path.counted(key) or (0, 0))[0] == 5, timeout=5)
        assert not capture.frames()
        assert agent_side.receive() is None
    finally:
        agent_side.close()
        capture.close()


def test_flows_the_kernel_cannot_do_are_not_offloaded() -> None:
    base = FlowMatch(in_port=1, ethertype=0x0800, nw_proto=17, nw_ttl=64, src_port=1, dst_port=2)
    ifindex_of = {A_PORT_ID: 7}.get
    assert entry_key(base._replace(vlan_ids=(5,)), 7) is None
    assert entry_key(base._replace(nw_proto=1, src_port=3), 7) is None  # an ICMP error
    assert entry_key(base._replace(ethertype=0x86DD), 7) is None
    assert entry_key(base._replace(frag_type=1), 7) is None
    assert entry_value(base, (Output(B_PORT_ID),), ifindex_of) is None  # not bound here
    two = (Output(A_PORT_ID), Output(A_PORT_ID))
    assert entry_value(base, two, ifindex_of) is None  # a flood
    assert entry_value(base, (SetField("nw_src", 1),), ifindex_of) is None  # no output
    value = entry_value(base, (Output(A_PORT_ID),), ifindex_of)
    assert value is not None and counters(value) == (0, 0)


def test_an_echo_through_snat_runs_in_the_kernel_both_ways(
    lab: NetLab, fast_path: KernelFastPath
) -> None:
    a, b, ifindexes, sockets = _both_attached(lab, fast_path)
    try:
        request = _match(a, 1, 8, 0, 1)._replace(icmp_id=4242)  # type 8, code 0
        snat = (*_snat_actions(b, 0)[:4], Output(B_PORT_ID))  # an echo keeps its id
        out = _offload(fast_path, request, snat, ifindexes)
        reply = FlowMatch(
            in_port=2, eth_src=mac_from_str(b.mac), eth_dst=mac_from_str(ROUTER_MAC),
            ethertype=0x0800, nw_src=ipv4_from_str("10.95.1.1"),
            nw_dst=ipv4_from_str(PUBLIC_IP), nw_proto=1, nw_ttl=64, icmp_id=4242,
        )  # fmt: skip
        back = (
            SetField("eth_src", mac_from_str(ROUTER_MAC)),
            SetField("eth_dst", mac_from_str(a.mac)),
            SetField("nw_ttl", 63),
            SetField("nw_dst", ipv4_from_str(a.ip)),
            Output(A_PORT_ID),
        )
        back_key = entry_key(reply, ifindexes[B_PORT_ID])
        back_value = entry_value(reply, back, ifindexes.get)
        assert back_key is not None and back_value is not None
        assert fast_path.add(back_key, back_value)
        done = a.run("ping", "-c", "3", "-i", "0.2", "-W", "2", "-e", "4242", "10.95.1.1",
                     check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert (fast_path.counted(out) or (0, 0))[0] == 3
        assert (fast_path.counted(back_key) or (0, 0))[0] == 3
        assert all(s.receive() is None for s in sockets)
    finally:
        for s in sockets:
            s.close()


def test_a_large_map_allocates_as_it_fills(fast_path: KernelFastPath) -> None:
    from midonet.agent.datapath import bpf_sys

    big = bpf_sys.HashMap("mn_test", 4, 8, 4 * bpf_sys.PREALLOCATE_UP_TO)
    try:
        big.update(b"\1\2\3\4", b"\5" * 8)
        assert big.lookup(b"\1\2\3\4") == b"\5" * 8
        assert big.pop(b"\1\2\3\4") == b"\5" * 8 and big.lookup(b"\1\2\3\4") is None
        with pytest.raises(ValueError, match="3 bytes given for a 4-byte map field"):
            big.update(b"\1\2\3", b"\5" * 8)
    finally:
        big.close()
