"""The embedded store: the whole NSDB in one SQLite file, no server.

Several processes of one machine (the cluster and the agents of a sandbox) open the
same file: each `EmbeddedStore` has a connection for its API calls and, for a file,
a second one for its change feed (see `feed`), so a watcher in one process sees the
writes of every other. `EmbeddedStore(":memory:")` keeps everything in the process,
for fast unit tests.

A write transaction holds the file's write lock from its first statement to its
commit, so what it read cannot change under it: an expected version is checked
against the row itself, and the bindings' consequences are computed on current data.
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from midonet.errors import NotFound
from midonet.model.base import BINDINGS, MODEL_TYPES, Binding, ModelObject
from midonet.store import sqlite as db
from midonet.store.base import (
    Committed,
    Create,
    Op,
    Store,
    T,
    Transaction,
    Update,
    Versioned,
)
from midonet.store.config import ConfigLayers
from midonet.store.derive import default_hooks
from midonet.store.embedded_state import EmbeddedSession, EmbeddedState
from midonet.store.feed import ChangeFeed
from midonet.store.integrity import Hook, Schema, Staging
from midonet.store.query import filter_objects
from midonet.store.staged import SingleWrites, StagedTransaction
from midonet.store.state import Session, StateStore
from midonet.store.watch import Change, Dispatcher, Watch

_CACHE_SIZE = 65536


class _Codec:
    """JSON text ↔ objects, with a cache of decoded objects by (kind, id, version):
    objects are immutable, and decoding (which validates) dominates reads."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._cache: dict[tuple[str, str, int], ModelObject] = {}
        self._lock = threading.Lock()

    @staticmethod
    def encode(obj: ModelObject) -> str:
        return json.dumps(obj.to_dict(), separators=(",", ":"))

    def decode(self, kind: str, id: str, version: int, data: str) -> ModelObject:
        key = (kind, id, version)
        obj = self._cache.get(key)
        if obj is None:
            obj = self._schema.cls(kind).from_dict(json.loads(data))
            with self._lock:
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))  # oldest first
                self._cache[key] = obj
        return obj


class _Transaction(StagedTransaction):
    """A `Transaction` over an open write-locked connection."""

    def __init__(self, cur: Any, staging: Staging) -> None:
        super().__init__(staging)
        self._cur = cur

    def _stored_ids(self, kind: str) -> list[uuid.UUID]:
        rows = self._cur.execute("SELECT id FROM objects WHERE kind = ?", (kind,))
        return [uuid.UUID(r[0]) for r in rows]


