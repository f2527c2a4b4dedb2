"""Proving the sandbox works: real ping and TCP between its namespaces."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from midonet.sandbox.cloud import EXTERNAL_IP, FLOATING_IP, SNAT_ADDRESS, VIP

CONNECT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(s.recv(200).decode().strip()); s.close()
"""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"  {'PASS' if self.ok else 'FAIL'}  {self.name}" + (
            f"  ({self.detail})" if self.detail else ""
        )


def _exec(netns: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", netns, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ping(netns: str, ip: str, count: int = 3) -> tuple[bool, str]:
    done = _exec(netns, "ping", "-c", str(count), "-i", "0.3", "-W", "2", ip)
    summary = next((ln for ln in done.stdout.splitlines() if "packets transmitted" in ln), "")
    return done.returncode == 0, summary or done.stderr.strip()


def connect(netns: str, ip: str, port: int) -> tuple[bool, str]:
    """Connect and read the server's one line: (connected, the line or the error)."""
    done = _exec(netns, sys.executable, "-c", CONNECT, ip, str(port))
    if done.returncode == 0:
        return True, done.stdout.strip()
    errors = done.stderr.strip().splitlines()
    return False, errors[-1] if errors else f"exit status {done.returncode}"


def run_checks(vms: dict[str, tuple[str, str, int]], external: str) -> list[Check]:
    """vms: name → (namespace, ip, host index)."""
    checks: list[Check] = []

    def check(name: str, probe: Callable[[], tuple[bool, str]]) -> None:
        ok, detail = probe()
        checks.append(Check(name, ok, detail))

    vm1, vm2 = vms["vm1"], vms["vm2"]
    where = "same host" if vm1[2] == vm2[2] else f"host h{vm1[2]} to h{vm2[2]} over VXLAN"
    check(f"ping vm1 -> vm2 ({where})", lambda: ping(vm1[0], vm2[1]))
    check("ping vm1 -> its router 10.0.0.1", lambda: ping(vm1[0], "10.0.0.1"))
    check(f"ping vm2 -> external {EXTERNAL_IP} (SNAT)", lambda: ping(vm2[0], EXTERNAL_IP))
    check(f"ping external -> floating IP {FLOATING_IP} (vm1)", lambda: ping(external, FLOATING_IP))

    def snat_tcp() -> tuple[bool, str]:
        server = subprocess.Popen(
            ["ip", "netns", "exec", external, sys.executable, "-c", _ONE_SHOT_SERVER],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            time.sleep(0.5)
            ok, detail = connect(vm2[0], EXTERNAL_IP, 7777)
        finally:
            server.kill()
            server.communicate()
        if not ok:
            return False, detail
        return detail.endswith(SNAT_ADDRESS), f"the server saw {detail.split()[-1]}"

    check(f"TCP vm2 -> external, seen from {SNAT_ADDRESS}", snat_tcp)

    def vip() -> tuple[bool, str]:
        seen: dict[str, int] = {}
        for _ in range(12):
            ok, answer = connect(external, VIP, 80)
            if not ok:
                return False, answer
            name = answer.split()[0]
            seen[name] = seen.get(name, 0) + 1
        spread = ", ".join(f"{k} x{v}" for k, v in sorted(seen.items()))
        return len(seen) >= 2, spread

    check(f"TCP external -> VIP {VIP}:80, 12 connections over 3 backends", vip)
    return checks


_ONE_SHOT_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7777)); s.listen(1); s.settimeout(20)
c, peer = s.accept(); c.sendall(f"external {peer[0]}\\n".encode()); c.close()
"""
