"""What a sandbox made, written to `sandbox.json` as it is made, so `down` (or a
failed `up`) removes exactly that: processes by recorded pid, namespaces and links
by recorded name."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "sandbox.json"


@dataclass
class Process:
    name: str
    pid: int
    marker: str
    """Text that is in the process's command line (guards against a reused pid)."""


@dataclass
class Record:
    state_dir: Path
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> Record | None:
        path = state_dir / FILE_NAME
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        return cls(
            state_dir,
            list(raw.get("namespaces", [])),
            list(raw.get("links", [])),
            [Process(**p) for p in raw.get("processes", [])],
            dict(raw.get("info", {})),
        )

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "namespaces": self.namespaces,
            "links": self.links,
            "processes": [asdict(p) for p in self.processes],
            "info": self.info,
        }
        temporary = self.state_dir / (FILE_NAME + ".tmp")
        temporary.write_text(json.dumps(data, indent=2))
        temporary.replace(self.state_dir / FILE_NAME)

    def add_namespace(self, name: str) -> None:
        self.namespaces.append(name)
        self.save()

    def add_link(self, name: str) -> None:
        self.links.append(name)
        self.save()

    def add_process(self, name: str, proc: subprocess.Popen[bytes], marker: str) -> None:
        self.processes.append(Process(name, proc.pid, marker))
        self.save()

    # --- teardown --------------------------------------------------------------------------

    def alive(self, process: Process) -> bool:
        try:
            cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        except OSError:
            return False
        return process.marker.encode() in cmdline

    def teardown(self) -> list[str]:
        """Stop the processes, delete the namespaces and links; returns problems."""
        problems: list[str] = []
        for process in reversed(self.processes):
            if self.alive(process):
                _stop(process.pid)
            if self.alive(process):
                problems.append(f"process {process.name} ({process.pid}) did not stop")
        for namespace in reversed(self.namespaces):
            done = _ip("netns", "del", namespace)
            if done.returncode != 0 and namespace in _existing_namespaces():
                problems.append(f"namespace {namespace}: {done.stderr.strip()}")
        for link in reversed(self.links):
            if Path(f"/sys/class/net/{link}").exists():
                done = _ip("link", "del", link)
                if done.returncode != 0:
                    problems.append(f"link {link}: {done.stderr.strip()}")
        if not problems:
            (self.state_dir / FILE_NAME).unlink(missing_ok=True)
        return problems


def _stop(pid: int) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            _reap(pid)
            time.sleep(0.1)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)


def _existing_namespaces() -> set[str]:
    out = _ip("netns", "list").stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}
