"""The interactive mode: help, describe, and (on a pty) the prompt and tab completion."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from cli_harness import CLI, Cli


def test_help_and_describe(cli: Cli) -> None:
    result = cli.session("help\ndescribe rule\ndescribe nothing\n")
    out = result.stdout.splitlines()
    assert out[0] == "midonet> help"
    assert "port-group" in out[2] and "tunnel-zone" in out[2]
    assert out[3] == "midonet> describe rule"
    assert out[4].startswith("rule: ethertype hw-src hw-src-mask hw-dst")
    assert "fragment-policy" in out[4] and "jump-to" in out[4]
    assert result.stderr.strip() == "Unknown object type: nothing"


def _read_until(fd: int, wanted: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            seen += os.read(fd, 4096)
    return seen


def test_prompt_and_tab_completion_on_a_pty(cli: Cli) -> None:
    assert cli.e("tunnel-zone create name edge type vxlan").returncode == 0
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "--midonet-url", cli.url],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**cli.env(), "TERM": "dumb"},
    )
    os.close(child)
    try:
        _read_until(main, b"midonet> ")
        os.write(main, b"list tunnel-z\t\n")  # completes the object type
        _read_until(main, b"tzone tzone0 name edge type vxlan")
        os.write(main, b"tunnel-zone tzo\t show\n")  # completes the alias learned above
        _read_until(main, b"tunnel-zone tzone0 show\r\ntzone tzone0 name edge type vxlan")
        os.write(main, b"chain create na\t x\n")  # completes a field name
        _read_until(main, b"chain0")
        os.write(main, b"quit\n")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
