"""The ZooKeeper store: the NSDB of a cloud, on a ZooKeeper ensemble through kazoo.

Layout under the root path (`zookeeper.root_key`, "/midonet" by default):

    ROOT/objects/KIND/ID    one znode per object, its JSON form
    ROOT/state/TABLE/KEY    state-table entries (see `zk_state`)
    ROOT/seq                written by every transaction: its new `mzxid` is the
                            transaction's zxid, hence the version of what it wrote

An object's version is its znode's `mzxid`, the id of the ZooKeeper transaction that
last wrote it: it only grows, also across a delete and a re-create, as the protocol
asks. A transaction reads what it needs (remembering each znode's data version),
computes the bindings' consequences with `integrity.Staging` exactly as the embedded
store does, then commits everything as one multi-op whose every write, and a check of
every object it only read, names the version read. When another client wrote in
between, ZooKeeper refuses the whole multi and the operations are replayed on fresh
data: an update with an `expected_version` then fails with ConcurrentModification, a
last-writer-wins one succeeds.

Connection loss (Operations Guide, "MidoNet behavior after ZooKeeper cluster
failure"): while disconnected, reads of followed objects are answered from the
watches' cache, other reads and every write raise `StoreUnavailable`; kazoo keeps
reconnecting, and on reconnection every watch re-reads what it follows, so changes
made meanwhile are delivered. `add_connection_listener` reports CONNECTED,
SUSPENDED, RECONNECTED and LOST (the session expired, or stayed disconnected longer
than `session_gracetime`: an agent should then exit, the API answer 503).
"""

from __future__ import annotations

import builtins
import enum
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from midonet.errors import ConcurrentModification, NotFound, StoreError, StoreUnavailable
from midonet.model.base import BINDINGS, MODEL_TYPES, Binding, ModelObject
from midonet.store.base import (
    Committed,
    Create,
    Key,
    Op,
    Store,
    T,
    Transaction,
    Update,
    Versioned,
)
from midonet.store.config import ConfigLayers
from midonet.store.derive import default_hooks
from midonet.store.integrity import Hook, Schema, Staging
from midonet.store.query import filter_objects
from midonet.store.staged import SingleWrites, StagedTransaction
from midonet.store.state import StateStore
from midonet.store.watch import Change, Dispatcher, Watch
from midonet.store.zk_client import (
    Link,
    NoNode,
    OpCheck,
    OpCreate,
    OpDelete,
    OpSet,
    Stat,
    TransactionFailed,
    ZkClient,
    ZkOp,
)
from midonet.store.zk_metrics import StoreMetrics
from midonet.store.zk_state import ZooKeeperState
from midonet.store.zk_watch import WatchEngine

if TYPE_CHECKING:
    from midonet.config.layer import Config

log = logging.getLogger("org.midonet.nsdb.nsdb-connection")

_CACHE_SIZE = 65536


class ConnectionState(enum.Enum):
    CONNECTED = "CONNECTED"
    """Connected with a new session (the first time, or after LOST)."""
    SUSPENDED = "SUSPENDED"
    """Disconnected; the session may still recover. Watches keep their views."""
    RECONNECTED = "RECONNECTED"
    """Connected again with the same session: nothing was lost."""
    LOST = "LOST"
    """The session expired, or the outage outlasted `session_gracetime`."""


ConnectionListener = Callable[[ConnectionState], None]


def parse_url(url: str) -> tuple[str, str]:
    """`zk://HOST:PORT[,HOST:PORT]/ROOT` → (hosts, root path)."""
    if not url.startswith("zk://"):
        raise ValueError(f"not a ZooKeeper URL: {url!r} (zk://HOST:PORT[,HOST:PORT]/ROOT)")
    hosts, slash, root = url.removeprefix("zk://").partition("/")
    if not hosts or any(":" not in h for h in hosts.split(",")):
        raise ValueError(f"{url!r}: expected HOST:PORT[,HOST:PORT] after zk://")
    root = "/" + root.strip("/") if slash and root.strip("/") else "/midonet"
    return hosts, root


