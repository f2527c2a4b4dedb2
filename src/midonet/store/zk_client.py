"""A narrow, typed wrapper around kazoo: the only module that imports it.

Every call runs asynchronously with a deadline (`op_timeout`), and refuses at once
while the connection is down, so a store call never hangs on a dead ensemble: it
raises `StoreUnavailable` with the hosts and the connection state in the message.
ZooKeeper's own refusals become the small exceptions below, which the store turns
into its protocol's errors.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kazoo import exceptions as kz  # type: ignore[import-untyped]
from kazoo.client import KazooClient, KazooState  # type: ignore[import-untyped]
from kazoo.retry import KazooRetry  # type: ignore[import-untyped]

from midonet.errors import StoreUnavailable

log = logging.getLogger(__name__)


class NoNode(Exception):
    pass


class NodeExists(Exception):
    pass


class BadVersion(Exception):
    pass


class NotEmpty(Exception):
    pass


class TransactionFailed(Exception):
    """A multi-op was refused; `index` is the operation that failed, `error` why."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(f"operation {index} failed: {type(error).__name__}")
        self.index = index
        self.error = error


@dataclass(frozen=True, slots=True)
class Stat:
    mzxid: int  # the transaction that last wrote the node: our version
    pzxid: int  # the transaction that last added or removed a child
    version: int  # ZooKeeper's per-node data version, for conditional writes
    ephemeral_owner: int  # owning session id, 0 for a persistent node


def _stat(raw: Any) -> Stat:
    return Stat(raw.mzxid, raw.pzxid, raw.version, raw.ephemeralOwner)


class Link(enum.Enum):
    """kazoo's connection states."""

    CONNECTED = "CONNECTED"
    SUSPENDED = "SUSPENDED"
    LOST = "LOST"


# --- multi-op operations ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpCreate:
    path: str
    data: bytes
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class OpSet:
    path: str
    data: bytes
    version: int = -1


@dataclass(frozen=True, slots=True)
class OpDelete:
    path: str
    version: int = -1


@dataclass(frozen=True, slots=True)
class OpCheck:
    path: str
    version: int


ZkOp = OpCreate | OpSet | OpDelete | OpCheck

_ERRORS: dict[type[BaseException], type[Exception]] = {
    kz.NoNodeError: NoNode,
    kz.NodeExistsError: NodeExists,
    kz.BadVersionError: BadVersion,
    kz.NotEmptyError: NotEmpty,
}
_UNAVAILABLE = (
    kz.ConnectionLoss,
    kz.SessionExpiredError,
    kz.ConnectionClosedError,
    kz.OperationTimeoutError,
)


