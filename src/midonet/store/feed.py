"""Cross-process watch delivery for the embedded store: a thread follows the change log.

Every write appends to the `changes` table in the same transaction, so the log's
order is the commit order of all processes. Each store runs one feed thread that
probes the file cheaply (`PRAGMA data_version`, which moves when another connection
commits) every `interval` seconds (backing off to `max_interval` after a quiet
second), or at once when its own process wrote; it reads the new log rows in one
snapshot and offers the latest value of each followed entry to its watches. Watches
drop anything not newer than what they hold, so the snapshot a watch starts from and
the log can overlap safely. When the log was pruned past the feed's position, the
feed re-reads the followed entries from the tables instead.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from midonet.model.base import ModelObject
from midonet.store import sqlite as db
from midonet.store.watch import Change, Watch

log = logging.getLogger(__name__)

ObjectWatch = Watch[uuid.UUID, Any]
StateWatch = Watch[str, Any]
Decode = Callable[[str, str, int, str], ModelObject]
"""(kind, id, version, JSON data) -> object."""
Load = Callable[[str], Any]
W = TypeVar("W", ObjectWatch, StateWatch)
"""JSON text -> state value."""


class ChangeFeed:
    def __init__(
        self,
        database: db.Database,
        decode: Decode,
        load: Load,
        *,
        interval: float,
        max_interval: float | None = None,
        on_idle: Callable[[], None] | None = None,
        idle_every: float = 0.5,
    ) -> None:
        self._db = database
        self._decode = decode
        self._load = load
        self._interval = interval
        self._max_interval = max(interval, max_interval or interval * 10)
        self._on_idle = on_idle
        self._idle_every = idle_every
        self._lock = threading.Lock()  # one batch or registration at a time
        self._by_object: dict[tuple[str, uuid.UUID], list[ObjectWatch]] = {}
        self._by_kind: dict[str, list[ObjectWatch]] = {}
        self._by_table: dict[str, list[StateWatch]] = {}
        with database.read() as cur:
            self._last = db.max_seq(cur)
        self._probe = -1
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-feed", daemon=True)
        self._thread.start()

    # --- registration --------------------------------------------------------------

    def watch_objects(self, kind: str, id: uuid.UUID | None, watch: ObjectWatch) -> None:
        """Start `watch` from the current state of one object (or of the kind)."""
        with self._lock:
            with self._db.read() as cur:
                seq = db.max_seq(cur)
                for change in self._load_objects(cur, kind, id):
                    watch.offer(change)
            watch.set_floor(seq)
            if id is None:
                self._by_kind.setdefault(kind, []).append(watch)
            else:
                self._by_object.setdefault((kind, id), []).append(watch)

    def watch_state(self, table: str, watch: StateWatch) -> None:
        with self._lock:
            with self._db.read() as cur:
                seq = db.max_seq(cur)
                for change in self._load_state(cur, table):
                    watch.offer(change)
            watch.set_floor(seq)
            self._by_table.setdefault(table, []).append(watch)

    def forget(self, watch: Watch[Any, Any]) -> None:
        with self._lock:
            _discard(self._by_object, watch)
            _discard(self._by_kind, watch)
            _discard(self._by_table, watch)

    # --- the thread ----------------------------------------------------------------

    def kick(self) -> None:
        """Poll now: this process just committed."""
        self._kick.set()

    def stop(self) -> None:
        """End the thread, and every watch: their iterators finish."""
        self._stop.set()
        self._kick.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)
        with self._lock:
            watches = [
                w
                for index in (self._by_object, self._by_kind, self._by_table)
                for ws in index.values()
                for w in ws
            ]
        for watch in watches:
            watch.close()

    def _run(self) -> None:
        next_idle = time.monotonic() + self._idle_every
        interval, quiet_since = self._interval, time.monotonic()
        while not self._stop.is_set():
            kicked = self._kick.wait(interval)
            if kicked:
                # Clear only a kick we saw: one set after a timed-out wait stays set
                # for the next turn instead of being lost.
                self._kick.clear()
            if self._stop.is_set():
                return
            try:
                if kicked or self._changed():
                    self.poll()
                    interval, quiet_since = self._interval, time.monotonic()
                elif time.monotonic() - quiet_since > 1.0:
                    # Probe less often while nothing changes, to keep idle cost low;
                    # the first change after a quiet spell waits at most max_interval.
                    interval = min(interval * 2, self._max_interval)
                if self._on_idle is not None and time.monotonic() >= next_idle:
                    next_idle = time.monotonic() + self._idle_every
                    self._on_idle()
            except Exception:
                # A locked or briefly unreadable file must not end delivery.
                log.exception("change feed poll failed; retrying")
                time.sleep(self._interval)

    def _changed(self) -> bool:
        if self._db.memory:
            return False  # one connection: only kicks can signal a change
        version = self._db.data_version()
        changed = version != self._probe
        self._probe = version
        return changed

    def poll(self) -> None:
        """Deliver everything committed since the last poll."""
        with self._lock:
            with self._db.read() as cur:
                if not (self._by_object or self._by_kind or self._by_table):
                    self._last = db.max_seq(cur)
                    return
                if db.pruned_through(cur) > self._last:
                    changes = self._resync(cur)
                else:
                    changes = self._read_log(cur)
            for watch, change in changes:
                watch.offer(change)

    # --- reading -------------------------------------------------------------------

    def _read_log(self, cur: sqlite3.Cursor) -> list[tuple[Watch[Any, Any], Change[Any, Any]]]:
        rows = cur.execute(
            "SELECT seq, space, kind, key, data FROM changes WHERE seq > ? ORDER BY seq",
            (self._last,),
        ).fetchall()
        if not rows:
            return []
        self._last = rows[-1][0]
        latest: dict[tuple[int, str, str], tuple[int, str | None]] = {}
        for seq, space, kind, key, data in rows:
            entry = (space, kind, key)
            latest.pop(entry, None)  # re-insert so the order is that of the last change
            latest[entry] = (seq, data)
        out: list[tuple[Watch[Any, Any], Change[Any, Any]]] = []
        for (space, kind, key), (seq, data) in latest.items():
            if space == db.OBJECT:
                id = uuid.UUID(key)
                watches = self._by_object.get((kind, id), []) + self._by_kind.get(kind, [])
                if watches:
                    obj = None if data is None else self._decode(kind, key, seq, data)
                    out.extend((w, Change(id, seq, obj)) for w in watches)
            else:
                watches_s = self._by_table.get(kind, [])
                if watches_s:
                    value = None if data is None else self._load(data)
                    out.extend((w, Change(key, seq, value)) for w in watches_s)
        return out

    def _resync(self, cur: sqlite3.Cursor) -> list[tuple[Watch[Any, Any], Change[Any, Any]]]:
        """Rebuild every watch from the tables: the log no longer covers the gap."""
        log.warning("change log pruned past this watcher; resynchronising")
        seq = db.max_seq(cur)
        out: list[tuple[Watch[Any, Any], Change[Any, Any]]] = []

        def rebuild(watch: Watch[Any, Any], current: list[Change[Any, Any]]) -> None:
            present = {c.key for c in current}
            out.extend((watch, c) for c in current)
            out.extend((watch, Change(k, seq, None)) for k in watch.known() if k not in present)

        for (kind, id), watches in self._by_object.items():
            current = self._load_objects(cur, kind, id)
            for w in watches:
                rebuild(w, current)
        for kind, watches in self._by_kind.items():
            current = self._load_objects(cur, kind, None)
            for w in watches:
                rebuild(w, current)
        for table, table_watches in self._by_table.items():
            entries = self._load_state(cur, table)
            for ws in table_watches:
                rebuild(ws, entries)
        self._last = seq
        return out

    def _load_objects(
        self, cur: sqlite3.Cursor, kind: str, id: uuid.UUID | None
    ) -> list[Change[uuid.UUID, Any]]:
        if id is None:
            rows = cur.execute(
                "SELECT id, version, data FROM objects WHERE kind = ? ORDER BY id", (kind,)
            ).fetchall()
        else:
            rows = cur.execute(
                "SELECT id, version, data FROM objects WHERE kind = ? AND id = ?",
                (kind, str(id)),
            ).fetchall()
        return [Change(uuid.UUID(i), v, self._decode(kind, i, v, d)) for i, v, d in rows]

    def _load_state(self, cur: sqlite3.Cursor, table: str) -> list[Change[str, Any]]:
        rows = cur.execute(
            "SELECT key, version, value FROM state WHERE tbl = ? ORDER BY key", (table,)
        ).fetchall()
        return [Change(k, v, self._load(d)) for k, v, d in rows]


KeyT = TypeVar("KeyT")


def _discard(index: dict[KeyT, list[W]], watch: Watch[Any, Any]) -> None:
    for key, watches in list(index.items()):
        if watch in watches:
            watches.remove(watch)
            if not watches:
                del index[key]
