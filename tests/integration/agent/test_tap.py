"""A TAP device bound to a virtual port, as a VM's interface is: the test plays the
VM on the /dev/net/tun side and asks the router for its MAC (needs root)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import time
import warnings

import pytest
from agentlab import RunningAgent, router_port
from netlab import NetLab, root_and_tools, run

from midonet.model import Router

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.l2 import ARP, Ether

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
    pytest.mark.skipif(not os.path.exists("/dev/net/tun"), reason="needs /dev/net/tun"),
]

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
VM_MAC = "02:00:00:00:97:05"


def open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def test_a_tap_port_gets_the_routers_arp_reply(agent: RunningAgent, lab: NetLab) -> None:
    name = f"{lab.prefix}t"
    lab.links.append(name)  # removed by name whatever happens
    fd = open_tap(name)
    try:
        run("ip", "link", "set", name, "up")
        router = Router(name="r")
        agent.store.create(router)
        port = router_port(agent, router, "10.97.0.1/24", ifname=name)
        agent.wait_active(port)
        request = Ether(src=VM_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
            hwsrc=VM_MAC, psrc="10.97.0.5", pdst="10.97.0.1"
        )
        deadline = time.monotonic() + 5
        reply = None
        while reply is None and time.monotonic() < deadline:
            os.write(fd, bytes(request))
            while select.select([fd], [], [], 0.2)[0]:
                frame = Ether(os.read(fd, 2048))
                if ARP in frame and frame[ARP].op == 2 and frame[ARP].psrc == "10.97.0.1":
                    reply = frame
                    break
        assert reply is not None, "no ARP reply from the router"
        assert reply[ARP].pdst == "10.97.0.5" and reply.dst == VM_MAC
        assert reply[ARP].hwsrc == port.port_mac
    finally:
        os.close(fd)
