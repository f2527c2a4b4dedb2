"""Flow table: hits, idle/hard expiry, invalidation by tag, eviction, listeners."""

from __future__ import annotations

import pytest

from midonet.agent.flows import Flow, FlowTable, RemovalReason

Table = FlowTable[str, str]


def make(**kwargs: object) -> tuple[Table, list[tuple[str, RemovalReason]]]:
    removed: list[tuple[str, RemovalReason]] = []

    def listener(flow: Flow[str, str], reason: RemovalReason) -> None:
        removed.append((flow.key, reason))

    return FlowTable(on_removed=listener, **kwargs), removed  # type: ignore[arg-type]


def test_lookup_counts_packets_and_bytes() -> None:
    table, _ = make()
    table.install("k", "out:1", {"bridge"}, now=0.0)
    flow = table.lookup("k", now=1.0, size=64)
    assert flow is not None and flow.actions == "out:1"
    table.lookup("k", now=2.0, size=100)
    assert (flow.packets, flow.bytes, flow.last_used) == (2, 164, 2.0)
    assert table.lookup("missing", now=2.0) is None


def test_invalidate_removes_exactly_the_tagged_flows() -> None:
    table, removed = make()
    table.install("a", "x", {"bridge1", "port1"}, now=0)
    table.install("b", "y", {"bridge1", "port2"}, now=0)
    table.install("c", "z", {"router"}, now=0)
    gone = table.invalidate("bridge1")
    assert sorted(f.key for f in gone) == ["a", "b"]
    assert [table.get(k) for k in "ab"] == [None, None]
    assert table.get("c") is not None
    # the other tags of removed flows no longer point at them
    assert table.tagged("port1") == [] and table.tagged("port2") == []
    assert sorted(removed) == [("a", RemovalReason.INVALIDATED), ("b", RemovalReason.INVALIDATED)]
    assert table.invalidate("bridge1") == []


def test_idle_expiry_spares_used_flows() -> None:
    table, removed = make(idle_timeout=10.0)
    table.install("busy", "x", (), now=0)
    table.install("idle", "x", (), now=0)
    table.lookup("busy", now=8.0)
    assert [f.key for f in table.expire(now=12.0)] == ["idle"]
    assert removed == [("idle", RemovalReason.IDLE)]
    assert [f.key for f in table.expire(now=18.0)] == ["busy"]


def test_hard_timeout_applies_even_when_busy() -> None:
    table, _ = make(idle_timeout=10.0)
    table.install("k", "x", (), now=0, hard_timeout=5.0)
    table.lookup("k", now=4.9)
    assert table.expire(now=5.0)[0].key == "k"


def test_full_table_evicts_the_oldest() -> None:
    table, removed = make(max_flows=2)
    table.install("first", "x", {"t"}, now=0)
    table.install("second", "x", {"t"}, now=1)
    table.install("third", "x", {"t"}, now=2)
    assert len(table) == 2 and "first" not in table
    assert removed == [("first", RemovalReason.EVICTED)]
    assert sorted(f.key for f in table.tagged("t")) == ["second", "third"]


def test_reinstall_replaces_and_retags() -> None:
    table, removed = make()
    table.install("k", "old", {"t1"}, now=0)
    table.install("k", "new", {"t2"}, now=1)
    assert removed == [("k", RemovalReason.REPLACED)]
    assert table.invalidate("t1") == []
    assert [f.actions for f in table.invalidate("t2")] == ["new"]


def test_remove_and_clear() -> None:
    table, removed = make()
    table.install("a", "x", {"t"}, now=0)
    table.install("b", "x", {"t"}, now=0)
    assert table.remove("a") is not None and table.remove("a") is None
    assert [f.key for f in table.clear()] == ["b"]
    assert len(table) == 0 and table.tagged("t") == []
    assert [r for _, r in removed] == [RemovalReason.DELETED, RemovalReason.DELETED]


def test_rejects_nonsense_capacity() -> None:
    with pytest.raises(ValueError, match="max_flows"):
        FlowTable(max_flows=0)
