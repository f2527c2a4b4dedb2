"""Real ZooKeeper servers for tests and benchmarks: standalone or a loopback ensemble.

Uses Debian's `zookeeper` package (scripts/bootstrap installs it): each member is a
JVM running `ZooKeeperServerMain` (standalone) or `QuorumPeerMain` (ensemble member)
in its own temporary directory, on free loopback ports. `start` waits for `ruok` →
`imok`; `stop` waits for the JVM to exit so ports and directories can be reused.
The JVMs are asked to die with the Python process that started them (PDEATHSIG),
so a crashed test run leaves no server behind; Linux sends that signal when the
starting *thread* ends, so start servers from a thread that outlives them (the main
thread, as tests and benchmarks do).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

JARS = Path(os.environ.get("MIDONET_ZK_JARS", "/usr/share/java"))
CLASSPATH = ":".join(str(JARS / j) for j in ("zookeeper.jar", "slf4j-simple.jar"))


class ZooKeeperMissing(RuntimeError):
    """The ZooKeeper server package is not installed."""


def available() -> bool:
    return (JARS / "zookeeper.jar").exists() and shutil.which("java") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def four_letter(port: int, word: str, timeout: float = 1.0) -> str:
    """Send a four-letter command ("ruok", "srvr", "mntr"); the reply, "" if none."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while chunk := s.recv(4096):
                chunks.append(chunk)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def _die_with_parent() -> None:
    # Linux: SIGKILL the JVM when the process that started it goes away.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class ZooKeeperServer:
    """One server process. `peers` (ids → (quorum port, election port)) makes it an
    ensemble member with `myid`; without them it runs standalone."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        myid: int = 0,
        peers: dict[int, tuple[int, int]] | None = None,
        tick_ms: int = 500,
    ) -> None:
        if not available():
            raise ZooKeeperMissing(
                f"no ZooKeeper server in {JARS} (install Debian's zookeeper: scripts/bootstrap)"
            )
        self.directory = directory
        self.port = port or free_port()
        self.myid = myid
        self.peers = peers
        self.tick_ms = tick_ms
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        lines = [
            f"tickTime={self.tick_ms}",
            f"dataDir={data}",
            f"clientPort={self.port}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,stat,mntr,srvr",
            # Sessions as short as a test's TTL; ZooKeeper would round them up to 2 ticks.
            "minSessionTimeout=1000",
            "maxSessionTimeout=60000",
            "maxClientCnxns=0",
        ]
        if self.peers:
            (data / "myid").write_text(f"{self.myid}\n")
            lines += ["initLimit=20", "syncLimit=10"]
            lines += [
                f"server.{i}=127.0.0.1:{quorum}:{election}"
                for i, (quorum, election) in sorted(self.peers.items())
            ]
        config = self.directory / "zoo.cfg"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> None:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"server on port {self.port} is already running")
        main = "QuorumPeerMain" if self.peers else "ZooKeeperServerMain"
        config = self._write_config()
        log = (self.directory / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                "java",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.forceSync=no",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                CLASSPATH,
                f"org.apache.zookeeper.server.quorum.{main}"
                if self.peers
                else f"org.apache.zookeeper.server.{main}",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        )
        log.close()
        if wait:
            self.wait_ready(timeout)

    def ready(self) -> bool:
        # `imok` only says the process runs; `srvr` shows a Mode once it serves.
        return four_letter(self.port, "ruok", timeout=0.5) == "imok" and (
            "Mode:" in four_letter(self.port, "srvr", timeout=0.5)
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"ZooKeeper on port {self.port} exited; see {self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"ZooKeeper on port {self.port} not ready; {self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self) -> str:
        path = self.directory / "server.log"
        try:
            return path.read_text(errors="replace")[-2000:]
        except OSError:
            return f"(no log at {path})"

    def stop(self, *, kill: bool = False, timeout: float = 30.0) -> None:
        """SIGTERM (SIGKILL with `kill`) and wait for the JVM to exit."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Ensemble:
    """`size` ZooKeeper members on loopback, in subdirectories of `directory`."""

    def __init__(self, directory: Path, size: int = 3, *, tick_ms: int = 500) -> None:
        self.members = [
            ZooKeeperServer(directory / f"zk{i}", myid=i, peers={}, tick_ms=tick_ms)
            for i in range(1, size + 1)
        ]
        self._choose_ports()

    def _choose_ports(self) -> None:
        peers = {m.myid: (free_port(), free_port()) for m in self.members}
        for member in self.members:
            member.port = free_port()
            member.peers = peers

    @property
    def hosts(self) -> str:
        return ",".join(m.address for m in self.members)

    def start(self, timeout: float = 90.0, attempts: int = 3) -> None:
        """Start every member and wait until all serve. A port picked as free can be
        taken by another socket before the JVM binds it; then start again on new ports."""
        for attempt in range(1, attempts + 1):
            for member in self.members:
                member.start(wait=False)
            try:
                for member in self.members:
                    member.wait_ready(timeout)
                return
            except RuntimeError as e:
                self.stop()
                if attempt == attempts or "Address already in use" not in str(e):
                    raise
                self._choose_ports()

    def stop(self) -> None:
        for member in self.members:
            member.stop()


@contextlib.contextmanager
def standalone(tick_ms: int = 500) -> Iterator[ZooKeeperServer]:
    """A running standalone server in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="midonet-zk-") as tmp:
        server = ZooKeeperServer(Path(tmp), tick_ms=tick_ms)
        try:
            server.start()
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def ensemble(size: int = 3, tick_ms: int = 500) -> Iterator[Ensemble]:
    with tempfile.TemporaryDirectory(prefix="midonet-zk-ensemble-") as tmp:
        group = Ensemble(Path(tmp), size, tick_ms=tick_ms)
        try:
            group.start()
            yield group
        finally:
            group.stop()


_shared: tuple[ZooKeeperServer, tempfile.TemporaryDirectory[str]] | None = None
_shared_lock = threading.Lock()


def shared_server() -> ZooKeeperServer:
    """One standalone server for the whole process (a test session), started on
    first use and stopped at exit; tests isolate themselves by root path."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared[0].running:
            tmp = tempfile.TemporaryDirectory(prefix="midonet-zk-shared-")
            server = ZooKeeperServer(Path(tmp.name))
            server.start()
            _shared = (server, tmp)
            atexit.register(_stop_shared)
        return _shared[0]


def _stop_shared() -> None:
    global _shared
    if _shared is not None:
        server, tmp = _shared
        _shared = None
        server.stop()
        tmp.cleanup()


def stop_shared_server() -> None:
    """Stop the shared server now (a pytest session's end)."""
    with _shared_lock:
        _stop_shared()


__all__: Sequence[str] = (
    "Ensemble",
    "ZooKeeperMissing",
    "ZooKeeperServer",
    "available",
    "ensemble",
    "four_letter",
    "free_port",
    "shared_server",
    "standalone",
    "stop_shared_server",
)
