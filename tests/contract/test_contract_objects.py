"""Contract: CRUD, listing, transactions and optimistic versions."""

from __future__ import annotations

import uuid

import pytest

from midonet.errors import ConcurrentModification, NotFound, ObjectExists, ReferenceConflict
from midonet.model import Bridge, Port, PortType, Router
from midonet.store import Create, Delete, Store, Update


def test_create_get_update_delete(store: Store, other: Store) -> None:
    router = Router(name="r1")
    v1 = store.create(router)
    assert store.get(Router, router.id) == (router, v1)
    assert other.get(Router, router.id).obj == router  # another client sees it
    assert store.exists(Router, router.id)
    v2 = store.update(router.replace(name="r2"))
    assert v2 > v1
    got, version = other.get(Router, router.id)
    assert (got.name, version) == ("r2", v2)
    store.delete(Router, router.id)
    assert not other.exists(Router, router.id)
    with pytest.raises(NotFound, match=f"Router {router.id} does not exist"):
        store.get(Router, router.id)


def test_errors(store: Store) -> None:
    router = Router()
    store.create(router)
    with pytest.raises(ObjectExists):
        store.create(router)
    with pytest.raises(NotFound):
        store.update(Router())
    with pytest.raises(NotFound):
        store.delete(Router, uuid.uuid4())
    store.delete(Router, uuid.uuid4(), missing_ok=True)


def test_versions_grow_across_delete_and_recreate(store: Store) -> None:
    router = Router()
    v1 = store.create(router)
    store.delete(Router, router.id)
    assert store.create(router) > v1


def test_list_by_type_parent_and_ids(store: Store) -> None:
    r1, r2, bridge = Router(name="a"), Router(name="b"), Bridge()
    store.commit([Create(r1), Create(r2), Create(bridge)])
    ports = [Port(type=PortType.ROUTER, router_id=r1.id) for _ in range(3)]
    ports.append(Port(type=PortType.ROUTER, router_id=r2.id))
    ports.append(Port(type=PortType.BRIDGE, bridge_id=bridge.id))
    store.commit([Create(p) for p in ports])
    assert [r.name for r in sorted(store.list(Router), key=lambda r: r.name)] == ["a", "b"]
    listed = store.list(Port)
    assert [p.id for p in listed] == sorted(p.id for p in ports)
    of_r1 = store.list(Port, where={"router_id": r1.id})
    assert {p.id for p in of_r1} == {p.id for p in ports[:3]}
    router = store.get(Router, r1.id).obj
    assert [p.id for p in store.list(Port, ids=router.port_ids)] == [p.id for p in ports[:3]]
    assert store.list(Router, where={"port_ids": ports[3].id})[0].id == r2.id
    with pytest.raises(NotFound):
        store.list(Port, ids=[uuid.uuid4()])


def test_transaction_mixes_create_update_delete(store: Store, other: Store) -> None:
    keep, gone = Router(name="keep"), Router(name="gone")
    store.commit([Create(keep), Create(gone)])
    new = Bridge(name="new")
    with store.transaction() as tx:
        tx.create(new)
        current = tx.get(Router, keep.id)
        tx.update(current.obj.replace(name="kept"), expected_version=current.version)
        tx.delete(Router, gone.id)
        assert tx.exists(Bridge, new.id) and not tx.exists(Router, gone.id)
        assert [r.name for r in tx.list(Router)] == ["kept"]
    assert other.get(Bridge, new.id).obj == new
    assert other.get(Router, keep.id).obj.name == "kept"
    assert not other.exists(Router, gone.id)


def test_transactions_are_all_or_nothing(store: Store) -> None:
    a, b = Router(name="a"), Router(name="b")
    store.create(a)
    with pytest.raises(ObjectExists):
        store.commit([Create(b), Update(a.replace(name="changed")), Create(a)])
    assert not store.exists(Router, b.id)
    assert store.get(Router, a.id).obj.name == "a"
    with pytest.raises(ZeroDivisionError), store.transaction() as tx:
        tx.delete(Router, a.id)
        tx.create(b)
        _ = 1 / 0
    assert store.exists(Router, a.id) and not store.exists(Router, b.id)
    with pytest.raises(ReferenceConflict):
        store.commit([Delete(Router, a.id), Create(Port(type=PortType.ROUTER, router_id=a.id))])
    assert store.exists(Router, a.id)


def test_optimistic_versions(store: Store, other: Store) -> None:
    router = Router(name="v0")
    v0 = store.create(router)
    v1 = other.update(router.replace(name="theirs"), expected_version=v0)
    with pytest.raises(ConcurrentModification):
        store.update(router.replace(name="mine"), expected_version=v0)
    with pytest.raises(ConcurrentModification):
        store.delete(Router, router.id, expected_version=v0)
    with pytest.raises(ConcurrentModification):
        store.commit([Update(router.replace(name="mine"), expected_version=v0)])
    assert store.get(Router, router.id) == (router.replace(name="theirs"), v1)
    # Without an expected version the last writer wins.
    store.update(router.replace(name="last"))
    assert other.get(Router, router.id).obj.name == "last"
    store.delete(Router, router.id, expected_version=store.get(Router, router.id).version)
    assert not store.exists(Router, router.id)
