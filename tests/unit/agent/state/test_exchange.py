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


def _many(count: int) -> list[Entry]:
    return [(ConnTrackKey(0x0A000001, port, 0xC0000201, 80, 6, DEVICE), None)
            for port in range(1, count + 1)]  # fmt: skip


def test_storage_keeps_the_table_and_ignores_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / storage.FILE_NAME
    assert storage.load(path) == []
    storage.save(path, _many(2100))
    assert storage.load(path) == _many(2100)
    path.write_bytes(b"XXXX" + path.read_bytes()[4:])  # not a flow-state file at all
    assert storage.load(path) == []


def test_the_journal_appends_what_is_new_and_later_bindings_win(tmp_path: Path) -> None:
    journal = storage.FlowStateFile(tmp_path / storage.FILE_NAME)
    with pytest.raises(storage.NeedsRewrite):
        journal.append(ENTRIES, live=3)  # nothing written yet: the first save is whole
    journal.rewrite(ENTRIES)
    nat_key = ENTRIES[1][0]
    rebound: Entry = (nat_key, NatBinding(7, 2048))  # the key expired, then was re-bound
    journal.append([rebound], live=3)
    journal.append(_many(10), live=13)
    loaded = storage.load(journal.path)
    assert loaded[1] == rebound and loaded[0] == ENTRIES[0] and len(loaded) == 13
    # A journal grown past twice the live table (plus slack) is rewritten instead.
    with pytest.raises(storage.NeedsRewrite):
        journal.append(_many(storage.REWRITE_SLACK), live=3)
    journal.rewrite(ENTRIES)
    assert journal.written == 3 and storage.load(journal.path) == ENTRIES
    journal.close()


def test_an_append_cut_short_loses_only_itself(tmp_path: Path) -> None:
    journal = storage.FlowStateFile(tmp_path / storage.FILE_NAME)
    journal.rewrite(ENTRIES)
    journal.append(_many(5), live=8)
    journal.close()
    path = journal.path
    path.write_bytes(path.read_bytes()[:-3])  # killed while appending
    assert storage.load(path) == ENTRIES
