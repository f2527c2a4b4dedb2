"""VirtualTopology: the agent's current `Topology` snapshot, kept up to date from the
store.

One type watch per simulated kind feeds a queue (the store's watch callbacks only
enqueue, so they never hold up the store's dispatcher). A worker thread drains the
queue in batches: every change waiting is applied at once to make the next snapshot,
which is then published by a single reference assignment, so readers take
`vt.current` without locks and keep a consistent snapshot as long as they hold it.
After each publication the listeners get a `TopologyChange`: what changed and the
flow tags to invalidate (see `invalidation`).

A batch usually holds a whole transaction, but the store does not promise that; a
snapshot may briefly hold a port whose router has not arrived yet, which the
simulation treats as a missing object.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from midonet.agent.topology.invalidation import affected
from midonet.agent.topology.snapshot import Topology
from midonet.model import (
    Bridge,
    Chain,
    HealthMonitor,
    Host,
    IPAddrGroup,
    LoadBalancer,
    Mirror,
    ModelObject,
    Pool,
    PoolMember,
    Port,
    PortGroup,
    QosPolicy,
    QosRuleBandwidthLimit,
    QosRuleDscp,
    Route,
    Router,
    Rule,
    TraceRequest,
    TunnelZone,
    Vip,
)
from midonet.store.base import Reader, Store
from midonet.store.watch import Change, Watch

log = logging.getLogger(__name__)

SIMULATED_KINDS: tuple[type[ModelObject], ...] = (
    Bridge,
    Router,
    Port,
    Route,
    Chain,
    Rule,
    PortGroup,
    IPAddrGroup,
    Mirror,
    LoadBalancer,
    Pool,
    PoolMember,
    Vip,
    HealthMonitor,
    QosPolicy,
    QosRuleBandwidthLimit,
    QosRuleDscp,
    Host,
    TunnelZone,
    TraceRequest,
)
"""The kinds the agent follows: everything the simulation, the tunnels and the
packet tracing read."""


def read_topology(store: Reader) -> Topology:
    """A snapshot read once from the store (the cluster's traces; no watches)."""
    return Topology.from_objects(obj for kind in SIMULATED_KINDS for obj in store.list(kind))


@dataclass(frozen=True, slots=True)
class TopologyChange:
    """One published snapshot and how it differs from the one before.

    `changed` maps each object created, updated or deleted to its kind; `tags` are
    the flow tags to invalidate: those ids plus the ids of the devices, chains and
    load balancers whose behaviour they are part of (`derived`).
    """

    previous: Topology
    current: Topology
    changed: Mapping[uuid.UUID, str]
    deleted: frozenset[uuid.UUID]
    tags: frozenset[uuid.UUID]
    generation: int

    @property
    def derived(self) -> frozenset[uuid.UUID]:
        return self.tags - self.changed.keys()


Listener = Callable[[TopologyChange], None]
_Key = tuple[str, uuid.UUID]


class VirtualTopology:
    """Follows `kinds` in `store`; `current` is always a complete, immutable snapshot.

    The first snapshot holds what the store reported when the watches started. Call
    `close()` (or use `with`) to stop the watches and the worker thread.
    """

    def __init__(
        self,
        store: Store,
        *,
        kinds: Iterable[type[ModelObject]] = SIMULATED_KINDS,
        listeners: Iterable[Listener] = (),
    ) -> None:
        self._kinds = {cls.KIND: cls for cls in kinds}
        self._listeners: list[Listener] = list(listeners)
        self._cond = threading.Condition()
        self._pending: dict[_Key, Change[uuid.UUID, ModelObject]] = {}
        self._seen: dict[_Key, int] = {}  # newest version applied; deleted keys too
        self._closed = False
        self._generation = 0
        self.updates = 0
        """Objects created or changed after the first snapshot (metrics)."""
        self.deletions = 0
        self._watches: list[Watch[uuid.UUID, ModelObject]] = []
        try:
            for kind, cls in self._kinds.items():
                self._watches.append(store.watch(cls, callback=self._enqueuer(kind)))
        except BaseException:
            self._close_watches()
            raise
        self._current = self._initial()
        self._thread = threading.Thread(target=self._run, name="virtual-topology", daemon=True)
        self._thread.start()

    # --- readers ---------------------------------------------------------------------

    @property
    def current(self) -> Topology:
        """The latest snapshot (a plain attribute read: no lock, never half-built)."""
        return self._current

    @property
    def generation(self) -> int:
        """How many snapshots were published after the first (0 for the first)."""
        return self._generation

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after each publication (on the worker thread); returns a
        function that unsubscribes it."""
        with self._cond:
            self._listeners = [*self._listeners, listener]

        def unsubscribe() -> None:
            with self._cond:
                self._listeners = [x for x in self._listeners if x is not listener]

        return unsubscribe

    def wait_until(self, predicate: Callable[[Topology], bool], timeout: float = 10.0) -> Topology:
        """Block until a published snapshot satisfies `predicate`; return it.
        `TimeoutError` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._current):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError("the topology did not reach the condition in time")
                self._cond.wait(remaining)
            return self._current

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._close_watches()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> VirtualTopology:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_watches(self) -> None:
        for watch in self._watches:
            try:
                watch.close()
            except Exception:
                log.exception("closing a topology watch failed")

    # --- feeding -----------------------------------------------------------------------

    def _enqueuer(self, kind: str) -> Callable[[Change[uuid.UUID, ModelObject]], None]:
        def enqueue(change: Change[uuid.UUID, ModelObject]) -> None:
            key = (kind, change.key)
            with self._cond:
                if self._closed:
                    return
                waiting = self._pending.get(key)
                if waiting is None or waiting.version < change.version:
                    self._pending[key] = change
                self._cond.notify_all()

        return enqueue

    def _initial(self) -> Topology:
        """The snapshot of what the watches hold now (the store reports the current
        state when a watch starts). Versions are read before values, so a change that
        lands in between is applied again later rather than skipped."""
        objects: list[ModelObject] = []
        for kind, watch in zip(self._kinds, self._watches, strict=True):
            versions = watch.known()
            for object_id, obj in watch.view.items():
                if self._acceptable(kind, object_id, obj):
                    objects.append(obj)
                    self._seen[(kind, object_id)] = versions.get(object_id, 0)
        return Topology.from_objects(objects)

    def _acceptable(self, kind: str, object_id: uuid.UUID, obj: object) -> bool:
        """Whether a reported object is one we can use (log and skip it otherwise)."""
        if isinstance(obj, self._kinds[kind]) and obj.id == object_id:
            return True
        log.error("skipping %s %s: the store reported %r", kind, object_id, obj)
        return False

    # --- the worker --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                batch, self._pending = self._pending, {}
            try:
                self._apply(batch)
            except Exception:
                # Never let one bad batch stop the topology from following the store.
                log.exception("applying %d topology changes failed", len(batch))

    def _apply(self, batch: Mapping[_Key, Change[uuid.UUID, ModelObject]]) -> None:
        previous = self._current
        upserts: list[ModelObject] = []
        deletions: list[tuple[str, uuid.UUID]] = []
        pairs: list[tuple[ModelObject | None, ModelObject | None]] = []
        changed: dict[uuid.UUID, str] = {}
        for (kind, object_id), change in batch.items():
            if change.version <= self._seen.get((kind, object_id), -1):
                continue  # already in the snapshot (the initial state, reported again)
            self._seen[(kind, object_id)] = change.version
            old = previous.get(self._kinds[kind], object_id)
            new = change.value
            if new is not None and not self._acceptable(kind, object_id, new):
                continue
            if new == old:
                continue
            if new is None:
                deletions.append((kind, object_id))
            else:
                upserts.append(new)
            pairs.append((old, new))
            changed[object_id] = kind
        if not changed:
            return
        current = previous.with_changes(upserts, deletions)
        tags = self._tags(pairs, previous, current)
        with self._cond:
            self._current = current
            self.updates += len(upserts)
            self.deletions += len(deletions)
            self._generation += 1
            generation = self._generation
            listeners = self._listeners
            self._cond.notify_all()
        event = TopologyChange(
            previous=previous,
            current=current,
            changed=changed,
            deleted=frozenset(object_id for _, object_id in deletions),
            tags=frozenset(tags),
            generation=generation,
        )
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("topology listener %r failed", listener)

    @staticmethod
    def _tags(
        pairs: list[tuple[ModelObject | None, ModelObject | None]],
        previous: Topology,
        current: Topology,
    ) -> set[uuid.UUID]:
        try:
            return affected(pairs, previous, current)
        except Exception:
            # Deriving more tags failed (an object we do not understand): the changed
            # objects' own tags still go out.
            log.exception("deriving the devices affected by a topology change failed")
            return {obj.id for pair in pairs for obj in pair if obj is not None}
