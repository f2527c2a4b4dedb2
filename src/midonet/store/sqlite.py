"""The SQLite file behind the embedded store: schema, connections and the change log.

Layout (one file, WAL mode, shared by every process of a machine):

    objects(kind, id, version, data)        one row per model object, data is JSON
    state(tbl, key, value, version, session) state-table entries; session NULL = persistent
    sessions(id, owner, ttl, expires)        client sessions; expires is wall-clock time
    changes(seq, space, kind, key, data)     the change log: every write of an object
                                            (space 0) or state entry (space 1) appends
                                            a row with the value written, NULL for a
                                            delete; seq is the global order and the
                                            version of what was written
    meta(key, value)                         'pruned_through': highest seq pruned

Writers take the write lock up front (BEGIN IMMEDIATE) so a transaction never has to
be retried half way; SQLite's busy handler makes other processes wait for it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from midonet.errors import StoreUnavailable

OBJECT = 0
STATE = 1

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS objects(
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY(kind, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state(
    tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,
    session INTEGER, PRIMARY KEY(tbl, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS state_session ON state(session) WHERE session IS NOT NULL;
CREATE TABLE IF NOT EXISTS sessions(
    id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, ttl REAL NOT NULL,
    expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);
CREATE TABLE IF NOT EXISTS changes(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, space INTEGER NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('pruned_through', '0');
"""


class Database:
    """One connection, shared by the threads of a store under a re-entrant lock."""

    def __init__(self, path: str, *, busy_timeout: float = 30.0, synchronous: str = "NORMAL"):
        self.path = path
        self.memory = path == ":memory:"
        self.lock = threading.RLock()
        self._depth = 0  # >0 while this connection is inside a transaction
        try:
            self.conn = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            if not self.memory:
                # WAL lets readers (other processes' watchers) run beside the writer.
                self._use_wal(busy_timeout)
            # NORMAL in WAL mode survives a process crash; only power loss may drop
            # the last transactions.
            self.conn.execute(f"PRAGMA synchronous={synchronous}")
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot open {path}: {e}") from e

    def _use_wal(self, timeout: float) -> None:
        """Switch the file to WAL. Switching needs the file to itself and SQLite does
        not wait for that (no busy handler), so processes opening a new file together
        retry here."""
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                (mode,) = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()
                if str(mode).lower() == "wal":
                    return
            except sqlite3.OperationalError:
                pass  # locked by another process switching it: try again
            if time.monotonic() >= deadline:
                raise StoreUnavailable(f"cannot switch {self.path} to WAL mode")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def create_schema(self) -> None:
        try:
            with self.write() as cur:
                (version,) = cur.execute("PRAGMA user_version").fetchone()
                if version > SCHEMA_VERSION:
                    raise StoreUnavailable(f"{self.path} has schema {version}, newer than ours")
                for statement in _DDL.split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            raise StoreUnavailable(f"{self.path} is not a usable store: {e}") from e

    @contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        """An immediate (write-locked) transaction; committed unless the block raises."""
        with self.lock:
            if self._depth:
                raise RuntimeError("a transaction is already open on this thread: use it")
            cur = self.conn.cursor()
            self._depth += 1
            try:
                cur.execute("BEGIN IMMEDIATE")
                yield cur
                cur.execute("COMMIT")
            except sqlite3.OperationalError as e:  # locked past the timeout, I/O, full
                self._rollback()
                raise StoreUnavailable(f"{self.path}: {e}") from e
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth -= 1
                cur.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        """A consistent snapshot for several statements (or the open transaction's)."""
        with self.lock:
            cur = self.conn.cursor()
            nested = self._depth > 0
            self._depth += 1
            try:
                if not nested:
                    cur.execute("BEGIN")
                yield cur
                if not nested:
                    cur.execute("COMMIT")
            except sqlite3.OperationalError as e:
                if not nested:
                    self._rollback()
                raise StoreUnavailable(f"{self.path}: {e}") from e
            except BaseException:
                if not nested:
                    self._rollback()
                raise
            finally:
                self._depth -= 1
                cur.close()

    def _rollback(self) -> None:
        # SQLite may already have rolled back (e.g. disk full); then there is nothing to do.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def query_one(self, sql: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
        """One statement's first row; a single statement needs no explicit transaction
        to be consistent."""
        with self.lock:
            try:
                row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
            except sqlite3.OperationalError as e:
                raise StoreUnavailable(f"{self.path}: {e}") from e
            return row

    def data_version(self) -> int:
        """Changes when another connection commits (SQLite's cheap change probe)."""
        with self.lock:
            try:
                (value,) = self.conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.OperationalError as e:
                raise StoreUnavailable(f"{self.path}: {e}") from e
            return int(value)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def log_change(cur: sqlite3.Cursor, space: int, kind: str, key: str, data: str | None) -> int:
    """Append to the change log; the returned seq is the new version of the entry."""
    cur.execute(
        "INSERT INTO changes(space, kind, key, data) VALUES (?, ?, ?, ?)", (space, kind, key, data)
    )
    seq = cur.lastrowid
    assert seq is not None
    return seq


def max_seq(cur: sqlite3.Cursor) -> int:
    row = cur.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return int(row[0]) if row else 0


def pruned_through(cur: sqlite3.Cursor) -> int:
    row = cur.execute("SELECT value FROM meta WHERE key = 'pruned_through'").fetchone()
    return int(row[0])


def prune(cur: sqlite3.Cursor, keep: int) -> None:
    """Drop all but the last `keep` change-log rows. Watchers that were further behind
    notice through 'pruned_through' and resynchronise from the tables."""
    cut = max_seq(cur) - keep
    if cut > pruned_through(cur):
        cur.execute("DELETE FROM changes WHERE seq <= ?", (cut,))
        cur.execute("UPDATE meta SET value = ? WHERE key = 'pruned_through'", (str(cut),))
