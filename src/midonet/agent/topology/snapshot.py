"""An immutable snapshot of the virtual topology, as one simulation sees it.

A `Topology` holds the model objects by kind and id. It never changes: a store change
makes a new snapshot with `with_changes`, which copies only the per-kind maps that
changed (the rest are shared), so a snapshot can be handed to any number of
simulations without locks.

Derived indexes (a router's routes, a bridge's ports per VLAN, a router's port by
MAC, compiled rule chains...) are computed lazily and cached *per snapshot* through
`memo`; a new snapshot starts with an empty cache, so nothing derived can go stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from midonet.errors import MidonetError
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
    Route,
    Router,
    Rule,
    TunnelZone,
    Vip,
)

M = TypeVar("M", bound=ModelObject)
T = TypeVar("T")

Kind = str | type[ModelObject]
"""A kind is named by its KIND string ("Port") or its class (Port)."""

_EMPTY: Mapping[uuid.UUID, Any] = MappingProxyType({})


class MissingObject(MidonetError, KeyError):
    """The snapshot has no object of that kind with that id."""

    def __init__(self, kind: str, object_id: uuid.UUID) -> None:
        super().__init__(f"{kind} {object_id} is not in the topology")
        self.kind = kind
        self.object_id = object_id

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _kind_name(kind: Kind) -> str:
    return kind if isinstance(kind, str) else kind.KIND


class Topology:
    """Model objects by kind and id, plus a per-snapshot cache of derived indexes."""

    __slots__ = ("_by_kind", "_memo")

    def __init__(self, by_kind: Mapping[str, Mapping[uuid.UUID, ModelObject]] | None = None):
        self._by_kind: dict[str, dict[uuid.UUID, ModelObject]] = {
            k: dict(v) for k, v in (by_kind or {}).items() if v
        }
        self._memo: dict[Hashable, Any] = {}

    # --- construction ---------------------------------------------------------------

    @classmethod
    def from_objects(cls, objects: Iterable[ModelObject]) -> Topology:
        by_kind: dict[str, dict[uuid.UUID, ModelObject]] = {}
        for obj in objects:
            by_kind.setdefault(obj.KIND, {})[obj.id] = obj
        snap = cls.__new__(cls)
        snap._by_kind = by_kind
        snap._memo = {}
        return snap

    def with_changes(
        self,
        upserts: Iterable[ModelObject] = (),
        deletions: Iterable[tuple[Kind, uuid.UUID]] = (),
    ) -> Topology:
        """A new snapshot with `upserts` put (by kind and id) and `deletions` removed.

        Only the maps of the kinds touched are copied; deleting an absent object is a
        no-op (a watch may report a delete twice).
        """
        by_kind = dict(self._by_kind)
        copied: set[str] = set()

        def writable(kind: str) -> dict[uuid.UUID, ModelObject]:
            if kind not in copied:
                by_kind[kind] = dict(by_kind.get(kind, {}))
                copied.add(kind)
            return by_kind[kind]

        for obj in upserts:
            writable(obj.KIND)[obj.id] = obj
        for kind, object_id in deletions:
            name = _kind_name(kind)
            if object_id in by_kind.get(name, _EMPTY):
                writable(name).pop(object_id)
        snap = Topology.__new__(Topology)
        snap._by_kind = {k: v for k, v in by_kind.items() if v}
        snap._memo = {}
        return snap

    # --- generic access -------------------------------------------------------------

    def get(self, kind: type[M], object_id: uuid.UUID | None) -> M | None:
        """The object of `kind` with `object_id`, or None (also for a None id)."""
        if object_id is None:
            return None
        return self._by_kind.get(kind.KIND, _EMPTY).get(object_id)  # type: ignore[return-value]

    def require(self, kind: type[M], object_id: uuid.UUID) -> M:
        obj = self._by_kind.get(kind.KIND, _EMPTY).get(object_id)
        if obj is None:
            raise MissingObject(kind.KIND, object_id)
        return obj  # type: ignore[return-value]

    def counts(self) -> dict[str, int]:
        """How many objects of each kind the snapshot holds."""
        return {kind: len(objects) for kind, objects in self._by_kind.items()}

    def objects(self, kind: type[M]) -> Iterator[M]:
        return iter(self._by_kind.get(kind.KIND, _EMPTY).values())

    def ids(self, kind: Kind) -> frozenset[uuid.UUID]:
        return frozenset(self._by_kind.get(_kind_name(kind), _EMPTY))

    def count(self, kind: Kind) -> int:
        return len(self._by_kind.get(_kind_name(kind), _EMPTY))

    def __contains__(self, obj: object) -> bool:
        if not isinstance(obj, ModelObject):
            return False
        return self._by_kind.get(obj.KIND, _EMPTY).get(obj.id) == obj

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def __iter__(self) -> Iterator[ModelObject]:
        for objects in self._by_kind.values():
            yield from objects.values()

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value derived under `key` in this snapshot, computed once on first use.

        Keys should start with a name owned by the caller's module (e.g.
        ("chain.compiled", chain_id)) so that independent derivations never collide.
        """
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    # --- typed accessors (MissingObject if absent) ---------------------------------

    def port(self, object_id: uuid.UUID) -> Port:
        return self.require(Port, object_id)

    def bridge(self, object_id: uuid.UUID) -> Bridge:
        return self.require(Bridge, object_id)

    def router(self, object_id: uuid.UUID) -> Router:
        return self.require(Router, object_id)

    def route(self, object_id: uuid.UUID) -> Route:
        return self.require(Route, object_id)

    def chain(self, object_id: uuid.UUID) -> Chain:
        return self.require(Chain, object_id)

    def rule(self, object_id: uuid.UUID) -> Rule:
        return self.require(Rule, object_id)

    def port_group(self, object_id: uuid.UUID) -> PortGroup:
        return self.require(PortGroup, object_id)

    def ip_addr_group(self, object_id: uuid.UUID) -> IPAddrGroup:
        return self.require(IPAddrGroup, object_id)

    def mirror(self, object_id: uuid.UUID) -> Mirror:
        return self.require(Mirror, object_id)

    def load_balancer(self, object_id: uuid.UUID) -> LoadBalancer:
        return self.require(LoadBalancer, object_id)

    def pool(self, object_id: uuid.UUID) -> Pool:
        return self.require(Pool, object_id)

    def pool_member(self, object_id: uuid.UUID) -> PoolMember:
        return self.require(PoolMember, object_id)

    def vip(self, object_id: uuid.UUID) -> Vip:
        return self.require(Vip, object_id)

    def health_monitor(self, object_id: uuid.UUID) -> HealthMonitor:
        return self.require(HealthMonitor, object_id)

    def host(self, object_id: uuid.UUID) -> Host:
        return self.require(Host, object_id)

    def tunnel_zone(self, object_id: uuid.UUID) -> TunnelZone:
        return self.require(TunnelZone, object_id)

    # --- derived indexes (lazy, cached per snapshot) --------------------------------

    def routes_of(self, router_id: uuid.UUID) -> tuple[Route, ...]:
        """The routes of a router: those naming it in `router_id`, and port routes
        (no `router_id`) whose next-hop port belongs to it. Ordered by id, so equal
        snapshots give equal tuples."""
        return self.memo(("topology.routes_by_router",), self._routes_by_router).get(router_id, ())

    def _routes_by_router(self) -> dict[uuid.UUID, tuple[Route, ...]]:
        index: dict[uuid.UUID, list[Route]] = {}
        for route in self.objects(Route):
            owner = route.router_id
            if owner is None:
                port = self.get(Port, route.next_hop_port_id)
                owner = port.router_id if port is not None else None
            if owner is not None:
                index.setdefault(owner, []).append(route)
        return {k: tuple(sorted(v, key=lambda r: r.id)) for k, v in index.items()}

    def ports_of(self, device_id: uuid.UUID) -> tuple[Port, ...]:
        """The ports of a bridge or router present in the snapshot, ordered by id."""
        return self.memo(("topology.ports_by_device",), self._ports_by_device).get(device_id, ())

    def _ports_by_device(self) -> dict[uuid.UUID, tuple[Port, ...]]:
        index: dict[uuid.UUID, list[Port]] = {}
        for port in self.objects(Port):
            if port.device_id is not None:
                index.setdefault(port.device_id, []).append(port)
        return {k: tuple(sorted(v, key=lambda p: p.id)) for k, v in index.items()}

    def exterior_ports_of(self, bridge_id: uuid.UUID) -> tuple[Port, ...]:
        """The bridge's exterior (host-bound) ports: the flood set of an untagged frame."""
        return self.memo(
            ("topology.exterior_ports", bridge_id),
            lambda: tuple(p for p in self.ports_of(bridge_id) if p.is_exterior),
        )

    def vlan_ports_of(self, bridge_id: uuid.UUID) -> Mapping[int, Port]:
        """A VLAN-aware bridge's interior ports by their `vlan_id` (the port that pops
        the tag of its VLAN on the way out and pushes it on the way in)."""
        return self.memo(
            ("topology.vlan_ports", bridge_id),
            lambda: MappingProxyType(
                {p.vlan_id: p for p in self.ports_of(bridge_id) if p.vlan_id is not None}
            ),
        )

    def router_port_by_mac(self, router_id: uuid.UUID) -> Mapping[str, Port]:
        """A router's ports by their MAC (canonical text)."""
        return self.memo(
            ("topology.router_port_by_mac", router_id),
            lambda: MappingProxyType(
                {p.port_mac: p for p in self.ports_of(router_id) if p.port_mac is not None}
            ),
        )

    def router_port_by_address(self, router_id: uuid.UUID) -> Mapping[int, Port]:
        """A router's ports by their IPv4 address (as an int, as packets carry it)."""
        return self.memo(
            ("topology.router_port_by_address", router_id),
            lambda: MappingProxyType(
                {
                    int(p.port_address): p
                    for p in self.ports_of(router_id)
                    if p.port_address is not None
                }
            ),
        )

    def rules_of(self, chain_id: uuid.UUID) -> tuple[Rule, ...]:
        """A chain's rules in position order (rules missing from the snapshot skipped)."""

        def compute() -> tuple[Rule, ...]:
            chain = self.get(Chain, chain_id)
            if chain is None:
                return ()
            rules = (self.get(Rule, rid) for rid in chain.rule_ids)
            return tuple(r for r in rules if r is not None)

        return self.memo(("topology.rules_of", chain_id), compute)
