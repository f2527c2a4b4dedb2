"""The flow table: exact match on a packet's key, idle expiry, invalidation by tag.

A simulation's result is installed here under the packet's `FlowMatch`; every later
packet with the same key is forwarded by the flow alone. Each flow carries the tags of
everything its simulation touched (devices, ports, chains, routes, MAC/ARP entries,
conntrack/NAT keys); a change to any of them invalidates exactly the flows tagged with
it, so the next packet is simulated again against the new state.

The table is generic in its key and action types so that it depends on neither the
codec nor the simulation. `lookup` is on the per-packet hot path: one dict probe and
three attribute writes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

K = TypeVar("K", bound=Hashable)
A = TypeVar("A")

Tag = Hashable


def _stored(tag: Tag) -> Tag:
    """How the table holds `tag` (see `install`)."""
    return tag.int if isinstance(tag, UUID) else tag


class RemovalReason(enum.Enum):
    IDLE = "idle"  # no packet within the idle timeout
    HARD = "hard"  # lived longer than its hard timeout
    INVALIDATED = "invalidated"  # something it depends on changed
    EVICTED = "evicted"  # the table was full; the oldest flow made room
    DELETED = "deleted"  # removed explicitly (port unbound, flush)
    REPLACED = "replaced"  # a new flow was installed under the same key


@dataclass(slots=True, eq=False)
class Flow(Generic[K, A]):
    key: K
    actions: A
    tags: frozenset[Tag]
    """What the flow depends on (a UUID held as its int, see `FlowTable.install`)."""
    created: float
    last_used: float
    idle_timeout: float
    hard_timeout: float = 0.0  # 0: none
    packets: int = 0
    bytes: int = 0
    compiled: Any = None
    """What the datapath derived from the actions for its fast path (set on first use)."""

    def expired(self, now: float) -> RemovalReason | None:
        if self.hard_timeout and now - self.created >= self.hard_timeout:
            return RemovalReason.HARD
        if self.idle_timeout and now - self.last_used >= self.idle_timeout:
            return RemovalReason.IDLE
        return None


RemovalListener = Callable[[Flow[K, A], RemovalReason], None]


class FlowTable(Generic[K, A]):
    """Exact-match flows keyed by `K`, each tagged for invalidation."""

    def __init__(
        self,
        *,
        idle_timeout: float = 60.0,
        max_flows: int = 1_000_000,
        on_removed: RemovalListener[K, A] | None = None,
    ) -> None:
        if max_flows < 1:
            raise ValueError("max_flows must be at least 1")
        self.idle_timeout = idle_timeout
        self.max_flows = max_flows
        self._on_removed = on_removed
        # dict order is installation order, so the first key is the oldest flow.
        self._flows: dict[K, Flow[K, A]] = {}
        self._by_tag: dict[Tag, set[K]] = {}

    def __len__(self) -> int:
        return len(self._flows)

    def __contains__(self, key: object) -> bool:
        return key in self._flows

    def __iter__(self) -> Iterator[Flow[K, A]]:
        return iter(list(self._flows.values()))

    def lookup(self, key: K, now: float, size: int = 0) -> Flow[K, A] | None:
        """The flow for `key`, accounting one packet of `size` bytes to it."""
        flow = self._flows.get(key)
        if flow is not None:
            flow.last_used = now
            flow.packets += 1
            flow.bytes += size
        return flow

    def get(self, key: K) -> Flow[K, A] | None:
        """The flow for `key` without accounting a packet."""
        return self._flows.get(key)

    def install(
        self,
        key: K,
        actions: A,
        tags: Iterable[Tag],
        now: float,
        *,
        idle_timeout: float | None = None,
        hard_timeout: float = 0.0,
    ) -> Flow[K, A]:
        """Install (or replace) the flow for `key`; evicts the oldest flow when full."""
        if key in self._flows:
            self._drop(key, RemovalReason.REPLACED)
        elif len(self._flows) >= self.max_flows:
            self._drop(next(iter(self._flows)), RemovalReason.EVICTED)
        flow = Flow(
            key=key,
            actions=actions,
            # A UUID tag is kept as its int: uuid.UUID hashes in Python code, and
            # each tag is hashed at install, at removal and in every index lookup.
            tags=frozenset([t.int if isinstance(t, UUID) else t for t in tags]),
            created=now,
            last_used=now,
            idle_timeout=self.idle_timeout if idle_timeout is None else idle_timeout,
            hard_timeout=hard_timeout,
        )
        self._flows[key] = flow
        for tag in flow.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        return flow

    def remove(self, key: K, reason: RemovalReason = RemovalReason.DELETED) -> Flow[K, A] | None:
        if key not in self._flows:
            return None
        return self._drop(key, reason)

    def tagged(self, tag: Tag) -> list[Flow[K, A]]:
        """The flows that carry `tag`."""
        return [self._flows[k] for k in self._by_tag.get(_stored(tag), ())]

    def invalidate(self, tag: Tag) -> list[Flow[K, A]]:
        """Remove every flow tagged with `tag`; returns what was removed."""
        keys = self._by_tag.get(_stored(tag))
        if not keys:
            return []
        return [self._drop(k, RemovalReason.INVALIDATED) for k in list(keys)]

    def invalidate_all(self, tags: Iterable[Tag]) -> list[Flow[K, A]]:
        removed: list[Flow[K, A]] = []
        for tag in tags:
            removed.extend(self.invalidate(tag))
        return removed

    def expire(
        self, now: float, used_elsewhere: Callable[[Flow[K, A], float], bool] | None = None
    ) -> list[Flow[K, A]]:
        """Remove flows past their idle or hard timeout; returns what was removed.

        `used_elsewhere(flow, now)` is asked about a flow that looks idle: True when
        packets were forwarded for it where this table did not see them (the kernel
        fast path), having brought its `last_used` up to date."""
        due = []
        for key, flow in self._flows.items():
            reason = flow.expired(now)
            idle = reason is RemovalReason.IDLE
            if idle and used_elsewhere is not None and used_elsewhere(flow, now):
                continue
            if reason is not None:
                due.append((key, reason))
        return [self._drop(k, r) for k, r in due]

    def clear(self) -> list[Flow[K, A]]:
        return [self._drop(k, RemovalReason.DELETED) for k in list(self._flows)]

    def _drop(self, key: K, reason: RemovalReason) -> Flow[K, A]:
        flow = self._flows.pop(key)
        for tag in flow.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]
        if self._on_removed is not None:
            self._on_removed(flow, reason)
        return flow
