"""Flow state kept on local disk, so established connections survive a restart.

The agent writes its whole table (in the exchange format) to one file in its state
directory every few seconds and when it stops, replacing the file atomically, and
merges it back when it starts: a port re-bound after the restart finds its
connections' conntrack and NAT entries (they expire as usual if no flow uses them).
A file that does not decode is logged and ignored.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from midonet.agent.state import exchange
from midonet.agent.state.flow_state import Entry
from midonet.errors import MalformedPacket

log = logging.getLogger(__name__)

FILE_NAME = "flow_state.bin"


def save(path: Path, entries: list[Entry]) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as out:
        for message in exchange.encode(entries):
            out.write(len(message).to_bytes(4, "big"))
            out.write(message)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)


def load(path: Path) -> list[Entry]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        log.warning("cannot read saved flow state %s: %s", path, e)
        return []
    entries: list[Entry] = []
    at = 0
    try:
        while at < len(data):
            size = int.from_bytes(data[at : at + 4], "big")
            if size == 0 or at + 4 + size > len(data):
                raise MalformedPacket("flow-state", "the file is truncated")
            entries.extend(exchange.decode(data[at + 4 : at + 4 + size]))
            at += 4 + size
    except MalformedPacket as e:
        log.warning("ignoring saved flow state %s: %s", path, e)
        return []
    return entries
