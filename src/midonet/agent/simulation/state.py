"""What a simulation reads of the network's learned state, and the constants of ARP.

The simulation never writes state: it reads through `SimulationState` and lists what
to write in its result (`MacLearned`, `ArpLearned`...). The agent applies those
changes to the real state tables (and invalidates flows by their tags); tests use
`FakeSimulationState`, a few dicts.

Times are plain floats in seconds on the agent's clock (`now` of the simulation).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from midonet.agent.simulation.state_keys import NatBinding, NatKey, first_free_snat
from midonet.model import NatTarget

# MidoNet's ARP defaults (midolman's ArpTable / ArpCacheImpl).
ARP_RETRY_INTERVAL: Final = 10.0
"""Seconds between ARP requests for a next hop that has not answered."""
ARP_TIMEOUT: Final = 60.0
"""Seconds after the first request when the router gives up (ICMP unreachable)."""
ARP_STALE: Final = 60.0
"""Age at which an entry is still used but refreshed with a new request."""
ARP_EXPIRATION: Final = 90.0
"""Age at which an entry is no longer used."""

UNTAGGED_VLAN: Final = 0
"""The VLAN of MAC-table entries learned from untagged frames."""


@dataclass(frozen=True, slots=True)
class ArpEntry:
    """A router's ARP-table entry: `mac` learned (or last confirmed) at `updated`."""

    mac: bytes
    updated: float

    def is_expired(self, now: float) -> bool:
        return now - self.updated >= ARP_EXPIRATION

    def is_stale(self, now: float) -> bool:
        return now - self.updated >= ARP_STALE


class ConnTrack(Protocol):
    """The connection-tracking table, read to tell forward flows from return flows:
    a `ConnTrackKey` in it is the key of a reply (see `conntrack`)."""

    def __contains__(self, key: object) -> bool: ...


class SimulationState(Protocol):
    """The state tables a simulation reads."""

    def mac_port(self, bridge_id: uuid.UUID, vlan: int, mac: bytes) -> uuid.UUID | None:
        """The port a bridge learned `mac` on, in `vlan` (UNTAGGED_VLAN if none)."""
        ...

    def bridge_arp(self, bridge_id: uuid.UUID, ip: int) -> bytes | None:
        """The MAC a bridge's ARP table (MidoNet's ip4MacMap) holds for `ip`."""
        ...

    def router_arp(self, router_id: uuid.UUID, ip: int) -> ArpEntry | None:
        """A router's ARP entry for `ip` (the simulation judges its age)."""
        ...

    def arp_requested(self, router_id: uuid.UUID, ip: int) -> float | None:
        """When the router first asked for `ip` without an answer yet, or None."""
        ...

    @property
    def conntrack(self) -> ConnTrack: ...

    def nat_binding(self, key: NatKey) -> NatBinding | None:
        """The translation recorded for `key`, or None."""
        ...

    def allocate_snat(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        """A source (ip, port) within `targets` that no other translation of
        `device_id` uses towards (dst_ip, dst_port, proto); None if all are taken.
        The agent's allocator leases port blocks through the NSDB so that two
        agents never hand out the same one."""
        ...

    @property
    def random(self) -> random.Random:
        """The source of the random choices a simulation makes (DNAT targets, load
        balancer members); seeded in tests."""
        ...


class FakeSimulationState:
    """`SimulationState` in dicts, for tests and benchmarks.

    `apply(changes)` writes a result's state changes back, as the agent would, so a
    test can run a sequence of packets.
    """

    def __init__(self, seed: int = 0) -> None:
        self.macs: dict[tuple[uuid.UUID, int, bytes], uuid.UUID] = {}
        self.bridge_arps: dict[tuple[uuid.UUID, int], bytes] = {}
        self.router_arps: dict[tuple[uuid.UUID, int], ArpEntry] = {}
        self.arp_requests: dict[tuple[uuid.UUID, int], float] = {}
        self.connections: set[object] = set()
        self.nat: dict[NatKey, NatBinding] = {}
        self._random = random.Random(seed)

    def mac_port(self, bridge_id: uuid.UUID, vlan: int, mac: bytes) -> uuid.UUID | None:
        return self.macs.get((bridge_id, vlan, mac))

    def bridge_arp(self, bridge_id: uuid.UUID, ip: int) -> bytes | None:
        return self.bridge_arps.get((bridge_id, ip))

    def router_arp(self, router_id: uuid.UUID, ip: int) -> ArpEntry | None:
        return self.router_arps.get((router_id, ip))

    def arp_requested(self, router_id: uuid.UUID, ip: int) -> float | None:
        return self.arp_requests.get((router_id, ip))

    @property
    def conntrack(self) -> ConnTrack:
        return self.connections

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
        return first_free_snat(self.nat, device_id, dst_ip, dst_port, proto, targets)

    @property
    def random(self) -> random.Random:
        return self._random

    # --- seeding and applying -------------------------------------------------------

    def learn_mac(
        self, bridge_id: uuid.UUID, mac: bytes, port_id: uuid.UUID, vlan: int = UNTAGGED_VLAN
    ) -> None:
        self.macs[(bridge_id, vlan, mac)] = port_id

    def learn_arp(self, router_id: uuid.UUID, ip: int, mac: bytes, now: float) -> None:
        self.router_arps[(router_id, ip)] = ArpEntry(mac, now)
        self.arp_requests.pop((router_id, ip), None)

    def apply(self, changes: Iterable[StateChange]) -> None:
        """Write the state changes of a `SimulationResult` (see `result`)."""
        for change in changes:
            change.apply_to(self)


class StateChange(Protocol):
    """A write a simulation asks for (the concrete kinds are in `result`)."""

    def apply_to(self, state: FakeSimulationState) -> None: ...
