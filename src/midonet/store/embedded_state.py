"""State tables and sessions of the embedded store, in the same SQLite file."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable

from midonet.errors import StoreUnavailable
from midonet.store import sqlite as db
from midonet.store.feed import ChangeFeed
from midonet.store.state import JSON, Session, SessionExpired, StateEntry
from midonet.store.watch import Change, Dispatcher, Watch

log = logging.getLogger(__name__)

_LIVE = "(s.session IS NULL OR s.session IN (SELECT id FROM sessions WHERE expires >= ?))"


def _dump(value: JSON) -> str:
    if value is None:
        raise ValueError("a state value cannot be null (null marks a deletion)")
    return json.dumps(value, separators=(",", ":"))


class EmbeddedSession:
    def __init__(self, state: EmbeddedState, id: int, ttl: float, heartbeat: bool) -> None:
        self._state = state
        self._id = id
        self._ttl = ttl
        self._ended = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        if heartbeat:
            self._thread = threading.Thread(
                target=self._beat, name=f"session-{id}-heartbeat", daemon=True
            )
            self._thread.start()

    @property
    def id(self) -> int:
        return self._id

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def expired(self) -> bool:
        """True once the session ended, here or by another client reaping it."""
        if not self._ended.is_set() and not self._state._alive(self._id):
            self._ended.set()
        return self._ended.is_set()

    def renew(self) -> None:
        if self._ended.is_set() or not self._state._renew(self._id, self._ttl):
            self._ended.set()
            raise SessionExpired(f"session {self._id} has ended")

    def _beat(self) -> None:
        while not self._ended.wait(self._ttl / 3):
            try:
                self.renew()
            except SessionExpired:
                log.error("session %d expired before it could be renewed", self._id)
                return
            except StoreUnavailable:
                log.warning("session %d: store busy, renewal retried", self._id)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._ended.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._state._end([self._id])

    def __enter__(self) -> EmbeddedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EmbeddedState:
    """`StateStore` over the embedded store's database and change feed."""

    def __init__(
        self,
        database: db.Database,
        feed: Callable[[], ChangeFeed],
        dispatcher: Callable[[], Dispatcher],
    ) -> None:
        self._db = database
        self._feed = feed
        self._dispatcher = dispatcher
        self._sessions: dict[int, EmbeddedSession] = {}
        self._lock = threading.Lock()

    # --- sessions ------------------------------------------------------------------

    def open_session(
        self, ttl: float = 10.0, *, owner: str = "", heartbeat: bool = True
    ) -> EmbeddedSession:
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        with self._db.write() as cur:
            cur.execute(
                "INSERT INTO sessions(owner, ttl, expires) VALUES (?, ?, ?)",
                (owner, ttl, time.time() + ttl),
            )
            id = cur.lastrowid
        assert id is not None
        session = EmbeddedSession(self, id, ttl, heartbeat)
        with self._lock:
            self._sessions[id] = session
        return session

    def _renew(self, id: int, ttl: float) -> bool:
        with self._db.write() as cur:
            now = time.time()
            cur.execute(
                "UPDATE sessions SET expires = ? WHERE id = ? AND expires >= ?",
                (now + ttl, id, now),
            )
            return cur.rowcount == 1

    def _alive(self, id: int) -> bool:
        row = self._db.query_one(
            "SELECT 1 FROM sessions WHERE id = ? AND expires >= ?", (id, time.time())
        )
        return row is not None

    def _end(self, ids: Iterable[int]) -> None:
        with self._db.write() as cur:
            self._end_in(cur, list(ids))
        self._feed().kick()
        with self._lock:
            for id in ids:
                self._sessions.pop(id, None)

    @staticmethod
    def _end_in(cur: sqlite3.Cursor, ids: list[int]) -> None:
        for id in ids:
            rows = cur.execute("SELECT tbl, key FROM state WHERE session = ?", (id,)).fetchall()
            for tbl, key in rows:
                db.log_change(cur, db.STATE, tbl, key, None)
            cur.execute("DELETE FROM state WHERE session = ?", (id,))
            cur.execute("DELETE FROM sessions WHERE id = ?", (id,))

    @staticmethod
    def _reap_in(cur: sqlite3.Cursor, now: float) -> list[int]:
        ids = [r[0] for r in cur.execute("SELECT id FROM sessions WHERE expires < ?", (now,))]
        EmbeddedState._end_in(cur, ids)
        return ids

    def reap_expired(self) -> int:
        now = time.time()
        # The common case: nothing to reap, and no write lock taken to find out.
        if not self._db.query_one("SELECT 1 FROM sessions WHERE expires < ? LIMIT 1", (now,)):
            return 0
        with self._db.write() as cur:
            ended = self._reap_in(cur, time.time())
        if ended:
            log.info("reaped expired sessions %s", ended)
            self._feed().kick()
            with self._lock:
                for id in ended:
                    mine = self._sessions.pop(id, None)
                    if mine is not None:
                        mine._ended.set()
        return len(ended)

    def close(self) -> None:
        """End this process's sessions cleanly."""
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            try:
                session.close()
            except StoreUnavailable:
                log.warning("could not end session %d; it will expire", session.id)

    # --- entries -------------------------------------------------------------------

    def get(self, table: str, key: str) -> StateEntry | None:
        row = self._db.query_one(
            f"SELECT value, version, session FROM state s WHERE tbl = ? AND key = ? AND {_LIVE}",
            (table, key, time.time()),
        )
        return None if row is None else StateEntry(json.loads(row[0]), row[1], row[2])

    def entries(self, table: str) -> dict[str, StateEntry]:
        with self._db.read() as cur:
            rows = cur.execute(
                f"SELECT key, value, version, session FROM state s WHERE tbl = ? AND {_LIVE} "
                "ORDER BY key",
                (table, time.time()),
            ).fetchall()
        return {k: StateEntry(json.loads(v), ver, s) for k, v, ver, s in rows}

    def put(self, table: str, key: str, value: JSON, *, session: Session | None = None) -> int:
        version = self._write(table, key, value, session, None)
        assert version is not None
        return version

    def put_if(
        self,
        table: str,
        key: str,
        value: JSON,
        *,
        expected_version: int,
        session: Session | None = None,
    ) -> int | None:
        return self._write(table, key, value, session, expected_version)

    def _write(
        self, table: str, key: str, value: JSON, session: Session | None, expected: int | None
    ) -> int | None:
        data = _dump(value)
        with self._db.write() as cur:
            now = time.time()
            # Entries of expired sessions count as absent: reap them first.
            self._reap_in(cur, now)
            if session is not None:
                alive = cur.execute(
                    "SELECT 1 FROM sessions WHERE id = ? AND expires >= ?", (session.id, now)
                ).fetchone()
                if not alive:
                    raise SessionExpired(f"session {session.id} has ended")
            if expected is not None:
                row = cur.execute(
                    "SELECT version FROM state WHERE tbl = ? AND key = ?", (table, key)
                ).fetchone()
                if (row[0] if row else 0) != expected:
                    return None
            version = db.log_change(cur, db.STATE, table, key, data)
            cur.execute(
                "INSERT INTO state(tbl, key, value, version, session) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(tbl, key) DO UPDATE SET value = excluded.value, "
                "version = excluded.version, session = excluded.session",
                (table, key, data, version, None if session is None else session.id),
            )
        self._feed().kick()
        return version

    def remove(
        self,
        table: str,
        key: str,
        *,
        expected_version: int | None = None,
        session: Session | None = None,
    ) -> bool:
        with self._db.write() as cur:
            row = cur.execute(
                "SELECT version, session FROM state WHERE tbl = ? AND key = ?", (table, key)
            ).fetchone()
            if row is None:
                return False
            if expected_version is not None and row[0] != expected_version:
                return False
            if session is not None and row[1] != session.id:
                return False
            db.log_change(cur, db.STATE, table, key, None)
            cur.execute("DELETE FROM state WHERE tbl = ? AND key = ?", (table, key))
        self._feed().kick()
        return True

    def watch(
        self, table: str, *, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        feed = self._feed()
        watch: Watch[str, JSON] = Watch(
            callback=callback,
            dispatcher=self._dispatcher() if callback is not None else None,
            on_close=feed.forget,
        )
        feed.watch_state(table, watch)
        return watch
