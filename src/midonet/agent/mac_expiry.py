"""Forgetting learned MACs nobody uses (MidoNet's MAC-port mapping expiry).

A bridge's MAC table entry that this agent learned stays while some flow of ours
depends on it (carries its `mac_tag`: flows to the MAC, and from it); once none has
for `agent.bridge.mac_port_mapping_expire` (15 s by default), the entry is removed
from the store, so a MAC that left (a deleted VM, a moved address) stops attracting
traffic to its old port.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

from midonet.agent.simulation import MacLearned
from midonet.agent.simulation.tags import mac_tag

log = logging.getLogger(__name__)

Key = tuple[uuid.UUID, int, bytes]  # bridge, vlan, MAC
Forget = Callable[[uuid.UUID, int, bytes, uuid.UUID], None]
"""Remove (bridge, vlan, mac) from the store while it still maps to the port."""


class Flows(Protocol):
    """What is asked of the flow table (`FlowTable`)."""

    def tagged(self, tag: Hashable) -> Sequence[object]: ...


class MacExpiry:
    def __init__(self, expire_after: float, forget: Forget) -> None:
        self.expire_after = expire_after
        self._forget = forget
        self._ports: dict[Key, uuid.UUID] = {}  # entries we learned → their port
        self._idle_since: dict[Key, float] = {}
        self.expired = 0

    def learned(self, change: MacLearned) -> None:
        key = (change.bridge_id, change.vlan, change.mac)
        self._ports[key] = change.port_id
        self._idle_since.pop(key, None)

    def check(self, now: float, flows: Flows) -> None:
        """Remove the entries unused for `expire_after` (a timer calls this)."""
        for key, port_id in list(self._ports.items()):
            if flows.tagged(mac_tag(*key)):
                self._idle_since.pop(key, None)
                continue
            since = self._idle_since.setdefault(key, now)
            if now - since < self.expire_after:
                continue
            del self._ports[key]
            del self._idle_since[key]
            self.expired += 1
            try:
                self._forget(*key, port_id)
            except Exception:
                log.exception("forgetting MAC %s of bridge %s failed", key[2].hex(), key[0])

    def __len__(self) -> int:
        return len(self._ports)
