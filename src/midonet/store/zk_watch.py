"""Watches of the ZooKeeper store: followed directories and nodes, refreshed by a
worker thread when ZooKeeper fires a watch.

A kazoo watch callback only queues the path; the worker re-reads it (re-arming the
ZooKeeper watch in the same call), compares with what it holds and offers `Change`s
to the store's `Watch`es. Versions are ZooKeeper transaction ids: a node's `mzxid`,
and for a deletion the parent's `pzxid` read after it, which is at least the zxid of
the delete and so above every version the node had. What a follower holds doubles as
the cache the store answers reads from while ZooKeeper is unreachable.

After the session was lost (its watches with it) or a reconnection, `resync` re-reads
every followed path, offering what changed and the deletions that were missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from midonet.errors import StoreUnavailable
from midonet.store.watch import Change, Watch
from midonet.store.zk_client import NoNode, Stat, ZkClient
from midonet.store.zk_metrics import StoreMetrics

log = logging.getLogger(__name__)

Decode = Callable[[str, bytes, Stat], tuple[Any, Any]]
"""(child name, data, stat) -> (key, value) as the watches report them."""


class _Follower:
    """What one directory (all children) or one node currently holds."""

    def __init__(self, path: str, decode: Decode, whole_dir: bool) -> None:
        self.path = path
        self.decode = decode
        self.whole_dir = whole_dir
        self.known: dict[str, tuple[int, Any, Stat]] = {}  # name -> (version, value, stat)
        self.watches: list[Watch[Any, Any]] = []
        self.synced = False

    def put(self, name: str, data: bytes, stat: Stat) -> None:
        held = self.known.get(name)
        if held is not None and held[0] >= stat.mzxid:
            return
        key, value = self.decode(name, data, stat)
        self.known[name] = (stat.mzxid, value, stat)
        for watch in self.watches:
            watch.offer(Change(key, stat.mzxid, value))

    def drop(self, name: str, version: int) -> None:
        held = self.known.pop(name, None)
        if held is None:
            return
        key, _ = self.decode(name, b"", held[2])
        version = max(version, held[0] + 1)
        for watch in self.watches:
            watch.offer(Change(key, version, None))


class WatchEngine:
    def __init__(self, client: ZkClient, metrics: StoreMetrics) -> None:
        self._client = client
        self._metrics = metrics
        self._lock = threading.RLock()  # followers and their refreshes
        self._dirs: dict[str, _Follower] = {}
        self._nodes: dict[str, _Follower] = {}
        self._cond = threading.Condition()
        self._pending: dict[str, None] = {}
        self._resync = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="zk-watch", daemon=True)
        self._thread.start()

    # --- registration --------------------------------------------------------------

    def follow(self, path: str, decode: Decode, watch: Watch[Any, Any], whole_dir: bool) -> None:
        """Start `watch` from the current state of `path` (a directory's children
        with `whole_dir`, else the node itself), then every change."""
        with self._lock:
            index = self._dirs if whole_dir else self._nodes
            follower = index.get(path)
            if follower is None or not follower.synced:
                follower = follower or _Follower(path, decode, whole_dir)
                self._refresh(follower, full=True)
                index[path] = follower
            for name, (version, value, stat) in follower.known.items():
                key, _ = decode(name, b"", stat)
                watch.offer(Change(key, version, value))
            follower.watches.append(watch)

    def forget(self, watch: Watch[Any, Any]) -> None:
        with self._lock:
            for index in (self._dirs, self._nodes):
                for path, follower in list(index.items()):
                    if watch in follower.watches:
                        follower.watches.remove(watch)
                    if not follower.watches:
                        del index[path]

    def counts(self) -> tuple[int, int]:
        """(followed objects, followed directories)."""
        with self._lock:
            return len(self._nodes), len(self._dirs)

    def cached(self, directory: str, name: str) -> tuple[bool, tuple[int, Any] | None]:
        """(whether the path is followed, (version, value) if it exists) from what
        the followers hold, for reads while ZooKeeper is unreachable."""
        with self._lock:
            follower = self._dirs.get(directory)
            node = self._nodes.get(f"{directory}/{name}")
            for f in (follower, node):
                if f is not None and f.synced:
                    held = f.known.get(name if f is follower else "")
                    return True, None if held is None else (held[0], held[1])
            return False, None

    def cached_dir(self, directory: str) -> list[Any] | None:
        with self._lock:
            follower = self._dirs.get(directory)
            if follower is None or not follower.synced:
                return None
            return [value for _, value, _ in follower.known.values()]

    # --- events --------------------------------------------------------------------

    def on_event(self, path: str) -> None:
        """A kazoo watch fired (kazoo's thread): queue the path."""
        with self._cond:
            self._pending[path] = None
            self._cond.notify()

    def resync(self) -> None:
        """Re-read everything followed (after a reconnection or a new session)."""
        with self._cond:
            self._resync = True
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)
        with self._lock:
            watches = [w for i in (self._dirs, self._nodes) for f in i.values() for w in f.watches]
        for watch in watches:
            watch.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._resync and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                full, self._resync = self._resync, False
                paths = list(self._pending)
                self._pending.clear()
            try:
                if full:
                    self._resync_all()
                for path in paths:
                    self._handle(path)
            except StoreUnavailable as e:
                # Disconnected or slow: try everything again shortly (a reconnection
                # also asks for a resync); meanwhile the views stay as they were.
                log.debug("watch refresh deferred: %s", e)
                with self._cond:
                    self._cond.wait(0.2)
                self.resync()
            except Exception:
                log.exception("watch refresh failed; resynchronising")
                self.resync()

    def _resync_all(self) -> None:
        with self._lock:
            followers = [*self._dirs.values(), *self._nodes.values()]
            for follower in followers:
                self._refresh(follower, full=True)

    def _handle(self, path: str) -> None:
        with self._lock:
            if path in self._dirs:
                self._metrics.count("children_triggered")
                self._refresh(self._dirs[path], full=False)
            parent, _, name = path.rpartition("/")
            if parent in self._dirs:
                self._metrics.count("node_triggered")
                self._refresh_child(self._dirs[parent], name)
            if path in self._nodes:
                self._metrics.count("node_triggered")
                self._refresh(self._nodes[path], full=False)

    # --- reading (under self._lock) ------------------------------------------------

    def _refresh(self, follower: _Follower, *, full: bool) -> None:
        cb = self.on_event
        if not follower.whole_dir:
            self._refresh_node(follower)
        else:
            names, stat = self._children(follower.path)
            for gone in [n for n in follower.known if n not in set(names)]:
                follower.drop(gone, stat.pzxid)
            wanted = names if full else [n for n in names if n not in follower.known]
            paths = [f"{follower.path}/{n}" for n in wanted]
            for name, found in zip(wanted, self._client.get_many(paths, watch=cb), strict=True):
                if found is not None:
                    follower.put(name, *found)
        follower.synced = True

    def _children(self, path: str) -> tuple[list[str], Stat]:
        while True:
            try:
                return self._client.children(path, watch=self.on_event)
            except NoNode:
                # A table that has no entry yet: watch for its creation.
                if self._client.exists(path, watch=self.on_event) is None:
                    return [], self._parent_stat(path)

    def _refresh_child(self, follower: _Follower, name: str) -> None:
        try:
            data, stat = self._client.get(f"{follower.path}/{name}", watch=self.on_event)
        except NoNode:
            follower.drop(name, self._parent_stat(f"{follower.path}/{name}").pzxid)
            return
        follower.put(name, data, stat)

    def _refresh_node(self, follower: _Follower) -> None:
        while True:
            try:
                data, stat = self._client.get(follower.path, watch=self.on_event)
            except NoNode:
                follower.drop("", self._parent_stat(follower.path).pzxid)
                # Arm a watch for the node's creation; if it appeared meanwhile, read it.
                if self._client.exists(follower.path, watch=self.on_event) is None:
                    return
                continue
            follower.put("", data, stat)
            return

    def _parent_stat(self, path: str) -> Stat:
        parent = path.rpartition("/")[0] or "/"
        stat = self._client.exists(parent)
        return stat if stat is not None else Stat(0, 0, 0, 0)
