"""`midonet-sandbox up / status / down` end to end, and the teardown of a half-made
sandbox (needs root)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from midonet.sandbox.record import Record

pytestmark = [pytest.mark.netns]


def _sandbox(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "midonet.sandbox.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _cli(api: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "midonet.cli.main", "--midonet-url", api, "-A", "-e", command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _leftovers(prefix: str) -> list[str]:
    names = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return [line for line in (names + links).splitlines() if prefix in line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_up_status_down_leaves_nothing_behind(tmp_path: Path) -> None:
    if _leftovers("mnsb-"):
        pytest.skip("a sandbox is already up on this machine")
    state = tmp_path / "sandbox"
    common = ["--state-dir", str(state)]
    try:
        up = _sandbox(*common, "up", "--hosts", "2", "--api-port", str(_free_port()))
        assert up.returncode == 0, up.stdout + up.stderr
        for check in (
            "PASS  ping vm1 -> vm2 (host h1 to h2 over VXLAN)",
            "PASS  ping vm2 -> external 198.51.100.2 (SNAT)",
            "PASS  ping external -> floating IP 203.0.113.10 (vm1)",
            "PASS  TCP vm2 -> external, seen from 203.0.113.1",
            "PASS  TCP external -> VIP 203.0.113.100:80",
        ):
            assert check in up.stdout, up.stdout
        assert "midonet-cli --midonet-url" in up.stdout
        # The printed trace command works, and the owning agent answers it.
        trace_line = next(line for line in up.stdout.splitlines() if "'trace from" in line)
        api = trace_line.split("--midonet-url ")[1].split()[0]
        command = trace_line.split("-e '")[1].rstrip("'")
        traced = _cli(api, command)
        assert traced.returncode == 0, traced.stdout + traced.stderr
        assert "traced by agent" in traced.stdout and "FORWARD to" in traced.stdout
        meters = subprocess.run(
            [sys.executable, "-m", "midonet.tools.mm_meter", "-h", "10.250.0.1", "list"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert meters.returncode == 0 and "meters:device:" in meters.stdout, meters.stderr
        record = Record.load(state)
        assert record is not None
        pids = [p.pid for p in record.processes]
        status = _sandbox(*common, "status")
        assert status.returncode == 0 and "PASS  ping vm1 -> vm2" in status.stdout, status.stdout
        again = _sandbox(*common, "up")
        assert again.returncode == 1 and "already up" in again.stdout
    finally:
        down = _sandbox(*common, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert _leftovers("mnsb-") == []
    assert not state.exists()
    for pid in pids:
        assert (
            not Path(f"/proc/{pid}").exists()
            or b"midonet" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
    assert _sandbox(*common, "down").stdout.startswith("no sandbox")


def test_teardown_removes_a_half_made_sandbox(tmp_path: Path) -> None:
    record = Record(tmp_path)
    tag = f"mnsbt{time.monotonic_ns() % 100000}"
    subprocess.run(["ip", "netns", "add", tag], check=True)
    record.add_namespace(tag)
    subprocess.run(["ip", "link", "add", f"{tag}b", "type", "bridge"], check=True)
    record.add_link(f"{tag}b")
    record.add_link(f"{tag}never-made")  # a failure before this link was made
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", tag], start_new_session=True
    )
    record.add_process("sleeper", proc, tag)
    loaded = Record.load(tmp_path)
    assert loaded is not None and loaded.namespaces == [tag]
    assert loaded.teardown() == []
    proc.wait(5)
    assert _leftovers(tag) == []
    assert Record.load(tmp_path) is None