class ZkClient:
    """One ZooKeeper session (kazoo reconnects it, or opens a new one after expiry)."""

    def __init__(
        self,
        hosts: str,
        *,
        session_timeout: float = 30.0,
        op_timeout: float = 10.0,
        retry_delay: float = 0.1,
        max_retry_delay: float = 1.0,
    ) -> None:
        self.hosts = hosts
        self.op_timeout = op_timeout
        # Reconnect for ever: the store must come back by itself after an outage.
        self._kazoo = KazooClient(
            hosts=hosts,
            timeout=session_timeout,
            connection_retry=KazooRetry(
                max_tries=-1, delay=retry_delay, max_delay=max_retry_delay, max_jitter=0.1
            ),
        )
        self._listeners: list[Callable[[Link], None]] = []
        self._adapters: dict[Callable[[str], None], Callable[[Any], None]] = {}
        self._lock = threading.Lock()
        self._kazoo.add_listener(self._on_state)

    # --- lifecycle -----------------------------------------------------------------

    def start(self, timeout: float) -> None:
        try:
            self._kazoo.start(timeout=timeout)
        except Exception as e:  # kazoo's timeout, or refused connections
            self._kazoo.stop()
            self._kazoo.close()
            raise StoreUnavailable(
                f"cannot reach ZooKeeper at {self.hosts} within {timeout:g}s: {e}"
            ) from e

    def stop(self) -> None:
        """End the session cleanly (its ephemeral nodes go at once) and the threads."""
        try:
            self._kazoo.stop()
        finally:
            self._kazoo.close()

    @property
    def connected(self) -> bool:
        return bool(self._kazoo.connected)

    @property
    def state(self) -> str:
        return str(self._kazoo.state)

    @property
    def session_id(self) -> int:
        client_id = self._kazoo.client_id
        return 0 if client_id is None else int(client_id[0])

    def add_listener(self, listener: Callable[[Link], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def _on_state(self, state: Any) -> None:
        # Runs on kazoo's connection thread: hand over, never block.
        link = {
            KazooState.CONNECTED: Link.CONNECTED,
            KazooState.SUSPENDED: Link.SUSPENDED,
            KazooState.LOST: Link.LOST,
        }[state]
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(link)
            except Exception:
                log.exception("connection listener failed")

    # --- calls ---------------------------------------------------------------------

    def _adapter(self, watch: Callable[[str], None] | None) -> Callable[[Any], None] | None:
        """One stable kazoo watcher per callback: kazoo keeps a set of watchers per
        path, so re-arming a path with the same function never piles up."""
        if watch is None:
            return None
        with self._lock:
            adapter = self._adapters.get(watch)
            if adapter is None:

                def adapter(event: Any, fn: Callable[[str], None] = watch) -> None:
                    if event.path:
                        fn(event.path)

                self._adapters[watch] = adapter
            return adapter

    def _wait(self, future: Any, what: str) -> Any:
        try:
            return future.get(timeout=self.op_timeout)
        except tuple(_ERRORS) as e:
            raise _ERRORS[type(e)]() from e
        except (*_UNAVAILABLE, self._kazoo.handler.timeout_exception) as e:
            raise StoreUnavailable(
                f"ZooKeeper at {self.hosts}: {what} got no answer "
                f"(connection {self.state}, {type(e).__name__})"
            ) from e

    def _check(self, what: str) -> None:
        if not self._kazoo.connected:
            raise StoreUnavailable(
                f"ZooKeeper at {self.hosts} is not reachable (connection {self.state}); "
                f"{what} refused"
            )

    def get(self, path: str, watch: Callable[[str], None] | None = None) -> tuple[bytes, Stat]:
        self._check("read")
        data, stat = self._wait(self._kazoo.get_async(path, self._adapter(watch)), "read")
        return data, _stat(stat)

    def exists(self, path: str, watch: Callable[[str], None] | None = None) -> Stat | None:
        self._check("read")
        stat = self._wait(self._kazoo.exists_async(path, self._adapter(watch)), "read")
        return None if stat is None else _stat(stat)

    def children(
        self, path: str, watch: Callable[[str], None] | None = None
    ) -> tuple[list[str], Stat]:
        self._check("read")
        future = self._kazoo.get_children_async(path, self._adapter(watch), include_data=True)
        names, stat = self._wait(future, "read")
        return list(names), _stat(stat)

    def get_many(
        self, paths: Sequence[str], watch: Callable[[str], None] | None = None
    ) -> list[tuple[bytes, Stat] | None]:
        """Pipelined reads; None for a path that does not exist."""
        self._check("read")
        adapter = self._adapter(watch)
        futures = [self._kazoo.get_async(p, adapter) for p in paths]
        out: list[tuple[bytes, Stat] | None] = []
        for future in futures:
            try:
                data, stat = self._wait(future, "read")
                out.append((data, _stat(stat)))
            except NoNode:
                out.append(None)
        return out

    def create(self, path: str, data: bytes, *, ephemeral: bool = False) -> Stat:
        self._check("write")
        future = self._kazoo.create_async(path, data, ephemeral=ephemeral, include_data=True)
        _, stat = self._wait(future, "write")
        return _stat(stat)

    def set(self, path: str, data: bytes, version: int = -1) -> Stat:
        self._check("write")
        return _stat(self._wait(self._kazoo.set_async(path, data, version), "write"))

    def delete(self, path: str, version: int = -1) -> None:
        self._check("write")
        self._wait(self._kazoo.delete_async(path, version), "write")

    def multi(self, ops: Sequence[ZkOp]) -> list[Any]:
        """All of `ops` or none; `TransactionFailed` names the first refused one."""
        self._check("write")
        tx = self._kazoo.transaction()
        for op in ops:
            if isinstance(op, OpCreate):
                tx.create(op.path, op.data, ephemeral=op.ephemeral)
            elif isinstance(op, OpSet):
                tx.set_data(op.path, op.data, op.version)
            elif isinstance(op, OpDelete):
                tx.delete(op.path, op.version)
            else:
                tx.check(op.path, op.version)
        results: list[Any] = self._wait(tx.commit_async(), "transaction")
        for index, result in enumerate(results):
            if isinstance(result, Exception) and not isinstance(result, kz.RolledBackError):
                error = _ERRORS.get(type(result), RuntimeError)()
                raise TransactionFailed(index, error)
        return [_stat(r) if hasattr(r, "mzxid") else r for r in results]

    def ensure_path(self, path: str) -> None:
        self._check("write")
        self._wait(self._kazoo.ensure_path_async(path), "write")

    def delete_tree(self, path: str) -> None:
        self._check("write")
        try:
            self._kazoo.delete(path, recursive=True)
        except kz.NoNodeError:
            pass
        except _UNAVAILABLE as e:
            raise StoreUnavailable(f"ZooKeeper at {self.hosts}: delete of {path} failed") from e
