"""The midonet-cli tests' harness: a real API server on 127.0.0.1 over a temporary
embedded store, transcripts and their comparison. (A module of its own, not conftest,
so test modules import it whatever other conftest files pytest loaded first.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from midonet.cluster.auth import MockAuthService
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import Api, ApiServer
from midonet.store import EmbeddedStore

CLI = [sys.executable, "-m", "midonet.cli.main"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MAC = r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}"


@dataclass
class Cli:
    url: str
    store: EmbeddedStore
    home: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIDO_")}
        env["HOME"] = str(self.home)
        return env

    def session(self, script: str) -> subprocess.CompletedProcess[str]:
        """Pipe `script` into the interactive mode."""
        return subprocess.run(
            [*CLI, "--midonet-url", self.url],
            check=False,
            input=script,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=60,
        )

    def e(self, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "--midonet-url", self.url, *extra, "-e", command],
            check=False,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=60,
        )


def start_cli(tmp_path: Path) -> Iterator[Cli]:
    store = EmbeddedStore(tmp_path / "nsdb.db")
    api = Api(store, MockAuthService(), EventLog(tmp_path / "events.log", hostname="t"))
    server = ApiServer(api, "127.0.0.1", 0)
    server.start()
    home = tmp_path / "home"
    home.mkdir()
    yield Cli(f"http://127.0.0.1:{server.port}/midonet-api", store, home)
    server.stop()
    api.events.close()
    store.close()


def transcript(text: str) -> tuple[str, list[str]]:
    """A guide transcript -> (the commands, the expected lines with prompts); a line
    ending in a backslash continues on the next (the PDF's wraps)."""
    joined = text.strip().replace("\\\n", "")
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip()]
    commands = [ln.removeprefix("midonet> ") for ln in lines if ln.startswith("midonet> ")]
    return "\n".join(commands) + "\n", lines


def _pattern(want: str) -> str:
    return (
        re.escape(want)
        .replace(r"\{uuid\}", UUID)
        .replace(r"\{mac\}", MAC)
        .replace(r"\{any\}", ".*")
    )


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("midonet> ") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def assert_matches(output: str, expected: list[str]) -> None:
    """Compare command by command; the lines one command prints in any order (the API
    lists by id); `{uuid}`, `{mac}` and `{any}` in the expectation are patterns."""
    got = _blocks([ln for ln in output.splitlines() if ln.strip()])
    want = _blocks(expected)
    assert len(got) == len(want), output
    for got_block, want_block in zip(got, want, strict=True):
        assert got_block[0] == want_block[0]
        left = got_block[1:]
        assert len(left) == len(want_block) - 1, (got_block, want_block)
        for line in want_block[1:]:
            hit = next((g for g in left if re.fullmatch(_pattern(line), g)), None)
            assert hit is not None, f"{line!r} not in {left!r}"
            left.remove(hit)
