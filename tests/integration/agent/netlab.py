"""Network namespaces and veth pairs for the agent's integration tests.

A `NetLab` makes namespaces whose names start with its own unique prefix, each
joined to the root namespace by a veth pair; the root end is what the agent binds.
`cleanup()` removes everything it made, by name, whatever state the test left.
Traffic only ever flows inside these namespaces and through the agent.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_COUNTER = itertools.count()


def run(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class Guest:
    """A namespace with one interface (`inner`) whose peer `outer` is in the root."""

    netns: str
    outer: str
    inner: str
    ip: str
    mac: str

    def cmd(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *args]

    def run(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return run(*self.cmd(*args), check=check, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def ping(self, ip: str, count: int = 3, timeout: float = 2.0) -> bool:
        done = self.run(
            "ping", "-c", str(count), "-i", "0.2", "-W", str(timeout), ip,
            check=False, timeout=count * (timeout + 1) + 5,
        )  # fmt: skip
        return done.returncode == 0


class NetLab:
    def __init__(self) -> None:
        n = next(_COUNTER)
        self.prefix = f"mn{os.getpid() % 100000}{n}"
        self.namespaces: list[str] = []
        self.links: list[str] = []

    def guest(self, tag: str, cidr: str, gateway: str | None = None) -> Guest:
        """A namespace `<prefix><tag>` with address `cidr` (and a default route)."""
        netns, outer, inner = f"{self.prefix}{tag}", f"{self.prefix}{tag}o", f"{self.prefix}{tag}i"
        assert len(outer) <= 15, outer
        self.namespaces.append(netns)
        run("ip", "netns", "add", netns)
        self.links.append(outer)
        run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", netns)
        _no_ipv6(Path(f"/proc/sys/net/ipv6/conf/{outer}/disable_ipv6"))
        run("ip", "link", "set", outer, "up")
        ns = ["ip", "netns", "exec", netns]
        run(*ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        run(*ns, "ip", "link", "set", "lo", "up")
        run(*ns, "ip", "link", "set", inner, "up")
        run(*ns, "ip", "addr", "add", cidr, "dev", inner)
        if gateway is not None:
            run(*ns, "ip", "route", "add", "default", "via", gateway)
        mac = run(*ns, "cat", f"/sys/class/net/{inner}/address").stdout.strip()
        return Guest(netns, outer, inner, cidr.split("/", maxsplit=1)[0], mac)

    def recreate(self, guest: Guest) -> None:
        """Delete the guest's veth pair and make it again under the same names."""
        run("ip", "link", "del", guest.outer)
        time.sleep(0.2)
        run("ip", "link", "add", guest.outer, "type", "veth", "peer", "name", guest.inner,
            "netns", guest.netns)  # fmt: skip
        _no_ipv6(Path(f"/proc/sys/net/ipv6/conf/{guest.outer}/disable_ipv6"))
        run("ip", "link", "set", guest.outer, "up")
        run(*guest.cmd("ip", "link", "set", guest.inner, "up"))
        run(*guest.cmd("ip", "addr", "add", f"{guest.ip}/24", "dev", guest.inner))

    def cleanup(self) -> None:
        for link in self.links:
            run("ip", "link", "del", link, check=False)
        for netns in self.namespaces:
            run("ip", "netns", "del", netns, check=False)


def _no_ipv6(path: Path) -> None:
    """Keep the host's stack quiet on the bound end (no router solicitations)."""
    with contextlib.suppress(OSError):
        path.write_text("1")


class LineReader:
    """Collects a process's output lines on a thread (to watch a running ping)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self._thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait_for(predicate: object, timeout: float = 10.0, interval: float = 0.05) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def root_and_tools() -> Sequence[str]:
    """What is missing to run these tests ('' entries when all is there)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    for tool in ("ip", "ping"):
        if run("sh", "-c", f"command -v {tool}", check=False).returncode != 0:
            missing.append(tool)
    return missing