class _Codec:
    """JSON bytes ↔ objects, decoded objects cached by (kind, id, version)."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._cache: dict[tuple[str, str, int], ModelObject] = {}
        self._lock = threading.Lock()

    @staticmethod
    def encode(obj: ModelObject) -> bytes:
        return json.dumps(obj.to_dict(), separators=(",", ":")).encode()

    def decode(self, kind: str, id: str, version: int, data: bytes) -> ModelObject:
        key = (kind, id, version)
        obj = self._cache.get(key)
        if obj is None:
            obj = self._schema.cls(kind).from_dict(json.loads(data))
            with self._lock:
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = obj
        return obj


class _Conflict(Exception):
    """Another client wrote something this transaction read: replay it."""


class _ZkTransaction(StagedTransaction):
    """A `Transaction`: reads through the staging, writes recorded for a replay."""

    def __init__(self, store: ZooKeeperStore, staging: Staging) -> None:
        super().__init__(staging)
        self._store = store
        self.ops: list[Op] = []

    def _stored_ids(self, kind: str) -> Iterable[uuid.UUID]:
        return self._store._ids(kind)

    def _record(self, op: Op) -> None:
        self.ops.append(op)


class ZooKeeperStore(SingleWrites):
    """`Store` on ZooKeeper. `hosts` is "host:port[,host:port]", `root` the path under
    which everything lives. Times are in seconds."""

    def __init__(
        self,
        hosts: str,
        root: str = "/midonet",
        *,
        session_timeout: float = 30.0,
        session_gracetime: float | None = None,
        connect_timeout: float = 30.0,
        op_timeout: float = 10.0,
        retry_delay: float = 1.0,
        transaction_attempts: int = 10,
        kinds: Mapping[str, type[ModelObject]] | None = None,
        bindings: Iterable[Binding] | None = None,
        hooks: Sequence[Hook] | None = None,
    ) -> None:
        if not root.startswith("/") or root.endswith("/") or "//" in root:
            raise ValueError(f"root must be an absolute znode path, got {root!r}")
        self.schema = Schema(
            MODEL_TYPES if kinds is None else kinds, BINDINGS if bindings is None else bindings
        )
        all_hooks = default_hooks() if hooks is None else hooks
        self._hooks = [h for h in all_hooks if h.kind in self.schema.kinds]
        self._codec = _Codec(self.schema)
        self.hosts, self.root = hosts, root
        self.url = f"zk://{hosts}{root}"
        self._attempts = max(1, transaction_attempts)
        self._gracetime = session_timeout if session_gracetime is None else session_gracetime
        self.metrics = StoreMetrics()
        self._listeners: list[ConnectionListener] = []
        self._events: queue.Queue[Link | None] = queue.Queue()
        self._state_now = ConnectionState.SUSPENDED
        self._session = 0
        self._lock = threading.Lock()

        def new_client(timeout: float) -> ZkClient:
            client = ZkClient(
                hosts,
                session_timeout=timeout,
                op_timeout=op_timeout,
                max_retry_delay=retry_delay,
            )
            client.start(connect_timeout)
            return client

        self._client = ZkClient(
            hosts, session_timeout=session_timeout, op_timeout=op_timeout,
            max_retry_delay=retry_delay,
        )  # fmt: skip
        self._client.add_listener(self._events.put)
        self._client.start(connect_timeout)
        self._session = self._client.session_id
        self._set_state(ConnectionState.CONNECTED)
        self.metrics.count("connections_created")
        self._dispatcher: Dispatcher | None = None
        self._closed = False
        try:
            for path in (
                f"{root}/state",
                *(f"{root}/objects/{k}" for k in self.schema.kinds),
            ):
                if self._client.exists(path) is None:
                    self._client.ensure_path(path)
            if self._client.exists(self._seq) is None:
                self._client.ensure_path(self._seq)
        except BaseException:
            self._client.stop()
            raise
        self._engine = WatchEngine(self._client, self.metrics)
        self.metrics.gauges["object_observable_count"] = lambda: self._engine.counts()[0]
        self.metrics.gauges["class_observable_count"] = lambda: self._engine.counts()[1]
        self._state = ZooKeeperState(
            self._client, root, self._engine, self._get_dispatcher, new_client, self.metrics
        )
        self._config = ConfigLayers(self._state)
        self._monitor = threading.Thread(target=self._watch_link, name="zk-link", daemon=True)
        self._monitor.start()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> ZooKeeperStore:
        hosts, root = parse_url(url)
        return cls(hosts, root, **options)

    @classmethod
    def from_config(cls, config: Config, **options: Any) -> ZooKeeperStore:
        """A store from the `zookeeper.*` keys of a node's configuration."""
        values: dict[str, Any] = {
            "session_timeout": config.get_duration("zookeeper.session_timeout").seconds,
            "session_gracetime": config.get_duration("zookeeper.session_gracetime").seconds,
            "connect_timeout": config.get_duration("zookeeper.bootstrap_timeout").seconds,
            "retry_delay": config.get_duration("zookeeper.base_retry").seconds,
            "transaction_attempts": config.get_int("zookeeper.transaction_attempts"),
        }
        values.update(options)
        hosts = ",".join(h.strip() for h in config.get_str("zookeeper.zookeeper_hosts").split(","))
        return cls(hosts, config.get_str("zookeeper.root_key"), **values)

    @property
    def _seq(self) -> str:
        return f"{self.root}/seq"

    def _dir(self, kind: str) -> str:
        return f"{self.root}/objects/{kind}"

    def _path(self, kind: str, id: uuid.UUID) -> str:
        return f"{self.root}/objects/{kind}/{id}"

    @property
    def state(self) -> StateStore:
        return self._state

    @property
    def config(self) -> ConfigLayers:
        return self._config

    def _get_dispatcher(self) -> Dispatcher:
        with self._lock:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher("zk-watch-dispatcher")
            return self._dispatcher

    # --- connection state ------------------------------------------------------------

    @property
    def connection_state(self) -> ConnectionState:
        return self._state_now

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        """Call `listener` on every connection state change (from a store thread);
        it is called at once with the current state."""
        with self._lock:
            self._listeners.append(listener)
        listener(self._state_now)

    def remove_connection_listener(self, listener: ConnectionListener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state_now:
            return
        self._state_now = state
        self.metrics.connection_state = state.value
        log.info("NSDB connection %s (%s)", state.value, self.hosts)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(state)
            except Exception:
                log.exception("connection listener failed")

    def _watch_link(self) -> None:
        """Turn kazoo's states into ours, and time the grace period."""
        deadline: float | None = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                link = self._events.get(timeout=timeout)
            except queue.Empty:
                deadline = None
                self._set_state(ConnectionState.LOST)
                continue
            if link is None:
                return
            if link is Link.SUSPENDED:
                self.metrics.count("connections_lost")
                if self._state_now is not ConnectionState.LOST:
                    deadline = time.monotonic() + self._gracetime
                    self._set_state(ConnectionState.SUSPENDED)
            elif link is Link.LOST:
                deadline = None
                self.metrics.count("connections_lost")
                self._set_state(ConnectionState.LOST)
            else:
                deadline = None
                session = self._client.session_id
                linked = self._state_now in (ConnectionState.CONNECTED, ConnectionState.RECONNECTED)
                if linked and session == self._session:
                    continue  # the first connection's own event
                same = session == self._session and self._state_now is not ConnectionState.LOST
                self._session = session
                self.metrics.count("connections_created")
                self._set_state(ConnectionState.RECONNECTED if same else ConnectionState.CONNECTED)
                self._engine.resync()

    # --- reads -----------------------------------------------------------------------

    def _offline_get(self, kind: str, id: uuid.UUID) -> Versioned[ModelObject] | None:
        """From the watches' cache while disconnected; StoreUnavailable if not followed."""
        followed, held = self._engine.cached(self._dir(kind), str(id))
        if not followed:
            raise StoreUnavailable(
                f"ZooKeeper at {self.hosts} is not reachable (connection "
                f"{self._state_now.value}) and {kind} {id} is not cached"
            )
        return None if held is None else Versioned(held[1], held[0])

    def _read(self, kind: str, id: uuid.UUID) -> tuple[Versioned[ModelObject], Stat] | None:
        with self.metrics.timed("read"):
            try:
                data, stat = self._client.get(self._path(kind, id))
            except NoNode:
                return None
        obj = self._codec.decode(kind, str(id), stat.mzxid, data)
        return Versioned(obj, stat.mzxid), stat

    def get(self, cls: type[T], id: uuid.UUID) -> Versioned[T]:
        kind = self.schema.kind_of(cls)
        with self.metrics.errors():
            if not self._client.connected:
                found: Versioned[ModelObject] | None = self._offline_get(kind, id)
            else:
                read = self._read(kind, id)
                found = None if read is None else read[0]
            if found is None:
                raise NotFound(kind, id)
            return found  # type: ignore[return-value]

    def exists(self, cls: type[ModelObject], id: uuid.UUID) -> bool:
        kind = self.schema.kind_of(cls)
        if not self._client.connected:
            return self._offline_get(kind, id) is not None
        with self.metrics.timed("read"):
            return self._client.exists(self._path(kind, id)) is not None

    def _ids(self, kind: str) -> list[uuid.UUID]:
        with self.metrics.timed("read_children"):
            names, _ = self._client.children(self._dir(kind))
        return [uuid.UUID(n) for n in names]

    def list(
        self,
        cls: type[T],
        *,
        ids: Iterable[uuid.UUID] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> builtins.list[T]:
        kind = self.schema.kind_of(cls)
        with self.metrics.errors():
            if not self._client.connected:
                return filter_objects(cls, self._offline_list(kind, ids), where)
            wanted = sorted(self._ids(kind)) if ids is None else list(ids)
            with self.metrics.timed("read"):
                found = self._client.get_many([self._path(kind, i) for i in wanted])
            objs: builtins.list[T] = []
            for id, item in zip(wanted, found, strict=True):
                if item is None:
                    if ids is None:
                        continue  # deleted since the listing
                    raise NotFound(kind, id)
                data, stat = item
                objs.append(self._codec.decode(kind, str(id), stat.mzxid, data))  # type: ignore[arg-type]
            return filter_objects(cls, objs, where)

    def _offline_list(self, kind: str, ids: Iterable[uuid.UUID] | None) -> builtins.list[Any]:
        if ids is not None:
            out = []
            for id in ids:
                found = self._offline_get(kind, id)
                if found is None:
                    raise NotFound(kind, id)
                out.append(found.obj)
            return out
        cached = self._engine.cached_dir(self._dir(kind))
        if cached is None:
            raise StoreUnavailable(
                f"ZooKeeper at {self.hosts} is not reachable (connection "
                f"{self._state_now.value}) and no watch follows {kind}"
            )
        return sorted(cached, key=lambda o: o.id)

    # --- writes ----------------------------------------------------------------------

    def _staging(
        self, reads: dict[Key, Stat | None], assume_absent: frozenset[Key] = frozenset()
    ) -> Staging:
        def read(kind: str, id: uuid.UUID) -> Versioned[ModelObject] | None:
            if (kind, id) in assume_absent:
                reads[(kind, id)] = None  # the multi's create fails if it exists
                return None
            found = self._read(kind, id)
            reads[(kind, id)] = None if found is None else found[1]
            return None if found is None else found[0]

        return Staging(self.schema, read, self._hooks)

    def _flush(self, staging: Staging, reads: dict[Key, Stat | None]) -> Committed:
        ops: list[ZkOp] = []
        written: list[tuple[Key, bool]] = []
        for key, obj, _base in staging.writes():
            path, stat = self._path(*key), reads[key]
            if obj is None:
                assert stat is not None
                ops.append(OpDelete(path, stat.version))
            elif stat is None:
                ops.append(OpCreate(path, self._codec.encode(obj)))
            else:
                ops.append(OpSet(path, self._codec.encode(obj), stat.version))
            written.append((key, obj is None))
        if not ops:
            return {}
        done = {key for key, _ in written}
        # What was only read must not have changed either: the integrity decisions
        # (refusals, back-references) were taken on it.
        ops += [
            OpCheck(self._path(*key), stat.version)
            for key, stat in reads.items()
            if stat is not None and key not in done
        ]
        ops.append(OpSet(self._seq, b""))
        try:
            with self.metrics.timed("multi"):
                results = self._client.multi(ops)
        except TransactionFailed as e:
            raise _Conflict from e
        version: int = results[-1].mzxid
        return {key: None if deleted else version for key, deleted in written}

    def _commit(self, ops: Sequence[Op]) -> Committed:
        # A first, speculative attempt takes the objects the ops create as absent
        # without reading them (a round trip each). Should one exist, ZooKeeper
        # refuses its create, or the staging refuses something; either way the
        # attempts that follow read everything, and so raise what the embedded
        # store would.
        speculate = self._attempts > 1 and any(isinstance(o, Create) for o in ops)
        attempts = self._attempts + int(speculate)
        for attempt in range(attempts):
            guess = speculate and attempt == 0
            reads: dict[Key, Stat | None] = {}
            staging = self._staging(reads, _created_first(ops) if guess else frozenset())
            try:
                self._apply(staging, ops)
                return self._flush(staging, reads)
            except _Conflict:
                if not guess:
                    self.metrics.count("transaction_retries")
                    time.sleep(random.uniform(0, 0.005 * attempt))
            except StoreError:
                if not guess:
                    raise
        raise ConcurrentModification(
            f"the transaction conflicted with other writers {self._attempts} times; retry it"
        )

    def _apply(self, staging: Staging, ops: Sequence[Op]) -> None:
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

    def commit(self, ops: Iterable[Op]) -> Committed:
        with self.metrics.errors():
            return self._commit(list(ops))

    @contextmanager
    def transaction(self) -> Iterator[_ZkTransaction]:
        with self.metrics.errors():
            reads: dict[Key, Stat | None] = {}
            tx = _ZkTransaction(self, self._staging(reads))
            try:
                yield tx
            finally:
                tx.ended = True
            try:
                self._flush(tx._staging, reads)
            except _Conflict:
                # Replay the block's writes on fresh data: expected versions it named
                # are checked again, last-writer-wins writes apply.
                self.metrics.count("transaction_retries")
                self._commit(tx.ops)

    def write_raw(self, objects: Iterable[ModelObject], *, batch_bytes: int = 512 * 1024) -> int:
        """Create `objects` exactly as given, bypassing bindings and hooks (a restore
        of a consistent backup); `NodeExists` aborts the batch in which it occurs.
        Batches stay under ZooKeeper's request size limit. Returns how many."""
        ops: list[ZkOp] = []
        size = count = 0

        def flush() -> None:
            nonlocal ops, size
            if ops:
                try:
                    with self.metrics.timed("multi"):
                        self._client.multi([*ops, OpSet(self._seq, b"")])
                except TransactionFailed as e:
                    path = ops[e.index].path if e.index < len(ops) else self._seq
                    raise StoreError(f"raw write refused at {path}: {e.error!r}") from e
                ops, size = [], 0

        for obj in objects:
            kind = self.schema.kind_of(type(obj))
            data = self._codec.encode(obj)
            if size + len(data) > batch_bytes:
                flush()
            ops.append(OpCreate(self._path(kind, obj.id), data))
            size += len(data) + 100
            count += 1
        flush()
        return count

    # --- watches ---------------------------------------------------------------------

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
            on_close=self._engine.forget,
        )

        def decode(name: str, data: bytes, stat: Stat) -> tuple[uuid.UUID, Any]:
            key = id if id is not None else uuid.UUID(name)
            value = self._codec.decode(kind, str(key), stat.mzxid, data) if data else None
            return key, value

        try:
            if id is None:
                self._engine.follow(self._dir(kind), decode, watch, whole_dir=True)
            else:
                self._engine.follow(self._path(kind, id), decode, watch, whole_dir=False)
        except StoreUnavailable:
            watch.close()
            raise
        return watch

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._state.close()
        self._engine.stop()
        if self._dispatcher is not None:
            self._dispatcher.stop()
        self._events.put(None)
        self._monitor.join(timeout=5)
        self._client.stop()

    def __enter__(self) -> ZooKeeperStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _created_first(ops: Sequence[Op]) -> frozenset[Key]:
    """Keys whose first operation in `ops` is a create."""
    seen: set[Key] = set()
    out: set[Key] = set()
    for op in ops:
        key = (op.obj.KIND, op.obj.id) if isinstance(op, Create | Update) else (op.cls.KIND, op.id)
        if key not in seen and isinstance(op, Create):
            out.add(key)
        seen.add(key)
    return frozenset(out)


def delete_root(hosts: str, root: str) -> None:
    """Remove everything under `root` (a test's or a decommissioned cloud's data)."""
    client = ZkClient(hosts)
    client.start(10.0)
    try:
        client.delete_tree(root)
    finally:
        client.stop()


if TYPE_CHECKING:

    def _is_store(s: ZooKeeperStore) -> Store:
        return s

    def _is_transaction(t: _ZkTransaction) -> Transaction:
        return t
