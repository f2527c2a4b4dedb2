"""The transaction both backends hand out: reads and writes go through a `Staging`
(integrity.py), which sees the transaction's own writes; a backend supplies the ids
it has stored for a kind and, if it replays transactions, records each write."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Mapping

from midonet.errors import NotFound
from midonet.model.base import ModelObject
from midonet.store.base import Committed, Create, Delete, Op, T, Update, Versioned
from midonet.store.integrity import Staging
from midonet.store.query import filter_objects


class StagedTransaction:
    """A `Transaction` over a `Staging`. Subclasses implement `_stored_ids`."""

    def __init__(self, staging: Staging) -> None:
        self._staging = staging
        self.ended = False

    @property
    def staging(self) -> Staging:
        # A write after the block would otherwise vanish silently.
        if self.ended:
            raise RuntimeError("this transaction has ended; open a new one")
        return self._staging

    def _stored_ids(self, kind: str) -> Iterable[uuid.UUID]:
        """The ids of `kind` in the backend, before this transaction's writes."""
        raise NotImplementedError

    def _record(self, op: Op) -> None:
        """Called with each write; a backend that replays transactions keeps them."""

    def get(self, cls: type[T], id: uuid.UUID) -> Versioned[T]:
        kind = self.staging.schema.kind_of(cls)
        obj = self.staging.get(kind, id)
        if obj is None:
            raise NotFound(kind, id)
        return Versioned(obj, self.staging.version(kind, id))  # type: ignore[arg-type]

    def exists(self, cls: type[ModelObject], id: uuid.UUID) -> bool:
        return self.staging.get(self.staging.schema.kind_of(cls), id) is not None

    def list(
        self,
        cls: type[T],
        *,
        ids: Iterable[uuid.UUID] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> builtins.list[T]:
        kind = self.staging.schema.kind_of(cls)
        if ids is None:
            ids = sorted(self.staging.overlay(kind, self._stored_ids(kind)))
        return filter_objects(cls, [self.get(cls, id).obj for id in ids], where)

    def create(self, obj: ModelObject) -> None:
        self.staging.create(obj)
        self._record(Create(obj))

    def update(self, obj: ModelObject, *, expected_version: int | None = None) -> None:
        self.staging.update(obj, expected_version=expected_version)
        self._record(Update(obj, expected_version))

    def delete(
        self,
        cls: type[ModelObject],
        id: uuid.UUID,
        *,
        expected_version: int | None = None,
        missing_ok: bool = False,
    ) -> None:
        kind = self.staging.schema.kind_of(cls)
        self.staging.delete(kind, id, expected_version=expected_version, missing_ok=missing_ok)
        self._record(Delete(cls, id, expected_version, missing_ok))


class SingleWrites:
    """`create`/`update`/`delete` of one object as a one-op `commit` (both backends)."""

    def commit(self, ops: Iterable[Op]) -> Committed:
        raise NotImplementedError

    def create(self, obj: ModelObject) -> int:
        version = self.commit([Create(obj)])[(obj.KIND, obj.id)]
        assert version is not None
        return version

    def update(self, obj: ModelObject, *, expected_version: int | None = None) -> int:
        version = self.commit([Update(obj, expected_version)])[(obj.KIND, obj.id)]
        assert version is not None
        return version

    def delete(
        self,
        cls: type[ModelObject],
        id: uuid.UUID,
        *,
        expected_version: int | None = None,
        missing_ok: bool = False,
    ) -> None:
        self.commit([Delete(cls, id, expected_version, missing_ok)])
