"""The simulation's per-snapshot view of the topology.

Everything a simulation derives from model objects — compiled chains, a bridge's
port sets, a router's port addresses and routing table — is built on first use and
kept in one `SimTopology` per snapshot (`Topology.memo`), in dicts keyed by the
object's id. Flow tags are kept as frozensets next to what they tag: merging a
frozenset into the context's tag set reuses its stored hashes (a UUID hashes in
Python code, so hashing it once per snapshot rather than per packet matters).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from midonet.agent.simulation.chain import CompiledChain, compile_chain
from midonet.agent.simulation.routing_table import RoutingTable, routing_table
from midonet.model import Bridge, Chain, Port, Router

if TYPE_CHECKING:
    from midonet.agent.topology.snapshot import Topology


@dataclass(frozen=True, slots=True)
class SimPort:
    port: Port
    tags: frozenset[uuid.UUID]
    rx_meters: tuple[str, str]
    """`meters:device:ID` and `meters:port:rx:ID`, fed by every packet entering it."""
    tx_meter: str
    """`meters:port:tx:ID`, fed by every packet leaving it."""


@dataclass(frozen=True, slots=True)
class RouterPortInfo:
    port: Port
    mac: bytes
    address: int | None
    network: int
    mask: int

    def contains(self, ip: int) -> bool:
        return self.address is not None and ip & self.mask == self.network


@dataclass(frozen=True, slots=True)
class RouterInfo:
    router: Router
    tags: frozenset[uuid.UUID]
    meter: str
    ports: Mapping[uuid.UUID, RouterPortInfo]
    table: RoutingTable


@dataclass(frozen=True, slots=True)
class BridgeInfo:
    """What the simulation needs of a bridge."""

    bridge: Bridge
    tags: frozenset[uuid.UUID]
    meter: str
    exterior: tuple[uuid.UUID, ...]
    router_port_by_mac: Mapping[bytes, uuid.UUID]
    """MAC of a peered router port → the bridge port peered with it."""
    router_mac_by_ip: Mapping[int, bytes]
    """Address of a peered router port → its MAC."""
    vlan_of_port: Mapping[uuid.UUID, int]
    port_of_vlan: Mapping[int, uuid.UUID]
    vlan_peers: tuple[uuid.UUID, ...]
    """Interior ports peered with a VLAN port of a VLAN-aware bridge (flooded to)."""

    @property
    def vlan_aware(self) -> bool:
        return bool(self.port_of_vlan)


def device_meter(device_id: uuid.UUID) -> str:
    """The meter every packet through a device (bridge, router, port) feeds."""
    return f"meters:device:{device_id}"


def mac_bytes(text: str | None) -> bytes:
    return bytes.fromhex((text or "00:00:00:00:00:00").replace(":", ""))


class SimTopology:
    """Lazily compiled devices of one snapshot (see the module docstring)."""

    __slots__ = ("_bridges", "_chains", "_ports", "_routers", "topology")

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._ports: dict[uuid.UUID, SimPort | None] = {}
        self._chains: dict[uuid.UUID, CompiledChain | None] = {}
        self._bridges: dict[uuid.UUID, BridgeInfo | None] = {}
        self._routers: dict[uuid.UUID, RouterInfo | None] = {}

    @classmethod
    def of(cls, topology: Topology) -> SimTopology:
        return topology.memo("simulation.compiled", lambda: cls(topology))

    def port(self, port_id: uuid.UUID) -> SimPort | None:
        try:
            return self._ports[port_id]
        except KeyError:
            found = self.topology.get(Port, port_id)
            sim = None
            if found is not None:
                rx = (device_meter(port_id), f"meters:port:rx:{port_id}")
                sim = SimPort(found, frozenset((port_id,)), rx, f"meters:port:tx:{port_id}")
            self._ports[port_id] = sim
            return sim

    def chain(self, chain_id: uuid.UUID) -> CompiledChain | None:
        try:
            return self._chains[chain_id]
        except KeyError:
            compiled = self._chains[chain_id] = compile_chain(self.topology, chain_id)
            return compiled

    def bridge(self, bridge_id: uuid.UUID) -> BridgeInfo | None:
        try:
            return self._bridges[bridge_id]
        except KeyError:
            info = self._bridges[bridge_id] = _bridge_info(self.topology, bridge_id)
            return info

    def router(self, router_id: uuid.UUID) -> RouterInfo | None:
        try:
            return self._routers[router_id]
        except KeyError:
            info = self._routers[router_id] = _router_info(self.topology, router_id)
            return info


WARM_LIMIT = 5000


def warm(topology: Topology) -> None:
    """Compile every port, bridge, router and chain of a snapshot now, before a
    packet needs it: the agent calls this on its topology thread when a snapshot is
    published, so a first packet does not pay for compiling rule chains and routing
    tables (milliseconds for a few dozen rules). A snapshot of more than
    `WARM_LIMIT` objects is left to compile lazily: each change would otherwise
    recompile a large cloud's every chain, used here or not."""
    counts = topology.counts()
    if sum(counts.get(k.KIND, 0) for k in (Port, Bridge, Router, Chain)) > WARM_LIMIT:
        return
    sim = SimTopology.of(topology)
    for port in topology.objects(Port):
        sim.port(port.id)
    for bridge in topology.objects(Bridge):
        sim.bridge(bridge.id)
    for router in topology.objects(Router):
        sim.router(router.id)
    for chain in topology.objects(Chain):
        sim.chain(chain.id)


def _bridge_info(topology: Topology, bridge_id: uuid.UUID) -> BridgeInfo | None:
    found = topology.get(Bridge, bridge_id)
    if found is None:
        return None
    by_mac: dict[bytes, uuid.UUID] = {}
    by_ip: dict[int, bytes] = {}
    vlan_peers: list[uuid.UUID] = []
    for p in topology.ports_of(bridge_id):
        peer = topology.get(Port, p.peer_id)
        if peer is None:
            continue
        if peer.is_router_port and peer.port_mac is not None:
            by_mac[mac_bytes(peer.port_mac)] = p.id
            if peer.port_address is not None:
                by_ip[int(peer.port_address)] = mac_bytes(peer.port_mac)
        elif peer.vlan_id:
            vlan_peers.append(p.id)
    vlans = {p.id: p.vlan_id for p in topology.ports_of(bridge_id) if p.vlan_id}
    return BridgeInfo(
        found,
        frozenset((bridge_id,)),
        device_meter(bridge_id),
        tuple(p.id for p in topology.exterior_ports_of(bridge_id)),
        MappingProxyType(by_mac),
        MappingProxyType(by_ip),
        MappingProxyType(vlans),
        MappingProxyType({v: k for k, v in vlans.items()}),
        tuple(vlan_peers),
    )


def router_port_info(p: Port) -> RouterPortInfo:
    mac = mac_bytes(p.port_mac)
    if p.port_address is None or p.network_length is None:
        return RouterPortInfo(p, mac, None, 0, 0)
    mask = (0xFFFFFFFF << (32 - p.network_length)) & 0xFFFFFFFF
    address = int(p.port_address)
    return RouterPortInfo(p, mac, address, address & mask, mask)


def _router_info(topology: Topology, router_id: uuid.UUID) -> RouterInfo | None:
    found = topology.get(Router, router_id)
    if found is None:
        return None
    ports = {p.id: router_port_info(p) for p in topology.ports_of(router_id)}
    return RouterInfo(
        found,
        frozenset((router_id,)),
        device_meter(router_id),
        MappingProxyType(ports),
        routing_table(topology, router_id),
    )
