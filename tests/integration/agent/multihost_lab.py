"""Several hosts on one machine: each a network namespace on an underlay bridge,
running its own `midolman` process, all sharing one embedded NSDB file. VMs are
namespaces whose veth peer lives in their host's namespace. Everything is named
with the lab's prefix and removed by name (and processes by pid) on cleanup."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from netlab import Guest, run, wait_for

from midonet.agent.host_id import read_host_id
from midonet.store import EmbeddedStore
from midonet.store.state import HostAlive

_COUNTER = itertools.count()


@dataclass
class SimHost:
    name: str
    netns: str
    underlay_ip: str
    state_dir: Path
    process: subprocess.Popen[str] | None = None
    host_id: uuid.UUID | None = None
    log: Path = field(default_factory=Path)

    def exec(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *args]


class MultiHostLab:
    def __init__(self, root: Path) -> None:
        n = next(_COUNTER)
        self.prefix = f"mh{os.getpid() % 10000}{n}"
        self.root = root
        self.nsdb = root / "nsdb.db"
        self.bridge = f"{self.prefix}br"
        self.namespaces: list[str] = []
        self.links: list[str] = []
        self.hosts: list[SimHost] = []
        run("ip", "link", "add", self.bridge, "type", "bridge")
        self.links.append(self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def host(self, name: str, index: int) -> SimHost:
        netns = f"{self.prefix}{name}"
        self.namespaces.append(netns)
        run("ip", "netns", "add", netns)
        outer, inner = f"{self.prefix}{name}u", f"{self.prefix}{name}v"
        run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", netns)
        self.links.append(outer)
        run("ip", "link", "set", outer, "master", self.bridge, "up")
        ns = ["ip", "netns", "exec", netns]
        run(*ns, "ip", "link", "set", "lo", "up")
        run(*ns, "ip", "link", "set", inner, "up")
        ip = f"10.199.0.{index}"
        run(*ns, "ip", "addr", "add", f"{ip}/24", "dev", inner)
        state_dir = self.root / name
        state_dir.mkdir()
        host = SimHost(name, netns, ip, state_dir, log=state_dir / "midolman.log")
        self.hosts.append(host)
        return host

    def start(self, host: SimHost) -> uuid.UUID:
        with host.log.open("a") as log:
            host.process = self._popen(host, log)
        assert wait_for(lambda: read_host_id(host.state_dir) is not None, 15), host.log.read_text()
        return self._wait_alive(host)

    def _popen(self, host: SimHost, log: IO[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            host.exec(
                sys.executable, "-m", "midonet.agent.main",
                "--nsdb", f"file:{self.nsdb}", "--state-dir", str(host.state_dir),
                "--hostname", host.name, "--log-level", "INFO",
            ),
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def _wait_alive(self, host: SimHost) -> uuid.UUID:
        host_id = read_host_id(host.state_dir)
        assert host_id is not None
        host.host_id = host_id
        with EmbeddedStore(self.nsdb) as store:
            assert wait_for(lambda: HostAlive(store.state).is_alive(host_id), 20), (
                host.log.read_text()
            )
        return host_id

    def stop(self, host: SimHost) -> None:
        if host.process is None:
            return
        if host.process.poll() is None:
            host.process.send_signal(signal.SIGTERM)
            try:
                host.process.wait(15)
            except subprocess.TimeoutExpired:
                host.process.kill()
                host.process.wait(5)
        host.process = None

    def vm(self, host: SimHost, tag: str, cidr: str, gateway: str | None = None) -> Guest:
        """A VM namespace whose interface's peer (`outer`) is in `host`'s namespace."""
        netns = f"{self.prefix}{tag}"
        outer, inner = f"{self.prefix}{tag}o", f"{self.prefix}{tag}i"
        self.namespaces.append(netns)
        run("ip", "netns", "add", netns)
        run(*host.exec("ip", "link", "add", outer, "type", "veth", "peer", "name", inner,
                       "netns", netns))  # fmt: skip
        run(*host.exec("sysctl", "-q", "-w", f"net.ipv6.conf.{outer}.disable_ipv6=1"), check=False)
        run(*host.exec("ip", "link", "set", outer, "up"))
        ns = ["ip", "netns", "exec", netns]
        run(*ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        run(*ns, "ip", "link", "set", "lo", "up")
        run(*ns, "ip", "link", "set", inner, "up")
        run(*ns, "ip", "addr", "add", cidr, "dev", inner)
        if gateway is not None:
            run(*ns, "ip", "route", "add", "default", "via", gateway)
        mac = run(*ns, "cat", f"/sys/class/net/{inner}/address").stdout.strip()
        return Guest(netns, outer, inner, cidr.split("/", maxsplit=1)[0], mac)

    def cleanup(self) -> None:
        for host in self.hosts:
            self.stop(host)
        for netns in reversed(self.namespaces):
            run("ip", "netns", "del", netns, check=False)
        for link in self.links:
            run("ip", "link", "del", link, check=False)
