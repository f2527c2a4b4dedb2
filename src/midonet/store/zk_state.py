"""State tables of the ZooKeeper store: one znode per entry, ephemeral ones owned by
a ZooKeeper session.

Layout: ROOT/state/TABLE/KEY, table and key percent-encoded into one path segment
each; the data is the entry's JSON value; its version is the znode's `mzxid`; an
ephemeral entry's owner is the znode's `ephemeralOwner`.

A `ZkSession` is a ZooKeeper session of its own (a second connection), whose timeout
is the session's TTL (ZooKeeper rounds it into the server's bounds): its ephemeral
entries vanish when it is closed, and when its process dies and stops pinging. With
`heartbeat=False` the holder promises to call `renew()`; a local deadline ends the
session when it does not. Creating an ephemeral node is atomic, so of two agents
leasing the same NAT block exactly one wins.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable

from midonet.errors import StoreUnavailable
from midonet.store.state import JSON, Session, SessionExpired, StateEntry
from midonet.store.watch import Change, Dispatcher, Watch
from midonet.store.zk_client import (
    BadVersion,
    NodeExists,
    NoNode,
    OpCreate,
    OpDelete,
    OpSet,
    Stat,
    TransactionFailed,
    ZkClient,
)
from midonet.store.zk_metrics import StoreMetrics
from midonet.store.zk_watch import WatchEngine

log = logging.getLogger(__name__)


def segment(text: str) -> str:
    """`text` as one znode name ("." and ".." are reserved by ZooKeeper)."""
    quoted = urllib.parse.quote(text, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _dump(value: JSON) -> bytes:
    if value is None:
        raise ValueError("a state value cannot be null (null marks a deletion)")
    return json.dumps(value, separators=(",", ":")).encode()


def _entry(data: bytes, stat: Stat) -> StateEntry:
    return StateEntry(json.loads(data), stat.mzxid, stat.ephemeral_owner or None)


class ZkSession:
    def __init__(self, state: ZooKeeperState, client: ZkClient, ttl: float, heartbeat: bool):
        self._state = state
        self.client = client
        self._id = client.session_id
        self._ttl = ttl
        self._heartbeat = heartbeat
        self._deadline = time.monotonic() + ttl
        self._ended = threading.Event()
        self._closed = False
        self._timer: threading.Thread | None = None
        if not heartbeat:
            self._timer = threading.Thread(
                target=self._watchdog, name=f"zk-session-{self._id:x}", daemon=True
            )
            self._timer.start()

    @property
    def id(self) -> int:
        return self._id

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def expired(self) -> bool:
        # A new ZooKeeper session id means ours expired while disconnected.
        if not self._ended.is_set() and self.client.session_id not in (0, self._id):
            self._ended.set()
        return self._ended.is_set()

    def renew(self) -> None:
        if self.expired:
            raise SessionExpired(f"session {self._id:#x} has ended")
        self._deadline = time.monotonic() + self._ttl

    def _watchdog(self) -> None:
        while not self._ended.wait(max(0.0, self._deadline - time.monotonic())):
            if time.monotonic() >= self._deadline:
                log.warning("session %#x not renewed within %gs; ending it", self._id, self._ttl)
                self.close()
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._ended.set()
        self._state._forget(self)
        try:
            self.client.stop()
        except Exception:
            log.warning("session %#x did not close cleanly; ZooKeeper will expire it", self._id)

    def __enter__(self) -> ZkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZooKeeperState:
    """`StateStore` under ROOT/state."""

    def __init__(
        self,
        client: ZkClient,
        root: str,
        engine: WatchEngine,
        dispatcher: Callable[[], Dispatcher],
        new_client: Callable[[float], ZkClient],
        metrics: StoreMetrics,
    ) -> None:
        self._client = client
        self._metrics = metrics
        self.root = f"{root}/state"
        self._engine = engine
        self._dispatcher = dispatcher
        self._new_client = new_client
        self._sessions: dict[int, ZkSession] = {}
        self._lock = threading.Lock()

    def _table(self, table: str) -> str:
        return f"{self.root}/{segment(table)}"

    def _path(self, table: str, key: str) -> str:
        return f"{self._table(table)}/{segment(key)}"

    # --- sessions ------------------------------------------------------------------

    def open_session(
        self, ttl: float = 10.0, *, owner: str = "", heartbeat: bool = True
    ) -> ZkSession:
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        client = self._new_client(ttl)
        session = ZkSession(self, client, ttl, heartbeat)
        with self._lock:
            self._sessions[session.id] = session
        log.debug("opened session %#x for %r", session.id, owner)
        return session

    def _forget(self, session: ZkSession) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def reap_expired(self) -> int:
        """ZooKeeper expires sessions itself; this only ends local ones past their
        renewal deadline."""
        with self._lock:
            sessions = list(self._sessions.values())
        ended = [s for s in sessions if not s._heartbeat and time.monotonic() > s._deadline]
        for session in ended:
            session.close()
        return len(ended)

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            session.close()

    # --- entries -------------------------------------------------------------------

    def get(self, table: str, key: str) -> StateEntry | None:
        try:
            with self._metrics.timed("read"):
                data, stat = self._client.get(self._path(table, key))
        except NoNode:
            return None
        return _entry(data, stat)

    def entries(self, table: str) -> dict[str, StateEntry]:
        directory = self._table(table)
        try:
            with self._metrics.timed("read_children"):
                names, _ = self._client.children(directory)
        except NoNode:
            return {}
        found = self._client.get_many([f"{directory}/{n}" for n in names])
        out = {
            urllib.parse.unquote(n): _entry(*f)
            for n, f in zip(names, found, strict=True)
            if f is not None
        }
        return dict(sorted(out.items()))

    def _writer(self, session: Session | None) -> ZkClient:
        if session is None:
            return self._client
        if not isinstance(session, ZkSession) or session.expired:
            raise SessionExpired(f"session {session.id:#x} has ended")
        return session.client

    def put(self, table: str, key: str, value: JSON, *, session: Session | None = None) -> int:
        with self._metrics.timed("write"):
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
        with self._metrics.timed("write"):
            return self._write(table, key, value, session, expected_version)

    def _write(
        self, table: str, key: str, value: JSON, session: Session | None, expected: int | None
    ) -> int | None:
        data, path = _dump(value), self._path(table, key)
        writer = self._writer(session)
        ephemeral = session is not None
        owner = session.id if session is not None else 0
        while True:
            try:
                stat: Stat | None = self._client.get(path)[1]
            except NoNode:
                stat = None
            if expected is not None and (0 if stat is None else stat.mzxid) != expected:
                return None
            try:
                if stat is None:
                    self._ensure_table(table)
                    return writer.create(path, data, ephemeral=ephemeral).mzxid
                if stat.ephemeral_owner == owner:
                    return writer.set(path, data, stat.version).mzxid
                # ZooKeeper cannot hand a node to another owner: replace it atomically.
                results = writer.multi(
                    [
                        OpDelete(path, stat.version),
                        OpCreate(path, data, ephemeral),
                        OpSet(path, data),
                    ]
                )
                new: Stat = results[2]
                return new.mzxid
            except (NodeExists, BadVersion, NoNode, TransactionFailed):
                if expected is not None:
                    return None
                continue  # another writer got in between: look again

    def _ensure_table(self, table: str) -> None:
        if self._client.exists(self._table(table)) is None:
            self._client.ensure_path(self._table(table))

    def remove(
        self,
        table: str,
        key: str,
        *,
        expected_version: int | None = None,
        session: Session | None = None,
    ) -> bool:
        path = self._path(table, key)
        while True:
            try:
                _, stat = self._client.get(path)
            except NoNode:
                return False
            if expected_version is not None and stat.mzxid != expected_version:
                return False
            if session is not None and stat.ephemeral_owner != session.id:
                return False
            try:
                with self._metrics.timed("write"):
                    self._client.delete(path, stat.version)
                return True
            except (BadVersion, NoNode):
                continue

    def watch(
        self, table: str, *, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        watch: Watch[str, JSON] = Watch(
            callback=callback,
            dispatcher=self._dispatcher() if callback is not None else None,
            on_close=self._engine.forget,
        )

        def decode(name: str, data: bytes, stat: Stat) -> tuple[str, JSON]:
            return urllib.parse.unquote(name), json.loads(data) if data else None

        try:
            self._engine.follow(self._table(table), decode, watch, whole_dir=True)
        except StoreUnavailable:
            watch.close()
            raise
        return watch
