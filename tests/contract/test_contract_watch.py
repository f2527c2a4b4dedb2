"""Contract: watches on an object and on a type, from this client and from another."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict

from midonet.model import Bridge, Router
from midonet.store import Create, Delete, Store
from midonet.store.watch import Change, wait_until


def test_object_watch_starts_with_current_state_and_sees_deletion(
    store: Store, other: Store
) -> None:
    router = Router(name="a")
    store.create(router)
    with store.watch(Router, router.id) as w:
        first = w.next(timeout=10)
        assert first.value == router
        other.update(router.replace(name="b"))
        changed = w.wait_for(lambda c: c.value is not None and c.value.name == "b")
        assert changed.version > first.version
        other.delete(Router, router.id)
        gone = w.wait_for(lambda c: c.deleted)
        assert gone.version > changed.version and gone.key == router.id
        assert w.view == {}


def test_object_watch_on_a_missing_object_reports_its_creation(store: Store, other: Store) -> None:
    router = Router(name="later")
    with store.watch(Router, router.id) as w:
        other.create(router)
        assert w.next(timeout=10).value == router


def test_type_watch_ends_with_the_final_state(store: Store, other: Store) -> None:
    existing = Router(name="old")
    store.create(existing)
    with store.watch(Router) as w:
        assert w.wait_until(lambda v: existing.id in v) == {existing.id: existing}
        routers = [Router(name=f"r{i}") for i in range(50)]
        other.commit([Create(r) for r in routers])
        for round in range(5):
            for r in routers[::2]:
                other.update(r.replace(name=f"{r.name}-{round}"))
        other.commit([Delete(Router, r.id) for r in routers[1::2]])
        other.create(Bridge())  # another type: not reported
        expected = {r.id: r.replace(name=f"{r.name}-4") for r in routers[::2]}
        expected[existing.id] = existing
        assert w.wait_until(lambda v: v == expected) == expected


def test_callbacks_never_see_versions_go_backwards(store: Store, other: Store) -> None:
    seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    deleted: set[uuid.UUID] = set()
    lock = threading.Lock()

    def on_change(change: Change[uuid.UUID, Router]) -> None:
        with lock:
            seen[change.key].append(change.version)
            if change.deleted:
                deleted.add(change.key)

    routers = [Router(name=str(i)) for i in range(20)]
    with store.watch(Router, callback=on_change):
        other.commit([Create(r) for r in routers])
        for i in range(10):
            for r in routers:
                other.update(r.replace(name=f"{r.name}.{i}"))
        for r in routers[:5]:
            other.delete(Router, r.id)
        wait_until(lambda: deleted == {r.id for r in routers[:5]})
    for versions in seen.values():
        assert versions == sorted(set(versions))


def test_closed_watch_gets_nothing_more(store: Store) -> None:
    w = store.watch(Router)
    w.close()
    store.create(Router())
    assert w.view == {}
    assert list(w) == []