class EmbeddedStore(SingleWrites):
    """`Store` in a SQLite file (or in memory with path ":memory:").

    `kinds`, `bindings` and `hooks` default to the project's model; tests pass their
    own. `poll_interval` is how often the change feed probes the file for other
    processes' commits while they are busy (`max_poll_interval` while quiet);
    `changelog_keep` bounds the change log.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        kinds: Mapping[str, type[ModelObject]] | None = None,
        bindings: Iterable[Binding] | None = None,
        hooks: Sequence[Hook] | None = None,
        poll_interval: float = 0.002,
        max_poll_interval: float = 0.02,
        busy_timeout: float = 30.0,
        changelog_keep: int = 20_000,
    ) -> None:
        self.schema = Schema(
            MODEL_TYPES if kinds is None else kinds, BINDINGS if bindings is None else bindings
        )
        all_hooks = default_hooks() if hooks is None else hooks
        self._hooks = [h for h in all_hooks if h.kind in self.schema.kinds]
        self._codec = _Codec(self.schema)
        self._keep = changelog_keep
        self.path = str(path)
        self._db = db.Database(self.path, busy_timeout=busy_timeout)
        try:
            self._db.create_schema()
        except BaseException:
            self._db.close()
            raise
        # A file gets a second connection so the feed's probes never wait behind this
        # process's transactions; in memory there is only one database to share.
        self._feed_db = (
            self._db if self._db.memory else db.Database(self.path, busy_timeout=busy_timeout)
        )
        self._lock = threading.Lock()
        self._dispatcher: Dispatcher | None = None
        self._closed = False
        self._state = EmbeddedState(self._db, self._get_feed, self._get_dispatcher)
        self._config = ConfigLayers(self._state)
        self._feed = ChangeFeed(
            self._feed_db,
            self._codec.decode,
            json.loads,
            interval=poll_interval,
            max_interval=max_poll_interval,
            on_idle=self._maintain,
        )

    # --- plumbing ------------------------------------------------------------------

    def _get_feed(self) -> ChangeFeed:
        return self._feed

    def _get_dispatcher(self) -> Dispatcher:
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher()
            return self._dispatcher

    def _maintain(self) -> None:
        """Housekeeping on the feed thread: reap expired sessions, bound the log."""
        self._state.reap_expired()
        row = self._db.query_one(
            "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'changes') - "
            "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'pruned_through')",
            (),
        )
        if row is not None and row[0] is not None and row[0] > self._keep * 1.25:
            with self._db.write() as cur:
                db.prune(cur, self._keep)

    def _read(self, cur: Any, kind: str, id: uuid.UUID) -> Versioned[ModelObject] | None:
        row = cur.execute(
            "SELECT version, data FROM objects WHERE kind = ? AND id = ?", (kind, str(id))
        ).fetchone()
        if row is None:
            return None
        return Versioned(self._codec.decode(kind, str(id), row[0], row[1]), row[0])

    @property
    def state(self) -> EmbeddedState:
        return self._state

    @property
    def config(self) -> ConfigLayers:
        return self._config

    # --- reads ---------------------------------------------------------------------

    def get(self, cls: type[T], id: uuid.UUID) -> Versioned[T]:
        kind = self.schema.kind_of(cls)
        row = self._db.query_one(
            "SELECT version, data FROM objects WHERE kind = ? AND id = ?", (kind, str(id))
        )
        if row is None:
            raise NotFound(kind, id)
        return Versioned(self._codec.decode(kind, str(id), row[0], row[1]), row[0])  # type: ignore[arg-type]

    def exists(self, cls: type[ModelObject], id: uuid.UUID) -> bool:
        kind = self.schema.kind_of(cls)
        row = self._db.query_one("SELECT 1 FROM objects WHERE kind = ? AND id = ?", (kind, str(id)))
        return row is not None

    def list(
        self,
        cls: type[T],
        *,
        ids: Iterable[uuid.UUID] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> builtins.list[T]:
        kind = self.schema.kind_of(cls)
        with self._db.read() as cur:
            if ids is None:
                rows = cur.execute(
                    "SELECT id, version, data FROM objects WHERE kind = ? ORDER BY id", (kind,)
                ).fetchall()
                objs = [self._codec.decode(kind, i, v, d) for i, v, d in rows]
            else:
                objs = []
                for id in ids:
                    found = self._read(cur, kind, id)
                    if found is None:
                        raise NotFound(kind, id)
                    objs.append(found.obj)
        return filter_objects(cls, objs, where)  # type: ignore[arg-type]

    # --- writes --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        with self._db.write() as cur:
            staging = Staging(self.schema, lambda k, i: self._read(cur, k, i), self._hooks)
            tx = _Transaction(cur, staging)
            try:
                yield tx
            finally:
                tx.ended = True
            self._flush(cur, staging)
        self._feed.kick()

    def commit(self, ops: Iterable[Op]) -> Committed:
        with self._db.write() as cur:
            staging = Staging(self.schema, lambda k, i: self._read(cur, k, i), self._hooks)
            for op in ops:
                if isinstance(op, Create):
                    staging.create(op.obj)
                elif isinstance(op, Update):
                    staging.update(op.obj, expected_version=op.expected_version)
                else:
                    staging.delete(
                        self.schema.kind_of(op.cls),
                        op.id,
                        expected_version=op.expected_version,
                        missing_ok=op.missing_ok,
                    )
            committed = self._flush(cur, staging)
        self._feed.kick()
        return committed

    def _flush(self, cur: Any, staging: Staging) -> Committed:
        committed: Committed = {}
        for (kind, id), obj, _base in staging.writes():
            key = str(id)
            if obj is None:
                db.log_change(cur, db.OBJECT, kind, key, None)
                cur.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, key))
                committed[(kind, id)] = None
            else:
                data = self._codec.encode(obj)
                version = db.log_change(cur, db.OBJECT, kind, key, data)
                cur.execute(
                    "INSERT INTO objects(kind, id, version, data) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version, "
                    "data = excluded.data",
                    (kind, key, version, data),
                )
                committed[(kind, id)] = version
        return committed

    def prune_changelog(self, keep: int = 0) -> None:
        """Drop all but the last `keep` change-log rows now (normally automatic)."""
        with self._db.write() as cur:
            db.prune(cur, keep)

    # --- watches -------------------------------------------------------------------

    def watch(
        self,
        cls: type[T],
        id: uuid.UUID | None = None,
        *,
        callback: Callable[[Change[uuid.UUID, T]], None] | None = None,
    ) -> Watch[uuid.UUID, T]:
        kind = self.schema.kind_of(cls)
        watch: Watch[uuid.UUID, T] = Watch(
            callback=callback,
            dispatcher=self._get_dispatcher() if callback is not None else None,
            on_close=self._feed.forget,
        )
        self._feed.watch_objects(kind, id, watch)
        return watch

    # --- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._state.close()
        self._feed.poll()  # deliver this process's last writes to its own watchers
        self._feed.stop()
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._feed_db is not self._db:
            self._feed_db.close()
        self._db.close()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:  # the backend satisfies the protocols (checked by mypy)

    def _is_store(s: EmbeddedStore) -> Store:
        return s

    def _is_state(s: EmbeddedState) -> StateStore:
        return s

    def _is_session(s: EmbeddedSession) -> Session:
        return s

    def _is_transaction(t: _Transaction) -> Transaction:
        return t
