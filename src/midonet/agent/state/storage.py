"""Flow state kept on local disk, so established connections survive a restart.

The file is a journal of exchange-format messages: every few seconds the agent
appends the entries written since the last time (cheap: only what is new), and it
rewrites the whole table atomically — at start, when it stops, and when the journal
has grown to more than twice the live table (entries that expired since are still
in it). On start it merges the file back, a later entry for a key winning over an
earlier one: a port re-bound after the restart finds its connections' conntrack and
NAT entries (they expire as usual if no flow uses them). A file that does not
decode is logged and ignored.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import BinaryIO

from midonet.agent.state import exchange
from midonet.agent.state.flow_state import Entry
from midonet.errors import MalformedPacket

log = logging.getLogger(__name__)

FILE_NAME = "flow_state.bin"
REWRITE_SLACK = 1000
"""Entries the journal may hold beyond twice the live table before a rewrite."""


def save(path: Path, entries: list[Entry]) -> None:
    """Replace the file with `entries`, atomically."""
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as out:
        _write(out, entries)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)


def _write(out: BinaryIO, entries: list[Entry]) -> None:
    for message in exchange.encode(entries):
        out.write(len(message).to_bytes(4, "big"))
        out.write(message)


class FlowStateFile:
    """The journal: `rewrite` the whole table, `append` what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0
        """Entries in the file (live or not)."""
        self._out: BinaryIO | None = None

    def rewrite(self, entries: list[Entry]) -> None:
        self.close()
        save(self.path, entries)
        self.written = len(entries)
        self._out = self.path.open("ab")

    def append(self, entries: list[Entry], live: int) -> None:
        """Add `entries` (new since the last call); rewrites instead when the journal
        would be more than twice the `live` table, or is not open yet."""
        if self._out is None or self.written + len(entries) > 2 * live + REWRITE_SLACK:
            raise NeedsRewrite
        if not entries:
            return
        _write(self._out, entries)
        self._out.flush()  # to the page cache: what a process restart needs
        self.written += len(entries)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


class NeedsRewrite(Exception):
    """The journal should be rewritten from the whole table."""


def load(path: Path) -> list[Entry]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        log.warning("cannot read saved flow state %s: %s", path, e)
        return []
    latest: dict[object, Entry] = {}
    at = 0
    try:
        while at < len(data):
            size = int.from_bytes(data[at : at + 4], "big")
            if at + 4 > len(data) or at + 4 + size > len(data):
                # An append cut short (the agent was killed while writing it): what
                # came before it is whole.
                log.info("saved flow state %s ends in a partial message", path)
                break
            if size == 0:
                raise MalformedPacket("flow-state", "an empty message")
            for entry in exchange.decode(data[at + 4 : at + 4 + size]):
                latest[entry[0]] = entry  # a later binding for a key replaces the earlier
            at += 4 + size
    except MalformedPacket as e:
        log.warning("ignoring saved flow state %s: %s", path, e)
        return []
    return list(latest.values())
