"""Where the checks come from: a network namespace per pool, plugged into the load
balancer's router like MidoNet's HAProxy namespace.

The namespace `mnhm<pool>` holds one end of a veth pair, 169.254.X.2/30 with the
router side (169.254.X.1) as its default route; the other end stays in the agent's
namespace and is bound to a port of the router that the monitor creates in the
NSDB. A checker thread enters the namespace once (setns on its own thread) and
opens every probe socket there, so the connects travel the virtual topology to the
members exactly as a client's would.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import queue
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable
from typing import Final

from midonet.errors import MidonetError

log = logging.getLogger(__name__)

CLONE_NEWNET: Final = 0x40000000
PREFIX: Final = "mnhm"

Result = Callable[[uuid.UUID, bool], None]


class ProbeError(MidonetError):
    """The probe namespace could not be made."""


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise ProbeError(f"`{' '.join(args)}`: {done.stderr.strip()}")


def link_network(pool_id: uuid.UUID) -> ipaddress.IPv4Network:
    """A /30 in 169.254.0.0/16 for the pool (169.254.0.0/24 is left alone)."""
    index = pool_id.int % 16320 + 64  # /30 number 64-16383: clear of 169.254.0.x
    return ipaddress.IPv4Network((int(ipaddress.IPv4Address("169.254.0.0")) + index * 4, 30))


class Probe:
    """The namespace of one pool and its checker thread."""

    def __init__(self, pool_id: uuid.UUID, on_result: Result) -> None:
        short = pool_id.hex[:8]
        self.netns = f"{PREFIX}{short}"
        self.outer, self.inner = f"{PREFIX}{short}o", f"{PREFIX}{short}i"
        network = link_network(pool_id)
        hosts = list(network.hosts())
        self.router_ip, self.ip = hosts[0], hosts[1]
        self.network = network
        self._on_result = on_result
        self._jobs: queue.Queue[tuple[uuid.UUID, str, int, float] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def create(self) -> None:
        self.destroy()  # a stale one from a previous run
        _run("ip", "netns", "add", self.netns)
        _run("ip", "link", "add", self.outer, "type", "veth", "peer", "name", self.inner,
             "netns", self.netns)  # fmt: skip
        _run("ip", "link", "set", self.outer, "up")
        ns = ("ip", "netns", "exec", self.netns)
        _run(*ns, "ip", "link", "set", "lo", "up")
        _run(*ns, "ip", "link", "set", self.inner, "up")
        _run(*ns, "ip", "addr", "add", f"{self.ip}/30", "dev", self.inner)
        _run(*ns, "ip", "route", "add", "default", "via", str(self.router_ip))
        self._thread = threading.Thread(target=self._work, name=f"health {self.netns}", daemon=True)
        self._thread.start()

    def check(self, member_id: uuid.UUID, ip: str, port: int, timeout: float) -> None:
        self._jobs.put((member_id, ip, port, timeout))

    def destroy(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(10)
            self._thread = None
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, check=False)

    def _work(self) -> None:
        try:
            _enter(self.netns)
        except OSError as e:
            log.error("health monitor cannot enter namespace %s: %s", self.netns, e)
            return
        while True:
            job = self._jobs.get()
            if job is None:
                return
            member_id, ip, port, timeout = job
            try:
                with socket.create_connection((ip, port), timeout=timeout):
                    ok = True
            except OSError:
                ok = False
            self._on_result(member_id, ok)


def _enter(netns: str) -> None:
    """Move the calling thread into network namespace `netns` (Linux setns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
    finally:
        os.close(fd)
