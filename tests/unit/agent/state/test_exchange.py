"""The flow-state wire format and its local storage: round trips, and bad input that
is refused whole with a clear error."""

from __future__ import annotations

import contextlib
import random
import uuid
from pathlib import Path

import pytest

from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey, NatKind
from midonet.agent.state import exchange, storage
from midonet.agent.state.flow_state import Entry
from midonet.errors import MalformedPacket

DEVICE = uuid.uuid4()
ENTRIES: list[Entry] = [
    (ConnTrackKey(0x0A000001, 5000, 0xC0000201, 80, 6, DEVICE), None),
    (NatKey(NatKind.FWD_SNAT, 0x0A000001, 5000, 0xC0000201, 80, 6, DEVICE), NatBinding(7, 1024)),
    (NatKey(NatKind.REV_STICKY_DNAT, 1, 0, 2, 65535, 17, DEVICE), NatBinding(0xFFFFFFFF, 0)),
]


def test_entries_round_trip() -> None:
    messages = list(exchange.encode(ENTRIES))
    assert len(messages) == 1
    assert exchange.decode(messages[0]) == ENTRIES


def test_many_entries_are_split_into_datagram_sized_messages() -> None:
    many = ENTRIES * 900
    messages = list(exchange.encode(many))
    assert len(messages) == 3 and all(len(m) < 65000 for m in messages)
    assert [e for m in messages for e in exchange.decode(m)] == many


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda m: m[:5], "header"),
        (lambda m: b"XXXX" + m[4:], "bad magic"),
        (lambda m: m[:4] + b"\x09" + m[5:], "version 9"),
        (lambda m: m[:-1], "truncated"),
        (lambda m: m + b"\x00", "after the last entry"),
        (lambda m: m[:7] + b"\x07" + m[8:], "unknown type 7"),
    ],
)
def test_bad_messages_are_refused_whole(mangle: object, reason: str) -> None:
    message = next(exchange.encode(ENTRIES))
    assert callable(mangle)
    with pytest.raises(MalformedPacket, match=reason):
        exchange.decode(mangle(message))


def test_random_bytes_only_ever_raise_malformed_packet() -> None:
    rng = random.Random(5)
    message = next(exchange.encode(ENTRIES))
    for _ in range(2000):
        data = bytearray(message)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = data[: rng.randint(0, len(data))]
        with contextlib.suppress(MalformedPacket):
            exchange.decode(bytes(data))


def test_storage_keeps_the_table_and_ignores_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / storage.FILE_NAME
    assert storage.load(path) == []
    storage.save(path, ENTRIES * 700)
    assert storage.load(path) == ENTRIES * 700
    path.write_bytes(path.read_bytes()[:-3])
    assert storage.load(path) == []
