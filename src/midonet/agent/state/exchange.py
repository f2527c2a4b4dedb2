"""The flow-state wire format: conntrack and NAT entries sent between agents (and
kept in local storage), compact, versioned and length-checked.

    message   "MNFS" | version (1 byte) | count (2) | entries
    entry     type (1: 0 conntrack, 1-6 MidoNet's NAT key types) | src ip (4) |
              src port (2) | dst ip (4) | dst port (2) | protocol (1) | device (16)
              and, for NAT, the binding: ip (4) | port (2)

A message that does not decode whole raises `MalformedPacket("flow-state", ...)`;
nothing of it is used.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator
from typing import Final

from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey, NatKind
from midonet.agent.state.flow_state import Entry
from midonet.errors import MalformedPacket

MAGIC: Final = b"MNFS"
VERSION: Final = 1
_HEADER = struct.Struct("!4sBH")
_KEY = struct.Struct("!BIHIHB16s")
_BINDING = struct.Struct("!IH")
MAX_ENTRIES: Final = 0xFFFF
CONNTRACK: Final = 0


def encode(entries: Iterable[Entry]) -> Iterator[bytes]:
    """Messages carrying `entries` (as many as it takes, each at most MAX_ENTRIES and
    small enough for one datagram)."""
    batch: list[bytes] = []
    for key, binding in entries:
        if isinstance(key, ConnTrackKey):
            batch.append(_KEY.pack(CONNTRACK, *key[:5], key.device_id.bytes))
        elif binding is not None:
            packed = _KEY.pack(int(key.kind), *key[1:6], key.device_id.bytes)
            batch.append(packed + _BINDING.pack(*binding))
        if len(batch) == 1000:
            yield _message(batch)
            batch = []
    if batch:
        yield _message(batch)


def _message(batch: list[bytes]) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, len(batch)) + b"".join(batch)


def decode(data: bytes | bytearray | memoryview) -> list[Entry]:
    """The entries of one message; MalformedPacket if it is not one, whole."""
    view = memoryview(data)
    if len(view) < _HEADER.size:
        raise MalformedPacket("flow-state", f"{len(view)} bytes, the header needs {_HEADER.size}")
    magic, version, count = _HEADER.unpack_from(view)
    if magic != MAGIC:
        raise MalformedPacket("flow-state", "not a flow-state message (bad magic)")
    if version != VERSION:
        raise MalformedPacket("flow-state", f"version {version}, this agent reads {VERSION}")
    entries: list[Entry] = []
    at = _HEADER.size
    for index in range(count):
        if at + _KEY.size > len(view):
            raise MalformedPacket("flow-state", f"entry {index} is truncated")
        kind, src, sport, dst, dport, proto, device = _KEY.unpack_from(view, at)
        at += _KEY.size
        device_id = uuid.UUID(bytes=device)
        if kind == CONNTRACK:
            entries.append((ConnTrackKey(src, sport, dst, dport, proto, device_id), None))
            continue
        if not 1 <= kind <= 6:
            raise MalformedPacket("flow-state", f"entry {index} has unknown type {kind}")
        if at + _BINDING.size > len(view):
            raise MalformedPacket("flow-state", f"entry {index} is truncated")
        ip, port = _BINDING.unpack_from(view, at)
        at += _BINDING.size
        key = NatKey(NatKind(kind), src, sport, dst, dport, proto, device_id)
        entries.append((key, NatBinding(ip, port)))
    if at != len(view):
        raise MalformedPacket("flow-state", f"{len(view) - at} bytes after the last entry")
    return entries
