"""Referential integrity: MidoNet's field bindings, applied to a transaction's writes.

`Schema` compiles the declared bindings (`midonet.model.base.BINDINGS`) into, for each
kind, the fields that hold ids of other objects and what to do with them. `Staging`
is a transaction's working set: it reads objects on demand through a backend-supplied
function, applies creates, updates and deletes together with their consequences
(back-references, cascades, clears, refusals, derived objects from hooks), and hands
the backend the final writes. It knows nothing of SQL or ZooKeeper, so every backend
shares the same semantics.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from midonet.errors import (
    ConcurrentModification,
    NotFound,
    ObjectExists,
    ReferenceConflict,
)
from midonet.model.base import Binding, DeleteAction, ModelObject, field_types
from midonet.store.base import Key, Versioned


@dataclass(frozen=True, slots=True)
class BoundField:
    """A field of one kind that holds ids of `target_kind` objects, mirrored by their
    `target_field`; `on_delete` applies to those objects when the holder is deleted."""

    field: str
    many: bool
    target_kind: str
    target_field: str
    target_many: bool
    on_delete: DeleteAction


def _is_many(cls: type[ModelObject], name: str) -> bool:
    """True for `tuple[UUID, ...]`, False for `UUID | None`; TypeError otherwise."""
    tp = field_types(cls).get(name)
    if tp is None:
        raise TypeError(f"binding names {cls.KIND}.{name}, which is not a field")
    origin = typing.get_origin(tp)
    if origin is tuple and typing.get_args(tp) == (uuid.UUID, Ellipsis):
        return True
    if origin in (typing.Union, types.UnionType) and set(typing.get_args(tp)) == {
        uuid.UUID,
        type(None),
    }:
        return False
    raise TypeError(f"bound field {cls.KIND}.{name} must be UUID | None or tuple[UUID, ...]")


class Schema:
    """The stored kinds and their compiled bindings."""

    def __init__(self, kinds: Mapping[str, type[ModelObject]], bindings: Iterable[Binding]):
        self.kinds = dict(kinds)
        self.fields: dict[str, list[BoundField]] = {k: [] for k in self.kinds}
        for binding in bindings:
            for this, that in binding.ends():
                if this.kind not in self.kinds or that.kind not in self.kinds:
                    raise TypeError(f"binding between unknown kinds {this.kind}, {that.kind}")
                bound = BoundField(
                    field=this.field,
                    many=_is_many(self.kinds[this.kind], this.field),
                    target_kind=that.kind,
                    target_field=that.field,
                    target_many=_is_many(self.kinds[that.kind], that.field),
                    on_delete=this.on_delete,
                )
                if bound not in self.fields[this.kind]:  # a self-binding has two equal ends
                    self.fields[this.kind].append(bound)

    def kind_of(self, cls: type[ModelObject]) -> str:
        if self.kinds.get(cls.KIND) is not cls:
            raise TypeError(f"{cls.__name__} is not a kind of this store")
        return cls.KIND

    def cls(self, kind: str) -> type[ModelObject]:
        return self.kinds[kind]


def refs(obj: ModelObject, bound: BoundField) -> tuple[uuid.UUID, ...]:
    """The ids `obj` holds in `bound.field`, without repeats."""
    value = getattr(obj, bound.field)
    if bound.many:
        return tuple(dict.fromkeys(value))
    return () if value is None else (value,)


class Hook(Protocol):
    """Derives objects from explicit writes of `kind`, inside the same transaction
    (e.g. a router port's LOCAL and subnet routes)."""

    kind: str

    def after_create(self, tx: Staging, obj: ModelObject) -> None: ...

    def after_update(self, tx: Staging, old: ModelObject, new: ModelObject) -> None: ...


class ReadFn(Protocol):
    def __call__(self, kind: str, id: uuid.UUID) -> Versioned[ModelObject] | None: ...


@dataclass(slots=True)
class _Slot:
    obj: ModelObject | None
    base: int  # the stored version when first read; 0 when absent
    dirty: bool = False


class Staging:
    """A transaction's objects: what it read, and what it will write."""

    def __init__(self, schema: Schema, read: ReadFn, hooks: Sequence[Hook] = ()) -> None:
        self.schema = schema
        self._read = read
        self._hooks: dict[str, list[Hook]] = {}
        for hook in hooks:
            self._hooks.setdefault(hook.kind, []).append(hook)
        self._slots: dict[Key, _Slot] = {}

    # --- reads ---------------------------------------------------------------------

    def _slot(self, kind: str, id: uuid.UUID) -> _Slot:
        key = (kind, id)
        slot = self._slots.get(key)
        if slot is None:
            stored = self._read(kind, id)
            slot = _Slot(None, 0) if stored is None else _Slot(stored.obj, stored.version)
            self._slots[key] = slot
        return slot

    def get(self, kind: str, id: uuid.UUID) -> ModelObject | None:
        return self._slot(kind, id).obj

    def version(self, kind: str, id: uuid.UUID) -> int:
        """The stored version the transaction is based on (0 if it was absent)."""
        return self._slot(kind, id).base

    def overlay(self, kind: str, stored: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        """Ids of `kind` as this transaction sees them, given the stored ids."""
        ids = dict.fromkeys(stored)
        for (k, id), slot in self._slots.items():
            if k != kind:
                continue
            if slot.obj is None:
                ids.pop(id, None)
            else:
                ids[id] = None
        return list(ids)

    # --- explicit writes -----------------------------------------------------------

    def create(self, obj: ModelObject) -> None:
        kind = self.schema.kind_of(type(obj))
        slot = self._slot(kind, obj.id)
        if slot.obj is not None:
            raise ObjectExists(kind, obj.id)
        self._put(kind, obj)
        for bound in self.schema.fields[kind]:
            for target in refs(obj, bound):
                self._add_back(kind, obj.id, bound, target)
        for hook in self._hooks.get(kind, ()):
            hook.after_create(self, obj)

    def update(self, obj: ModelObject, *, expected_version: int | None = None) -> None:
        kind = self.schema.kind_of(type(obj))
        old = self._existing(kind, obj.id, expected_version)
        self._put(kind, obj)
        for bound in self.schema.fields[kind]:
            before, after = refs(old, bound), refs(obj, bound)
            for target in before:
                if target not in after:
                    self._clear_back(obj.id, bound, target)
            for target in after:
                if target not in before:
                    self._add_back(kind, obj.id, bound, target)
        for hook in self._hooks.get(kind, ()):
            hook.after_update(self, old, obj)

    def delete(
        self,
        kind: str,
        id: uuid.UUID,
        *,
        expected_version: int | None = None,
        missing_ok: bool = False,
    ) -> None:
        if missing_ok and self._slot(kind, id).obj is None:
            return
        old = self._existing(kind, id, expected_version)
        slot = self._slots[(kind, id)]
        slot.obj, slot.dirty = None, True
        for bound in self.schema.fields[kind]:
            for target in refs(old, bound):
                if self._slot(bound.target_kind, target).obj is None:
                    continue  # already deleted in this transaction, or dangling
                if bound.on_delete is DeleteAction.ERROR:
                    raise ReferenceConflict(
                        f"cannot delete {kind} {id}: its {bound.field} still refers to "
                        f"{bound.target_kind} {target}"
                    )
                if bound.on_delete is DeleteAction.CLEAR:
                    self._clear_back(id, bound, target)
                else:
                    self.delete(bound.target_kind, target, missing_ok=True)

    def writes(self) -> list[tuple[Key, ModelObject | None, int]]:
        """(key, final object or None for a delete, base version) of every change."""
        return [
            (key, slot.obj, slot.base)
            for key, slot in self._slots.items()
            if slot.dirty and not (slot.obj is None and slot.base == 0)
        ]

    # --- internals -----------------------------------------------------------------

    def _existing(self, kind: str, id: uuid.UUID, expected_version: int | None) -> ModelObject:
        slot = self._slot(kind, id)
        if slot.obj is None:
            raise NotFound(kind, id)
        if expected_version is not None and expected_version != slot.base:
            raise ConcurrentModification(
                f"{kind} {id} is at version {slot.base}, not {expected_version}"
            )
        return slot.obj

    def _put(self, kind: str, obj: ModelObject) -> None:
        slot = self._slot(kind, obj.id)
        slot.obj, slot.dirty = obj, True

    def _add_back(self, kind: str, id: uuid.UUID, bound: BoundField, target: uuid.UUID) -> None:
        other = self._slot(bound.target_kind, target).obj
        if other is None:
            raise ReferenceConflict(
                f"{kind} {id}: {bound.field} refers to {bound.target_kind} {target}, "
                "which does not exist"
            )
        current = getattr(other, bound.target_field)
        if bound.target_many:
            if id in current:
                return
            value: object = (*current, id)
        else:
            if current == id:
                return
            if current is not None:
                raise ReferenceConflict(
                    f"{kind} {id}: {bound.field} refers to {bound.target_kind} {target}, "
                    f"whose {bound.target_field} is already {current}"
                )
            value = id
        self._put(bound.target_kind, _with(other, bound.target_field, value))

    def _clear_back(self, id: uuid.UUID, bound: BoundField, target: uuid.UUID) -> None:
        other = self._slot(bound.target_kind, target).obj
        if other is None:
            return
        current = getattr(other, bound.target_field)
        if bound.target_many:
            if id not in current:
                return
            value: object = tuple(x for x in current if x != id)
        else:
            if current != id:
                return
            value = None
        self._put(bound.target_kind, _with(other, bound.target_field, value))


def _with(obj: ModelObject, field: str, value: object) -> ModelObject:
    changes: dict[str, Any] = {field: value}
    return obj.replace(**changes)
