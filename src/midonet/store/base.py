"""The `Store` protocol: what the cluster and the agents share through the NSDB.

A store keeps model objects (`midonet.model`) by kind and id, each with a version that
the store assigns and raises on every change. Versions are opaque integers that only
grow for a given object, even across a delete and a re-create, so a watcher can drop
anything older than what it has already seen.

Every write goes through a transaction that is all or nothing and keeps the bindings
(`midonet.model.base.BINDINGS`) consistent: back-references, cascading deletes,
cleared references and refused deletes all happen inside the same transaction as the
write that triggered them.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, Self, TypeVar

from midonet.model.base import ModelObject

if TYPE_CHECKING:
    from midonet.store.config import ConfigLayers
    from midonet.store.state import StateStore
    from midonet.store.watch import Change, Watch

T = TypeVar("T", bound=ModelObject)
T_co = TypeVar("T_co", bound=ModelObject, covariant=True)


class Versioned(NamedTuple, Generic[T_co]):
    """An object as read, with the version an optimistic update must name."""

    obj: T_co
    version: int


# --- operations of a transaction given as a list ------------------------------------


@dataclass(frozen=True, slots=True)
class Create:
    obj: ModelObject


@dataclass(frozen=True, slots=True)
class Update:
    """Replace the stored object; a stale `expected_version` fails the whole commit.

    Without an expected version the update is last-writer-wins.
    """

    obj: ModelObject
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    cls: type[ModelObject]
    id: uuid.UUID
    expected_version: int | None = None
    missing_ok: bool = False


Op = Create | Update | Delete

Key = tuple[str, uuid.UUID]
"""An object's address in the store: (kind, id)."""

Committed = dict[Key, int | None]
"""What a commit wrote: each object's new version, or None for an object it deleted."""


class Reader(Protocol):
    """Reads shared by the store and its transactions."""

    def get(self, cls: type[T], id: uuid.UUID) -> Versioned[T]:
        """The object and its version; `NotFound` if there is none."""
        ...

    def exists(self, cls: type[ModelObject], id: uuid.UUID) -> bool: ...

    def list(
        self,
        cls: type[T],
        *,
        ids: Iterable[uuid.UUID] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> builtins.list[T]:
        """Objects of `cls`, ordered by id.

        `ids` restricts the answer to those objects (in that order; `NotFound` if one
        is missing), e.g. `list(Port, ids=router.port_ids)`. `where` keeps objects
        whose field equals the value, or contains it when the field is a tuple, e.g.
        `list(Port, where={"router_id": router.id})`.
        """
        ...


class Writer(Protocol):
    def create(self, obj: ModelObject) -> None:
        """Add `obj`; `ObjectExists` if its id is taken, `ReferenceConflict` if a
        bound field names a missing object or one already bound elsewhere."""
        ...

    def update(self, obj: ModelObject, *, expected_version: int | None = None) -> None:
        """Replace the object with `obj`'s id; `ConcurrentModification` when
        `expected_version` is given and is no longer the stored version."""
        ...

    def delete(
        self,
        cls: type[ModelObject],
        id: uuid.UUID,
        *,
        expected_version: int | None = None,
        missing_ok: bool = False,
    ) -> None:
        """Remove the object and apply its bindings' delete actions."""
        ...


class Transaction(Reader, Writer, Protocol):
    """A unit of work: reads see its own writes; it commits when its block ends
    without an exception and is discarded otherwise."""


class Store(Reader, Protocol):
    """An NSDB: objects, transactions, watches, state tables and configuration."""

    @property
    def state(self) -> StateStore: ...

    @property
    def config(self) -> ConfigLayers: ...

    def create(self, obj: ModelObject) -> int:
        """Add `obj` (see `Writer.create`); returns its version."""
        ...

    def update(self, obj: ModelObject, *, expected_version: int | None = None) -> int:
        """Replace the stored object (see `Writer.update`); returns the new version."""
        ...

    def delete(
        self,
        cls: type[ModelObject],
        id: uuid.UUID,
        *,
        expected_version: int | None = None,
        missing_ok: bool = False,
    ) -> None: ...

    def transaction(self) -> AbstractContextManager[Transaction]:
        """`with store.transaction() as tx: ...` — all of the block's writes, or none."""
        ...

    def commit(self, ops: Iterable[Op]) -> Committed:
        """Apply `ops` in order as one transaction."""
        ...

    def watch(
        self,
        cls: type[T],
        id: uuid.UUID | None = None,
        *,
        callback: Callable[[Change[uuid.UUID, T]], None] | None = None,
    ) -> Watch[uuid.UUID, T]:
        """Follow one object (`id`) or every object of `cls`.

        The watch first reports the current state, then every change; changes that
        happen in quick succession may be coalesced into the latest one, versions
        never go backwards, and a deletion is reported as a change with no value.
        Delivery runs on a background thread: through `callback` when one is given,
        otherwise by iterating the watch.
        """
        ...

    def close(self) -> None:
        """Stop the store's threads, end its sessions cleanly and release the backend."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...
