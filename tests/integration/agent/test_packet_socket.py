"""The datapath's view of a real veth: with and without the RX ring, a VLAN tag the
kernel offloaded is put back and a checksum left to offload is completed (needs
root)."""

from __future__ import annotations

import time
import warnings

import pytest
from netlab import NetLab, root_and_tools, wait_for

from midonet.agent.datapath.packet_socket import PacketSocket, Received

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Dot1Q, Ether

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

SEND = (
    "import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "u.sendto(b'payload!', ('{dst}', 9))"
)


def next_udp(sock: PacketSocket, timeout: float = 5.0) -> Ether:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received: Received | None = sock.receive()
        if received is None:
            time.sleep(0.01)
            continue
        frame = Ether(received.frame)
        if UDP in frame and frame[UDP].dport == 9:
            return frame
    raise AssertionError("no UDP frame arrived")


@pytest.mark.parametrize("ring", [True, False], ids=["ring", "recvmsg"])
def test_vlan_tags_are_restored_and_checksums_completed(lab: NetLab, ring: bool) -> None:
    guest = lab.guest("s", "10.94.0.1/24")
    # A static neighbour: no ARP on the wire.
    guest.run("ip", "neigh", "add", "10.94.0.2", "lladdr", "02:00:00:00:00:09", "dev", guest.inner)
    # A tagged frame: the receiving side's kernel moves the tag into metadata before
    # packet sockets see it (no 8021q module is needed for that).
    tagged_frame = bytes(
        Ether(src=guest.mac, dst="02:00:00:00:00:09")
        / Dot1Q(vlan=7)
        / IP(src="10.94.7.1", dst="10.94.7.2")
        / UDP(sport=5000, dport=9)
        / b"payload!"
    )
    inject = (
        "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
        f"s.bind(('{guest.inner}', 0)); s.send(bytes.fromhex('{tagged_frame.hex()}'))"
    )
    sock = PacketSocket(guest.outer, ring=ring)
    try:
        assert sock.has_ring is ring
        guest.run("python3", "-c", SEND.format(dst="10.94.0.2"))
        plain = next_udp(sock)
        guest.run("python3", "-c", inject)
        tagged = next_udp(sock)
    finally:
        sock.close()
    assert Dot1Q not in plain
    assert Dot1Q in tagged and tagged[Dot1Q].vlan == 7 and tagged[IP].dst == "10.94.7.2"
    for frame in (plain, tagged):
        check = frame.copy()
        del check[UDP].chksum
        assert Ether(bytes(check))[UDP].chksum == frame[UDP].chksum
        assert frame[UDP].load == b"payload!"


def test_a_ring_out_of_step_is_resynced_to_the_oldest_frame(lab: NetLab) -> None:
    guest = lab.guest("r", "10.94.1.1/24")
    guest.run("ip", "neigh", "add", "10.94.1.2", "lladdr", "02:00:00:00:00:09", "dev", guest.inner)
    sock = PacketSocket(guest.outer)
    try:
        assert sock.has_ring
        assert not sock.resync()  # nothing waiting: nothing to do
        send_three = (
            "import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for i in range(3): u.sendto(bytes([i]) * 8, ('10.94.1.2', 9))"
        )
        guest.run("python3", "-c", send_three)
        time.sleep(0.2)
        sock._head += 5  # what was seen under a flood: reading where nothing is
        assert sock.receive() is None
        assert sock.resync()
        payloads = []
        for _ in range(3):
            frame = next_udp(sock)
            payloads.append(bytes(frame[UDP].payload)[:1])
        assert payloads == [b"\x00", b"\x01", b"\x02"]  # the oldest first, in order
    finally:
        sock.close()


def test_the_datapath_reads_past_a_hole_in_the_ring_without_a_wake_up(lab: NetLab) -> None:
    import threading
    import uuid

    from midonet.agent.datapath.datapath import Datapath
    from midonet.agent.loop import EventLoop

    guest = lab.guest("h", "10.94.2.1/24")
    guest.run("ip", "neigh", "add", "10.94.2.2", "lladdr", "02:00:00:00:00:09", "dev", guest.inner)
    loop = EventLoop()
    got: list[bytes] = []
    datapath = Datapath(loop, lambda port, received: got.append(received.frame))
    port = datapath.add_port(uuid.uuid4(), guest.outer)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    send = (
        "import socket, sys; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for i in range(int(sys.argv[1])): u.sendto(bytes([i]) * 8, ('10.94.2.2', 9))"
    )
    try:
        guest.run("python3", "-c", send, "2")
        assert wait_for(lambda: len([f for f in got if len(f) > 42 and f[23] == 17]) >= 2)
        # Step the reader back onto a slot it already emptied: the kernel fills the
        # slots after it, and poll() never reports them (what a hole looks like).
        loop.call_soon_threadsafe(lambda: setattr(port.socket, "_head", port.socket._head - 1))
        time.sleep(0.1)
        before = len(got)
        guest.run("python3", "-c", send, "3")
        assert wait_for(lambda: len(got) >= before + 3, timeout=5.0)
        assert datapath.stats.ring_resyncs >= 1
    finally:
        loop.call_soon_threadsafe(datapath.close)
        loop.stop()
        thread.join(5)
        loop.close()
