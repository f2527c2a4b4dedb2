"""Test-only kinds and bindings, kept out of the global registry.

Box.item_ids  CASCADE ↔ Item.box_id    CLEAR
Item.label_ids CLEAR  ↔ Label.item_ids CLEAR
Item.lock_id   ERROR  ↔ Lock.item_id   CLEAR
Item.peer_id   CLEAR  ↔ Item.peer_id   CLEAR
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from midonet.model.base import Binding, BindingEnd, DeleteAction, ModelObject
from midonet.store.embedded import EmbeddedStore

CASCADE, CLEAR, ERROR = DeleteAction.CASCADE, DeleteAction.CLEAR, DeleteAction.ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class Box(ModelObject):
    KIND = "Box"
    name: str = ""
    item_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Item(ModelObject):
    KIND = "Item"
    name: str = ""
    box_id: uuid.UUID | None = None
    label_ids: tuple[uuid.UUID, ...] = ()
    lock_id: uuid.UUID | None = None
    peer_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Label(ModelObject):
    KIND = "Label"
    text: str = ""
    item_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock(ModelObject):
    KIND = "Lock"
    item_id: uuid.UUID | None = None


KINDS: dict[str, type[ModelObject]] = {c.KIND: c for c in (Box, Item, Label, Lock)}


def _bind(lk: str, lf: str, la: DeleteAction, rk: str, rf: str, ra: DeleteAction) -> Binding:
    return Binding(BindingEnd(lk, lf, la), BindingEnd(rk, rf, ra))


BINDINGS = [
    _bind("Box", "item_ids", CASCADE, "Item", "box_id", CLEAR),
    _bind("Item", "label_ids", CLEAR, "Label", "item_ids", CLEAR),
    _bind("Item", "lock_id", ERROR, "Lock", "item_id", CLEAR),
    _bind("Item", "peer_id", CLEAR, "Item", "peer_id", CLEAR),
]


def open_test_store(path: str | Path = ":memory:", **kwargs: object) -> EmbeddedStore:
    return EmbeddedStore(path, kinds=KINDS, bindings=BINDINGS, hooks=(), **kwargs)  # type: ignore[arg-type]
