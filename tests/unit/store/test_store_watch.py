"""The Watch contract, without a backend: coalescing, order, never backwards."""

from __future__ import annotations

import threading

import pytest

from midonet.store.watch import Change, Dispatcher, Watch, WatchClosed, wait_until


def test_changes_coalesce_per_key_and_never_go_backwards() -> None:
    w: Watch[str, int] = Watch()
    assert w.offer(Change("a", 1, 10))
    assert w.offer(Change("b", 2, 20))
    assert w.offer(Change("a", 3, 11))
    assert not w.offer(Change("a", 2, 99))  # older than what was seen
    assert w.next(0) == Change("a", 3, 11)
    assert w.next(0) == Change("b", 2, 20)
    with pytest.raises(TimeoutError):
        w.next(0.01)
    assert w.view == {"a": 11, "b": 20}


def test_deletion_is_delivered_and_unknown_deletions_dropped() -> None:
    w: Watch[str, int] = Watch()
    w.offer(Change("a", 1, 10))
    assert not w.offer(Change("z", 5, None))
    assert w.offer(Change("a", 2, None))
    change = w.next(0)
    assert change == Change("a", 2, None)
    assert change.deleted
    assert w.view == {}


def test_floor_drops_what_the_snapshot_covers() -> None:
    w: Watch[str, int] = Watch()
    w.offer(Change("a", 5, 1))
    w.set_floor(7)
    assert not w.offer(Change("b", 6, 2))
    assert w.offer(Change("b", 8, 3))


def test_wait_until_and_wait_for_across_threads() -> None:
    w: Watch[str, int] = Watch()

    def feed() -> None:
        for i in range(1, 50):
            w.offer(Change("k", i, i))

    t = threading.Thread(target=feed)
    t.start()
    assert w.wait_until(lambda v: v.get("k") == 49, timeout=5) == {"k": 49}
    t.join()
    assert w.wait_for(lambda c: c.value == 49, timeout=1).version == 49
    with pytest.raises(TimeoutError):
        w.wait_until(lambda v: "other" in v, timeout=0.05)


def test_iteration_ends_when_closed() -> None:
    w: Watch[str, int] = Watch()
    w.offer(Change("a", 1, 1))
    w.close()
    assert list(w) == [Change("a", 1, 1)]
    with pytest.raises(WatchClosed):
        w.next(0)
    assert not w.offer(Change("a", 2, 2))


def test_callbacks_run_on_the_dispatcher_and_survive_errors() -> None:
    dispatcher = Dispatcher()
    seen: list[int] = []

    def callback(change: Change[str, int]) -> None:
        assert change.value is not None
        if change.value == 2:
            raise RuntimeError("watcher bug")
        seen.append(change.value)

    w: Watch[str, int] = Watch(callback=callback, dispatcher=dispatcher)
    try:
        for v in (1, 2, 3):
            w.offer(Change(f"k{v}", v, v))
        wait_until(lambda: seen == [1, 3], timeout=5)
    finally:
        w.close()
        dispatcher.stop()


def test_a_callback_needs_a_dispatcher() -> None:
    with pytest.raises(ValueError, match="dispatcher"):
        Watch(callback=lambda c: None)
