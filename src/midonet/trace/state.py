"""The state a trace simulates against: the live state read, never written.

A trace runs the very `simulate()` the datapath runs. The simulation itself only
reads state and lists what it would write (the caller discards that list); its one
impure call, `allocate_snat`, is answered here without leasing anything, and its
randomness comes from a private generator so the live agent's sequence is not
disturbed.

Two sources:
- `ReadOnlyState` wraps an agent's live state (its MAC/ARP tables, conntrack and NAT
  entries);
- `StoredTablesState` reads the NSDB's MAC and ARP tables directly (the cluster,
  when no agent owns the port) and knows no flow state, so the request states the
  conntrack verdict it wants (`ConnTrackAssumption`).
A request may force the verdict on an agent too (`with_conntrack`).
"""

from __future__ import annotations

import enum
import ipaddress
import random
import uuid
from collections.abc import Sequence

from midonet.agent.simulation.state import ArpEntry, ConnTrack, SimulationState
from midonet.agent.simulation.state_keys import NatBinding, NatKey, first_free_snat
from midonet.model.rule import NatTarget
from midonet.store.state import ArpTable, MacTable, StateStore, mac


class ConnTrackAssumption(enum.Enum):
    """`--ct new`: no connection is known (every packet is a forward flow);
    `--ct established`: every packet belongs to a known connection (a reply is a
    return flow)."""

    NEW = "new"
    ESTABLISHED = "established"

    @classmethod
    def parse(cls, text: str) -> ConnTrackAssumption:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"ct must be 'new' or 'established', not {text!r}") from None


class _Everything:
    def __contains__(self, key: object) -> bool:
        return True


class _Nothing:
    def __contains__(self, key: object) -> bool:
        return False


def _assumed(ct: ConnTrackAssumption) -> ConnTrack:
    return _Everything() if ct is ConnTrackAssumption.ESTABLISHED else _Nothing()


class ReadOnlyState:
    """`SimulationState` over `base` that allocates nothing and keeps its own random."""

    def __init__(self, base: SimulationState, ct: ConnTrackAssumption | None = None) -> None:
        self._base = base
        self._ct = _assumed(ct) if ct is not None else None
        self._random = random.Random(0)

    def mac_port(self, bridge_id: uuid.UUID, vlan: int, mac: bytes) -> uuid.UUID | None:
        return self._base.mac_port(bridge_id, vlan, mac)

    def bridge_arp(self, bridge_id: uuid.UUID, ip: int) -> bytes | None:
        return self._base.bridge_arp(bridge_id, ip)

    def router_arp(self, router_id: uuid.UUID, ip: int) -> ArpEntry | None:
        return self._base.router_arp(router_id, ip)

    def arp_requested(self, router_id: uuid.UUID, ip: int) -> float | None:
        return self._base.arp_requested(router_id, ip)

    def mac_learned_on(self, bridge_id: uuid.UUID, port_id: uuid.UUID) -> bytes | None:
        finder = getattr(self._base, "mac_learned_on", None)
        return finder(bridge_id, port_id) if callable(finder) else None

    @property
    def conntrack(self) -> ConnTrack:
        return self._ct if self._ct is not None else self._base.conntrack

    def nat_binding(self, key: NatKey) -> NatBinding | None:
        return None if self._ct is not None else self._base.nat_binding(key)

    def allocate_snat(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        # What a first allocation would look like; nothing is leased.
        return first_free_snat(_NatView(self), device_id, dst_ip, dst_port, proto, targets)

    @property
    def random(self) -> random.Random:
        return self._random


class _NatView:
    """The NAT keys the wrapped state holds, as `first_free_snat` asks for them."""

    def __init__(self, state: ReadOnlyState) -> None:
        self._state = state

    def __contains__(self, key: object) -> bool:
        return isinstance(key, NatKey) and self._state.nat_binding(key) is not None


class StoredTablesState:
    """`SimulationState` read straight from the NSDB's state tables, with an assumed
    conntrack verdict and no NAT entries (the cluster's view: no agent's flow state).
    """

    def __init__(self, state: StateStore, now: float, ct: ConnTrackAssumption) -> None:
        self._state = state
        self._now = now
        self._ct = _assumed(ct)
        self._random = random.Random(0)

    def mac_port(self, bridge_id: uuid.UUID, vlan: int, address: bytes) -> uuid.UUID | None:
        return MacTable(self._state, bridge_id, vlan).get(mac(address.hex(":")))

    def bridge_arp(self, bridge_id: uuid.UUID, ip: int) -> bytes | None:
        found = ArpTable(self._state, "bridge", bridge_id).get(ipaddress.IPv4Address(ip))
        return None if found is None else bytes.fromhex(found.replace(":", ""))

    def router_arp(self, router_id: uuid.UUID, ip: int) -> ArpEntry | None:
        found = ArpTable(self._state, "router", router_id).get(ipaddress.IPv4Address(ip))
        if found is None:
            return None
        # The table keeps no age; an entry that is there counts as fresh.
        return ArpEntry(bytes.fromhex(found.replace(":", "")), self._now)

    def arp_requested(self, router_id: uuid.UUID, ip: int) -> float | None:
        return None

    def mac_learned_on(self, bridge_id: uuid.UUID, port_id: uuid.UUID) -> bytes | None:
        for address, port in MacTable(self._state, bridge_id).snapshot().items():
            if port == port_id:
                return bytes.fromhex(address.replace(":", ""))
        return None

    @property
    def conntrack(self) -> ConnTrack:
        return self._ct

    def nat_binding(self, key: NatKey) -> NatBinding | None:
        return None

    def allocate_snat(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        return first_free_snat(_Nothing(), device_id, dst_ip, dst_port, proto, targets)

    @property
    def random(self) -> random.Random:
        return self._random
