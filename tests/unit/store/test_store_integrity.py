"""Bindings semantics on the backend-independent `Staging`, over a plain dict."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from store_models import BINDINGS, CASCADE, KINDS, Box, Item, Label, Lock, _bind

from midonet.errors import ConcurrentModification, NotFound, ObjectExists, ReferenceConflict
from midonet.model.base import ModelObject
from midonet.store.base import Versioned
from midonet.store.integrity import Schema, Staging

SCHEMA = Schema(KINDS, BINDINGS)


class DictBackend:
    """A stand-in backend: committed objects in a dict, versions counted."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, uuid.UUID], Versioned[ModelObject]] = {}
        self.seq = 0

    def read(self, kind: str, id: uuid.UUID) -> Versioned[ModelObject] | None:
        return self.rows.get((kind, id))

    def staging(self) -> Staging:
        return Staging(SCHEMA, self.read)

    def apply(self, staging: Staging) -> None:
        for key, obj, base in staging.writes():
            assert (self.rows[key].version if key in self.rows else 0) == base
            if obj is None:
                del self.rows[key]
            else:
                self.seq += 1
                self.rows[key] = Versioned(obj, self.seq)

    def run(self, *steps: object) -> None:
        tx = self.staging()
        for step in steps:
            assert callable(step)
            step(tx)
        self.apply(tx)

    def obj(self, kind: str, id: uuid.UUID) -> ModelObject:
        return self.rows[(kind, id)].obj


def test_create_adds_back_reference_and_delete_cascades() -> None:
    b = DictBackend()
    box, item = Box(), Item()
    b.run(lambda tx: tx.create(box))
    b.run(lambda tx: tx.create(item.replace(box_id=box.id)))
    assert b.obj("Box", box.id) == box.replace(item_ids=(item.id,))
    b.run(lambda tx: tx.delete("Box", box.id))
    assert b.rows == {}


def test_update_moves_references() -> None:
    b = DictBackend()
    one, two, item = Label(), Label(), Item()
    b.run(lambda tx: tx.create(one), lambda tx: tx.create(two))
    b.run(lambda tx: tx.create(item.replace(label_ids=(one.id,))))
    b.run(lambda tx: tx.update(item.replace(label_ids=(two.id,))))
    assert b.obj("Label", one.id).item_ids == ()  # type: ignore[attr-defined]
    assert b.obj("Label", two.id).item_ids == (item.id,)  # type: ignore[attr-defined]


def test_clear_on_delete_and_error_refuses() -> None:
    b = DictBackend()
    label, item, lock = Label(), Item(), Lock()
    b.run(lambda tx: tx.create(label), lambda tx: tx.create(item.replace(label_ids=(label.id,))))
    b.run(lambda tx: tx.delete("Item", item.id))
    assert b.obj("Label", label.id).item_ids == ()  # type: ignore[attr-defined]
    other = Item()
    b.run(lambda tx: tx.create(other), lambda tx: tx.create(lock.replace(item_id=other.id)))
    tx = b.staging()
    with pytest.raises(ReferenceConflict, match="lock_id still refers to Lock"):
        tx.delete("Item", other.id)
    # Deleting the lock first clears the item's reference; then the item can go.
    b.run(lambda tx: tx.delete("Lock", lock.id), lambda tx: tx.delete("Item", other.id))
    assert ("Item", other.id) not in b.rows


def test_single_valued_target_already_bound_is_a_conflict() -> None:
    b = DictBackend()
    a, c, d = Item(), Item(), Item()
    b.run(lambda tx: tx.create(a), lambda tx: tx.create(c.replace(peer_id=a.id)))
    assert b.obj("Item", a.id).peer_id == c.id  # type: ignore[attr-defined]
    with pytest.raises(ReferenceConflict, match="already"):
        b.staging().create(d.replace(peer_id=a.id))


def test_missing_reference_is_named() -> None:
    b = DictBackend()
    ghost = uuid.uuid4()
    with pytest.raises(ReferenceConflict, match=f"box_id refers to Box {ghost}, which does not"):
        b.staging().create(Item(box_id=ghost))


def test_errors_for_exists_notfound_and_stale_version() -> None:
    b = DictBackend()
    box = Box()
    b.run(lambda tx: tx.create(box))
    with pytest.raises(ObjectExists):
        b.staging().create(box)
    with pytest.raises(NotFound):
        b.staging().update(Box())
    with pytest.raises(NotFound):
        b.staging().delete("Box", uuid.uuid4())
    b.staging().delete("Box", uuid.uuid4(), missing_ok=True)
    with pytest.raises(ConcurrentModification):
        b.staging().update(box.replace(name="x"), expected_version=99)


def test_create_then_delete_in_one_transaction_writes_nothing() -> None:
    b = DictBackend()
    tx = b.staging()
    box = Box()
    tx.create(box)
    tx.delete("Box", box.id)
    assert tx.writes() == []


def test_schema_rejects_bad_bindings() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Odd(ModelObject):
        KIND = "Odd"
        name: str = ""

    with pytest.raises(TypeError, match="must be UUID"):
        Schema(
            {"Odd": Odd, "Box": Box}, [_bind("Odd", "name", CASCADE, "Box", "item_ids", CASCADE)]
        )
    with pytest.raises(TypeError, match="not a field"):
        Schema(
            {"Odd": Odd, "Box": Box}, [_bind("Odd", "nope", CASCADE, "Box", "item_ids", CASCADE)]
        )
    with pytest.raises(TypeError, match="unknown kinds"):
        Schema({"Box": Box}, [_bind("Odd", "nope", CASCADE, "Box", "item_ids", CASCADE)])
