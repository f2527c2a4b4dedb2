"""The simulation's `SimulationState` over the store's state tables.

`StoreSimulationState` follows, for every bridge and router of the current topology,
the tables the simulation reads: each bridge's MAC table per VLAN (untagged, and the
VLAN of each of its VLAN ports) and its ARP table, and each router's ARP table. The
entries live in plain dicts that watch callbacks update, so the simulation reads
them without locks and without I/O. When the topology changes, tables of new devices
are followed and those of deleted devices are dropped.

An entry that changes under us (learned by another agent, or forgotten) is announced
to the listeners as flow tags (`midonet.agent.simulation.tags`): `mac_tag`,
`arp_tag`, `bridge_arp_tag`.

The store's router ARP table keeps only IP → MAC; an entry's age, which the
simulation judges, counts from when this agent saw it written (`clock`, the clock
the agent passes to the simulation as `now`). In-flight ARP requests are this
agent's own (`arp_request_sent`), as are connections and NAT translations (the
`FlowStateTable` in `flow_state`).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from midonet.agent.simulation.result import (
    ArpLearned,
    ArpRequested,
    BridgeArpLearned,
    ConnTrackAdded,
    MacLearned,
    NatBound,
    StateChange,
)
from midonet.agent.simulation.state import (
    UNTAGGED_VLAN,
    ArpEntry,
    ConnTrack,
    SimulationState,
)
from midonet.agent.simulation.state_keys import NatBinding, NatKey
from midonet.agent.simulation.tags import arp_tag, bridge_arp_tag, mac_tag
from midonet.agent.state.flow_state import FlowStateTable
from midonet.agent.topology.snapshot import Topology
from midonet.agent.topology.virtual_topology import TopologyChange, VirtualTopology
from midonet.model import Bridge, NatTarget, Router
from midonet.store.state import JSON, ArpTable, MacTable, Session, StateStore
from midonet.store.watch import Change, Watch

log = logging.getLogger(__name__)

StateListener = Callable[[frozenset[Hashable]], None]
_Handler = Callable[[Change[str, JSON]], None]


def mac_bytes(text: str) -> bytes:
    """b"\\xac\\xca..." from "ac:ca:..." (the store's MAC text)."""
    raw = bytes.fromhex(text.replace(":", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return raw


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


class StoreSimulationState:
    """`SimulationState` read from the store's tables (see the module docstring)."""

    def __init__(
        self,
        state: StateStore,
        topology: VirtualTopology,
        *,
        clock: Callable[[], float] = time.monotonic,
        flow_state: FlowStateTable | None = None,
    ) -> None:
        self._state = state
        self._vt = topology
        self._clock = clock
        self.flow_state = flow_state if flow_state is not None else FlowStateTable()
        self._macs: dict[tuple[uuid.UUID, int, bytes], uuid.UUID] = {}
        self._bridge_arps: dict[tuple[uuid.UUID, int], bytes] = {}
        self._router_arps: dict[tuple[uuid.UUID, int], ArpEntry] = {}
        self._arp_requests: dict[tuple[uuid.UUID, int], float] = {}
        self._watches: dict[str, Watch[str, JSON]] = {}
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()
        self._closed = False
        self._unsubscribe = topology.subscribe(self._topology_changed)
        self._follow()

    # --- SimulationState --------------------------------------------------------------

    def mac_port(self, bridge_id: uuid.UUID, vlan: int, mac: bytes) -> uuid.UUID | None:
        return self._macs.get((bridge_id, vlan, mac))

    def bridge_arp(self, bridge_id: uuid.UUID, ip: int) -> bytes | None:
        return self._bridge_arps.get((bridge_id, ip))

    def router_arp(self, router_id: uuid.UUID, ip: int) -> ArpEntry | None:
        return self._router_arps.get((router_id, ip))

    def arp_requested(self, router_id: uuid.UUID, ip: int) -> float | None:
        return self._arp_requests.get((router_id, ip))

    @property
    def conntrack(self) -> ConnTrack:
        return self.flow_state.conntrack

    def nat_binding(self, key: NatKey) -> NatBinding | None:
        return self.flow_state.nat.get(key)

    def allocate_snat(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        return self.flow_state.allocate_snat(device_id, dst_ip, dst_port, proto, targets)

    @property
    def random(self) -> random.Random:
        return self.flow_state.random

    # --- the agent's side ---------------------------------------------------------------

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener` with the flow tags of entries that changed (on the store's
        watch thread); returns a function that unsubscribes it."""
        with self._lock:
            self._listeners = [*self._listeners, listener]

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = [x for x in self._listeners if x is not listener]

        return unsubscribe

    def mac_learned_on(self, bridge_id: uuid.UUID, port_id: uuid.UUID) -> bytes | None:
        """A MAC the bridge learned on `port_id` (what a trace sends from there)."""
        for (bridge, _, mac), port in list(self._macs.items()):
            if bridge == bridge_id and port == port_id:
                return mac
        return None

    def arp_request_sent(self, router_id: uuid.UUID, ip: int, first: float) -> None:
        """The router asked for `ip`, first at `first` (kept until the IP resolves)."""
        self._arp_requests.setdefault((router_id, ip), first)

    def apply(
        self, changes: Iterable[StateChange], session: Session | None = None
    ) -> list[Hashable]:
        """Write a simulation's state changes to the store (learned entries
        ephemeral under `session`); returns the tags of those that changed
        something. What this agent learned it also knows at once: packets parked
        for an ARP answer go on without waiting for the store's watch to bring the
        entry back (which then changes nothing). A refresh — the same MAC on the
        same port, the same ARP answer — is written (it keeps the entry alive) but
        changes no flow."""
        changed: list[Hashable] = []
        for change in changes:
            if self._know(change):
                changed.append(change.tag)
            if isinstance(change, MacLearned):
                table = MacTable(self._state, change.bridge_id, change.vlan)
                table.add(mac_text(change.mac), change.port_id, session=session)
            elif isinstance(change, ArpLearned):
                table_r = ArpTable(self._state, "router", change.router_id)
                table_r.add(ipaddress.IPv4Address(change.ip), mac_text(change.mac), session=session)
            elif isinstance(change, BridgeArpLearned):
                table_b = ArpTable(self._state, "bridge", change.bridge_id)
                table_b.add(ipaddress.IPv4Address(change.ip), mac_text(change.mac), session=session)
            elif isinstance(change, ArpRequested):
                self.arp_request_sent(change.router_id, change.ip, change.first)
                changed.append(change.tag)
            elif isinstance(change, ConnTrackAdded | NatBound) and self.flow_state.apply(
                change, self._clock()
            ):
                changed.append(change.tag)
        return changed

    def _know(self, change: StateChange) -> bool:
        """Take a learned entry in at once; True if it is new or different."""
        with self._lock:
            if isinstance(change, MacLearned):
                key = (change.bridge_id, change.vlan, change.mac)
                before = self._macs.get(key)
                self._macs[key] = change.port_id
                return before != change.port_id
            if isinstance(change, ArpLearned):
                key_r = (change.router_id, change.ip)
                known = self._router_arps.get(key_r)
                self._router_arps[key_r] = ArpEntry(change.mac, self._clock())
                self._arp_requests.pop(key_r, None)
                return known is None or known.mac != change.mac
            if isinstance(change, BridgeArpLearned):
                key_b = (change.bridge_id, change.ip)
                before_mac = self._bridge_arps.get(key_b)
                self._bridge_arps[key_b] = change.mac
                return before_mac != change.mac
        return False

    def close(self) -> None:
        self._unsubscribe()
        with self._lock:
            self._closed = True
            watches, self._watches = self._watches, {}
        for watch in watches.values():
            watch.close()

    def __enter__(self) -> StoreSimulationState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- following the tables -----------------------------------------------------------

    def _topology_changed(self, event: TopologyChange) -> None:
        if any(kind in ("Bridge", "Router", "Port") for kind in event.changed.values()):
            self._follow()

    def _wanted(self, topology: Topology) -> dict[str, _Handler]:
        wanted: dict[str, _Handler] = {}
        for bridge in topology.objects(Bridge):
            vlans = {UNTAGGED_VLAN, *topology.vlan_ports_of(bridge.id)}
            for vlan in vlans:
                name = MacTable(self._state, bridge.id, vlan).name
                wanted[name] = self._mac_handler(name, bridge.id, vlan)
            name = ArpTable(self._state, "bridge", bridge.id).name
            wanted[name] = self._bridge_arp_handler(name, bridge.id)
        for router in topology.objects(Router):
            name = ArpTable(self._state, "router", router.id).name
            wanted[name] = self._router_arp_handler(name, router.id)
        return wanted

    def _follow(self) -> None:
        """Watch the tables of the latest snapshot's devices, and only those. Reading
        `current` under the lock makes the last caller's view win."""
        with self._lock:
            if self._closed:
                return
            wanted = self._wanted(self._vt.current)
            gone = [name for name in self._watches if name not in wanted]
            for name in gone:
                self._watches.pop(name).close()
                self._forget(name)
            for name, handler in wanted.items():
                if name not in self._watches:
                    self._watches[name] = self._state.watch(name, callback=handler)

    def _forget(self, name: str) -> None:
        """Drop the entries of a table no longer followed (its device is gone);
        called under the lock."""
        parts = name.split("/")
        device_id = uuid.UUID(parts[1])
        if parts[0] == "router":
            for key in [k for k in self._router_arps if k[0] == device_id]:
                self._router_arps.pop(key, None)
        elif parts[2] == "arp":
            for bkey in [k for k in self._bridge_arps if k[0] == device_id]:
                self._bridge_arps.pop(bkey, None)
        else:
            vlan = int(parts[3])
            for mkey in [k for k in self._macs if k[0] == device_id and k[1] == vlan]:
                self._macs.pop(mkey, None)

    def _notify(self, tag: Hashable) -> None:
        for listener in self._listeners:
            try:
                listener(frozenset((tag,)))
            except Exception:
                log.exception("state listener %r failed", listener)

    def _guarded(self, name: str, apply: Callable[[Change[str, JSON]], Any]) -> _Handler:
        """A watch callback that skips entries it cannot read, and tables no longer
        followed (a change already in flight when the table was dropped)."""

        def handler(change: Change[str, JSON]) -> None:
            # Under the lock: `_follow` registers the watch after the store may
            # already deliver its first entries, and drops tables under it too.
            with self._lock:
                if name not in self._watches:
                    return
                try:
                    tag = apply(change)
                except (ValueError, TypeError):
                    log.error("skipping entry %r of %s: %r", change.key, name, change.value)
                    return
            if tag is not None:
                self._notify(tag)

        return handler

    def _mac_handler(self, name: str, bridge_id: uuid.UUID, vlan: int) -> _Handler:
        def apply(change: Change[str, JSON]) -> Hashable | None:
            key = (bridge_id, vlan, mac_bytes(change.key))
            if change.value is None:
                if self._macs.pop(key, None) is None:
                    return None
            else:
                port_id = uuid.UUID(str(change.value))
                if self._macs.get(key) == port_id:
                    return None
                self._macs[key] = port_id
            return mac_tag(*key)

        return self._guarded(name, apply)

    def _bridge_arp_handler(self, name: str, bridge_id: uuid.UUID) -> _Handler:
        def apply(change: Change[str, JSON]) -> Hashable | None:
            key = (bridge_id, int(ipaddress.IPv4Address(change.key)))
            if change.value is None:
                if self._bridge_arps.pop(key, None) is None:
                    return None
            else:
                mac = mac_bytes(str(change.value))
                if self._bridge_arps.get(key) == mac:
                    return None
                self._bridge_arps[key] = mac
            return bridge_arp_tag(*key)

        return self._guarded(name, apply)

    def _router_arp_handler(self, name: str, router_id: uuid.UUID) -> _Handler:
        def apply(change: Change[str, JSON]) -> Hashable | None:
            key = (router_id, int(ipaddress.IPv4Address(change.key)))
            if change.value is None:
                if self._router_arps.pop(key, None) is None:
                    return None
                return arp_tag(*key)
            mac = mac_bytes(str(change.value))
            known = self._router_arps.get(key)
            # A rewrite of the same MAC refreshes the entry's age; flows need not go.
            self._router_arps[key] = ArpEntry(mac, self._clock())
            self._arp_requests.pop(key, None)
            return None if known is not None and known.mac == mac else arp_tag(*key)

        return self._guarded(name, apply)


if TYPE_CHECKING:  # the adapter satisfies the simulation's protocol (checked by mypy)

    def _is_state(s: StoreSimulationState) -> SimulationState:
        return s
