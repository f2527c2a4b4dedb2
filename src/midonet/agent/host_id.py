"""The agent's stable host id, kept in its state directory.

MidoNet keeps it in `/etc/midonet_host_id.properties` as `host_uuid=<uuid>`; we keep
the same file format under the state directory, so a restarted agent is the same
host in the NSDB and keeps its port bindings.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from midonet import node

FILE_NAME = "host_uuid.properties"
KEY = "host_uuid"


def default_state_dir() -> Path:
    """The agent's own state directory (its host id lives there)."""
    return node.default_state_dir("midolman")


def read_host_id(state_dir: Path) -> uuid.UUID | None:
    """The id stored in `state_dir`, None if there is none yet. ValueError if the
    file is there but names no valid id (we never replace an id silently)."""
    path = state_dir / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == KEY:
            try:
                return uuid.UUID(value.strip())
            except ValueError:
                raise ValueError(f"{path}: {KEY} is not a UUID: {value.strip()!r}") from None
    raise ValueError(f"{path} has no {KEY}= line")


def host_id(state_dir: Path) -> uuid.UUID:
    """The stored id, or a new one written atomically to `state_dir`."""
    existing = read_host_id(state_dir)
    if existing is not None:
        return existing
    new = uuid.uuid4()
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{FILE_NAME}.{os.getpid()}"
    tmp.write_text(f"# the MidoNet agent's host id\n{KEY}={new}\n", encoding="utf-8")
    try:
        os.link(tmp, state_dir / FILE_NAME)  # fails if another process won the race
    except FileExistsError:
        tmp.unlink()
        stored = read_host_id(state_dir)
        assert stored is not None
        return stored
    tmp.unlink()
    return new
