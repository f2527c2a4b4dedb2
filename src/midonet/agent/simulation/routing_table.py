"""A router's routing table: MidoNet's lookup, indexed for a per-packet hot path.

The lookup follows midolman's RoutingTable and RouteBalancer:

1. Destination prefixes are tried from the longest present to the shortest.
2. At a prefix, only the routes whose *source* prefix matches the packet's source
   count; if none does, the next shorter destination prefix is tried.
3. Of the routes that count, those with the lowest weight remain.
4. Several remain (ECMP): the one at `flow_hash % N` is chosen, the candidates
   ordered by route id so that every agent picks the same route for a flow.

Route types come back as they are: the router acts on BLACKHOLE, REJECT and LOCAL.

A table is built once per router per topology snapshot (`routing_table` caches it in
the snapshot). Addresses are ints; IPv4 (`lookup`) and IPv6 (`lookup6`) routes are
indexed apart, since the same int can be an address of either family.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from midonet.model import Port, Route
from midonet.model.base import IPAddress

if TYPE_CHECKING:
    from midonet.agent.topology.snapshot import Topology

_WIDTH = {4: 32, 6: 128}


def _mask(length: int, width: int) -> int:
    return ((1 << length) - 1) << (width - length)


def _prefix(address: IPAddress, length: int, width: int) -> tuple[int, int]:
    """(network, mask) as ints; the stored address may carry host bits (10.0.0.5/24)."""
    mask = _mask(length, width)
    return int(address) & mask, mask


class _Bucket:
    """The routes of one destination prefix, grouped by weight (lowest first).

    `any_src` is the lowest-weight group when all its routes match any source (the
    usual case): that group is then the answer for every packet, with no source test.
    """

    __slots__ = ("any_src", "groups")

    def __init__(self, routes: list[Route], width: int) -> None:
        by_weight: dict[int, list[Route]] = {}
        for route in routes:
            by_weight.setdefault(route.weight, []).append(route)
        groups = []
        for weight in sorted(by_weight):
            group = tuple(sorted(by_weight[weight], key=lambda r: r.id))
            srcs = tuple(_prefix(r.src_network_addr, r.src_network_length, width) for r in group)
            groups.append((group, srcs))
        self.groups: tuple[tuple[tuple[Route, ...], tuple[tuple[int, int], ...]], ...] = tuple(
            groups
        )
        first, first_srcs = groups[0]
        self.any_src: tuple[Route, ...] | None = (
            first if all(mask == 0 for _, mask in first_srcs) else None
        )

    def select(self, src: int) -> tuple[Route, ...]:
        """The lowest-weight routes whose source prefix matches `src` (maybe none)."""
        for routes, srcs in self.groups:
            matching = tuple(r for r, (a, m) in zip(routes, srcs, strict=True) if src & m == a)
            if matching:
                return matching
        return ()


# One family's index: (prefix length, mask, routes by masked destination), longest first.
_Index = tuple[tuple[int, int, dict[int, _Bucket]], ...]


def _build_index(routes: list[Route], width: int) -> _Index:
    by_prefix: dict[tuple[int, int], list[Route]] = {}
    for route in routes:
        length = route.dst_network_length
        key, _ = _prefix(route.dst_network_addr, length, width)
        by_prefix.setdefault((length, key), []).append(route)
    tables: dict[int, dict[int, _Bucket]] = {}
    for (length, key), group in by_prefix.items():
        tables.setdefault(length, {})[key] = _Bucket(group, width)
    return tuple(
        (length, _mask(length, width), tables[length]) for length in sorted(tables, reverse=True)
    )


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """A lookup explained, for traces: the route chosen (None: no route), the
    destination prefix length that matched, the equal candidates there (ordered by
    id) and the index the flow hash picked among them."""

    route: Route | None
    prefix_length: int | None
    candidates: tuple[Route, ...]
    index: int

    @property
    def reason(self) -> str:
        if self.route is None:
            return "no route matches the source and destination"
        where = f"longest matching prefix /{self.prefix_length}, weight {self.route.weight}"
        n = len(self.candidates)
        if n == 1:
            return where
        return f"{where}, ECMP: flow hash picked {self.index + 1} of {n}"


class RoutingTable:
    """Immutable; build with `from_routes`, read with `lookup`/`lookup6`/`explain`."""

    __slots__ = ("_v4", "_v6", "routes")

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self.routes: tuple[Route, ...] = tuple(sorted(routes, key=lambda r: r.id))
        v4 = [r for r in self.routes if r.dst_network_addr.version == 4]
        v6 = [r for r in self.routes if r.dst_network_addr.version == 6]
        self._v4 = _build_index(v4, 32)
        self._v6 = _build_index(v6, 128)

    @classmethod
    def from_routes(cls, routes: Iterable[Route]) -> RoutingTable:
        return cls(routes)

    def __len__(self) -> int:
        return len(self.routes)

    def lookup(self, src: int, dst: int, flow_hash: int = 0) -> Route | None:
        """The IPv4 route for a packet from `src` to `dst` (addresses as ints), or None."""
        return _lookup(self._v4, src, dst, flow_hash)

    def lookup6(self, src: int, dst: int, flow_hash: int = 0) -> Route | None:
        """The IPv6 route for a packet from `src` to `dst` (addresses as ints), or None."""
        return _lookup(self._v6, src, dst, flow_hash)

    def candidates(
        self, src: int, dst: int, version: int = 4
    ) -> tuple[int | None, tuple[Route, ...]]:
        """The matched destination prefix length and the equal best routes (MidoNet's
        RoutingTable.lookup before the flow hash chooses); (None, ()) if none."""
        index = self._v4 if version == 4 else self._v6
        for length, mask, table in index:
            bucket = table.get(dst & mask)
            if bucket is None:
                continue
            routes = bucket.any_src if bucket.any_src is not None else bucket.select(src)
            if routes:
                return length, routes
        return None, ()

    def explain(self, src: int, dst: int, flow_hash: int = 0, version: int = 4) -> RouteDecision:
        """`lookup` with the why (for `trace`); always the same route as `lookup`."""
        if version not in _WIDTH:
            raise ValueError(f"IP version must be 4 or 6, got {version}")
        length, routes = self.candidates(src, dst, version)
        if not routes:
            return RouteDecision(None, None, (), 0)
        index = flow_hash % len(routes)
        return RouteDecision(routes[index], length, routes, index)


def _lookup(index: _Index, src: int, dst: int, flow_hash: int) -> Route | None:
    for _, mask, table in index:
        bucket = table.get(dst & mask)
        if bucket is None:
            continue
        routes = bucket.any_src
        if routes is None:
            routes = bucket.select(src)
            if not routes:
                continue  # no source prefix matches here: fall back to shorter prefixes
        if len(routes) == 1:
            return routes[0]
        return routes[flow_hash % len(routes)]
    return None


# --- the table of a router in a snapshot ----------------------------------------------


def publishes_routes(port: Port) -> bool:
    """Whether a port's own routes are in its router's table.

    MidoNet's RouterMapper publishes a port's routes while the port is up and
    interior, or exterior and active on its host. Activity is agent state, not in the
    snapshot, so here an exterior port counts as active: the router simulation
    already refuses to emit on a port that is not bound to a host.
    """
    return port.admin_state_up and (port.is_interior or port.is_exterior)


def published_routes(topology: Topology, router_id: uuid.UUID) -> tuple[Route, ...]:
    """The routes in a router's table: its own routes (`router_id` set) always, as in
    MidoNet, and port routes (only `next_hop_port_id`) while the port publishes."""
    out: list[Route] = []
    for route in topology.routes_of(router_id):
        if route.router_id is None:
            port = topology.get(Port, route.next_hop_port_id)
            if port is None or not publishes_routes(port):
                continue
        out.append(route)
    return tuple(out)


def routing_table(topology: Topology, router_id: uuid.UUID) -> RoutingTable:
    """The router's table in this snapshot, built on first use and cached there."""
    return topology.memo(
        ("routing_table", router_id),
        lambda: RoutingTable(published_routes(topology, router_id)),
    )


def lookup_route(
    topology: Topology, router_id: uuid.UUID, src: int, dst: int, flow_hash: int
) -> Route | None:
    """The IPv4 route of a packet on a router in a snapshot (the router simulation's
    `RouteLookup`): the cached `routing_table` of the router, looked up."""
    return routing_table(topology, router_id).lookup(src, dst, flow_hash)
