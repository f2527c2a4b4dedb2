"""The agent's connection-tracking and NAT tables, with idle expiry.

The simulation reads them through the simulation state (`conntrack`,
`nat_binding`, `allocate_snat`) and asks for entries in its result
(`ConnTrackAdded`, `NatBound`); the agent writes those here (`apply`).

Lifetime: every entry carries a deadline, `idle_timeout` after it was written, last
found in use, or after the last flow that used it went (`outlive`).
`expire(now, in_use)` visits the entries whose deadline passed
(a queue in deadline order, so the work is proportional to what is due): an entry
some installed flow still depends on (`in_use(key)`: a flow tagged with the key) is
kept for another `idle_timeout`, the others are removed, a dynamic SNAT's port goes
back to the allocator, and the removed keys are returned: the caller invalidates
flows tagged with them.

Export and import (the flow-state exchange between agents builds on these):
`entries(keys)` lists the entries among a flow's tags as (key, value) pairs, the
value of a conntrack key being None; `merge(entries, now)` adds entries received
from another agent, or re-loaded from local storage, without overriding ours.

Memory: a conntrack entry is its key tuple plus a deadline; a NAT entry adds its
binding tuple. `bench/conntrack.py` measures bytes per entry.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Final

from midonet.agent.simulation.result import ConnTrackAdded, NatBound
from midonet.agent.simulation.state_keys import (
    ConnTrackKey,
    NatBinding,
    NatKey,
    NatKind,
    first_free_snat,
)
from midonet.agent.state.nat_allocator import SnatAllocator
from midonet.model import NatTarget

IDLE_TIMEOUT: Final = 60.0
"""Seconds an entry outlives the last flow that used it (MidoNet's flow state idle
expiration)."""

Entry = tuple[ConnTrackKey | NatKey, NatBinding | None]


class FlowStateTable:
    def __init__(
        self,
        allocator: SnatAllocator | None = None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        rng: random.Random | None = None,
    ) -> None:
        self.conntrack: dict[ConnTrackKey, float] = {}
        """Return-flow keys → deadline (the simulation asks `key in conntrack`)."""
        self.nat: dict[NatKey, NatBinding] = {}
        self._nat_deadlines: dict[NatKey, float] = {}
        self._due: deque[tuple[float, ConnTrackKey | NatKey]] = deque()
        self._allocator = allocator
        self._idle = idle_timeout
        self.random = rng or random.Random()
        self.recorded: list[Entry] | None = None
        """When a list (local storage is on), every entry written or changed is
        appended to it, for `storage.FlowStateFile` to append to its file."""

    def __len__(self) -> int:
        return len(self.conntrack) + len(self.nat)

    # --- what the simulation reads ------------------------------------------------------

    def nat_binding(self, key: NatKey) -> NatBinding | None:
        return self.nat.get(key)

    def allocate_snat(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        if self._allocator is None:
            return first_free_snat(self.nat, device_id, dst_ip, dst_port, proto, targets)
        return self._allocator.allocate(device_id, dst_ip, dst_port, proto, targets)

    # --- writing ------------------------------------------------------------------------

    def apply(self, change: ConnTrackAdded | NatBound, now: float) -> bool:
        """Write a simulation's entry; False if it was already there (only its
        deadline moved)."""
        if isinstance(change, ConnTrackAdded):
            return self._put_conntrack(change.key, now)
        return self._put_nat(change.key, change.binding, now)

    def _put_conntrack(self, key: ConnTrackKey, now: float) -> bool:
        new = key not in self.conntrack
        deadline = now + self._idle
        self.conntrack[key] = deadline
        if new and self.recorded is not None:
            self.recorded.append((key, None))
        self._due.append((deadline, key))
        return new

    def _put_nat(self, key: NatKey, binding: NatBinding, now: float) -> bool:
        new = self.nat.get(key) != binding
        self.nat[key] = binding
        if new and self.recorded is not None:
            self.recorded.append((key, binding))
        deadline = now + self._idle
        self._nat_deadlines[key] = deadline
        self._due.append((deadline, key))
        return new

    def outlive(self, tags: Iterable[Hashable], now: float) -> None:
        """A flow tagged with `tags` was removed: its entries live another
        `idle_timeout` from now, so a connection idle past its flow's life keeps its
        conntrack and NAT state (a TCP connection quiet for a minute, then busy)."""
        deadline = now + self._idle
        for tag in tags:
            if isinstance(tag, ConnTrackKey):
                if tag in self.conntrack:
                    self.conntrack[tag] = deadline
                    self._due.append((deadline, tag))
            elif isinstance(tag, NatKey) and tag in self._nat_deadlines:
                self._nat_deadlines[tag] = deadline
                self._due.append((deadline, tag))

    def merge(self, entries: Iterable[Entry], now: float) -> list[Hashable]:
        """Add entries from elsewhere (a peer agent, local storage); existing entries
        win. Returns the keys added (flow tags to invalidate)."""
        added: list[Hashable] = []
        for key, value in entries:
            if isinstance(key, ConnTrackKey):
                if key not in self.conntrack:
                    self._put_conntrack(key, now)
                    added.append(key)
            elif value is not None and key not in self.nat:
                self._put_nat(key, value, now)
                added.append(key)
        return added

    def take_recorded(self) -> list[Entry]:
        """The entries recorded since the last call (see `recorded`)."""
        if self.recorded is None:
            return []
        taken, self.recorded = self.recorded, []
        return taken

    def all_entries(self) -> list[Entry]:
        out: list[Entry] = [(key, None) for key in self.conntrack]
        out.extend(self.nat.items())
        return out

    def entries(self, keys: Iterable[Hashable]) -> list[Entry]:
        """The entries among `keys` (e.g. the tags of a flow), for export."""
        out: list[Entry] = []
        for key in keys:
            if isinstance(key, ConnTrackKey) and key in self.conntrack:
                out.append((key, None))
            elif isinstance(key, NatKey):
                binding = self.nat.get(key)
                if binding is not None:
                    out.append((key, binding))
        return out

    # --- expiry -------------------------------------------------------------------------

    def expire(self, now: float, in_use: Callable[[Hashable], bool]) -> list[Hashable]:
        """Remove entries idle past their deadline (see the module docstring)."""
        removed: list[Hashable] = []
        due = self._due
        while due and due[0][0] <= now:
            deadline, key = due.popleft()
            current = (
                self.conntrack.get(key)
                if isinstance(key, ConnTrackKey)
                else self._nat_deadlines.get(key)
            )
            if current is None or current > deadline:
                continue  # gone, or refreshed since: a later queue item stands for it
            if in_use(key):
                refreshed = now + self._idle
                if isinstance(key, ConnTrackKey):
                    self.conntrack[key] = refreshed
                else:
                    self._nat_deadlines[key] = refreshed
                due.append((refreshed, key))
                continue
            self._remove(key)
            removed.append(key)
        return removed

    def _remove(self, key: ConnTrackKey | NatKey) -> None:
        if isinstance(key, ConnTrackKey):
            del self.conntrack[key]
            return
        binding = self.nat.pop(key)
        del self._nat_deadlines[key]
        if key.kind is NatKind.FWD_SNAT and self._allocator is not None:
            self._allocator.free(key.device_id, key.dst_ip, key.dst_port, key.proto, binding)

    def clear(self) -> None:
        for key in list(self.nat):
            self._remove(key)
        self.conntrack.clear()
        self._due.clear()
