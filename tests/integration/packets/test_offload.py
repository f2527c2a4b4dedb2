"""Frames from a real kernel: a veth hands user space TCP/UDP frames whose checksum
is left to offload (CHECKSUM_PARTIAL). parse must report them PARTIAL, and
serialize must complete them."""

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from midonet.packets import TCP, UDP, ChecksumStatus, IPv4, parse

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2"
    ),
]

SUFFIX = os.getpid() % 100_000
NETNS = f"mnpkt{SUFFIX}"
OUTER, INNER = f"mnpk{SUFFIX}a", f"mnpk{SUFFIX}b"  # within IFNAMSIZ
PEER_IP, OUR_IP = "10.250.0.2", "10.250.0.1"


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@pytest.fixture
def veth() -> Iterator[socket.socket]:
    """A veth pair, one end in a namespace of its own with an address; the other end
    here, with an AF_PACKET socket on it. Removed by name whatever happens."""
    try:
        run("ip", "netns", "add", NETNS)
        run("ip", "link", "add", OUTER, "type", "veth", "peer", "name", INNER, "netns", NETNS)
        run("ip", "link", "set", OUTER, "up")
        run("ip", "netns", "exec", NETNS, "ip", "link", "set", INNER, "up")
        run("ip", "netns", "exec", NETNS, "ip", "addr", "add", f"{PEER_IP}/24", "dev", INNER)
        # A static neighbour: no ARP to answer, no address on this side.
        run(
            "ip", "netns", "exec", NETNS, "ip", "neigh", "add", OUR_IP,
            "lladdr", "02:00:00:00:00:01", "dev", INNER,
        )  # fmt: skip
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)) as sock:
            sock.bind((OUTER, 0))
            sock.settimeout(5)
            yield sock
    finally:
        subprocess.run(["ip", "link", "del", OUTER], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)


def send_from_namespace(code: str) -> None:
    run("ip", "netns", "exec", NETNS, sys.executable, "-c", code)


def next_ipv4(sock: socket.socket, proto: int) -> IPv4:
    while True:
        frame = parse(sock.recv(65535))
        ip = frame.payload
        if isinstance(ip, IPv4) and ip.proto == proto:
            return ip


def test_tcp_syn_from_a_veth_is_partial(veth: socket.socket) -> None:
    send_from_namespace(
        f"import socket; s = socket.socket(); s.settimeout(0.2); s.connect_ex(('{OUR_IP}', 9))"
    )
    ip = next_ipv4(veth, socket.IPPROTO_TCP)
    segment = ip.payload
    assert isinstance(segment, TCP) and segment.dst_port == 9
    assert ip.checksum_status is ChecksumStatus.VALID  # IP header sums are never offloaded
    assert segment.checksum_status is ChecksumStatus.PARTIAL
    completed = IPv4.from_bytes(ip.serialize()).payload
    assert isinstance(completed, TCP)
    assert completed.checksum_status is ChecksumStatus.VALID


def test_udp_from_a_veth_is_partial(veth: socket.socket) -> None:
    send_from_namespace(
        "import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"u.sendto(b'hello', ('{OUR_IP}', 9))"
    )
    ip = next_ipv4(veth, socket.IPPROTO_UDP)
    assert isinstance(ip.payload, UDP) and ip.payload.payload == b"hello"
    assert ip.payload.checksum_status is ChecksumStatus.PARTIAL
