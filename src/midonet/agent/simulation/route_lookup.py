"""Route selection for the router simulation, behind a small interface.

`RouteLookup` is what the router needs: the route for a packet's source and
destination on a router, ECMP resolved by a flow hash. `PrefixRouteLookup` is
MidoNet's rule, compiled per snapshot: the longest destination prefix that has a
route whose source prefix also matches; among those routes the lowest weight; among
equal weights one picked by the flow hash (so one flow keeps one path). IPv4 only,
as the router is.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

from midonet.model import Route

if TYPE_CHECKING:
    from midonet.agent.topology.snapshot import Topology

_Entry = tuple[int, int, int, Route]  # src mask, src network, weight, route
_Table = tuple[tuple[int, int, dict[int, list[_Entry]]], ...]  # (length, mask, by network)


class RouteLookup(Protocol):
    def __call__(
        self, topology: Topology, router_id: uuid.UUID, src: int, dst: int, flow_hash: int
    ) -> Route | None: ...


def _mask(length: int) -> int:
    return (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF


def _compile(topology: Topology, router_id: uuid.UUID) -> _Table:
    by_length: dict[int, dict[int, list[_Entry]]] = {}
    for route in topology.routes_of(router_id):
        if route.dst_network_addr.version != 4:
            continue
        length = route.dst_network_length
        network = int(route.dst_network_addr) & _mask(length)
        src_mask = _mask(route.src_network_length)
        entry = (src_mask, int(route.src_network_addr) & src_mask, route.weight, route)
        by_length.setdefault(length, {}).setdefault(network, []).append(entry)
    return tuple(
        (length, _mask(length), by_length[length]) for length in sorted(by_length, reverse=True)
    )


def prefix_route_lookup(
    topology: Topology, router_id: uuid.UUID, src: int, dst: int, flow_hash: int
) -> Route | None:
    """MidoNet's route selection (see the module docstring)."""
    table = topology.memo(("route_lookup", router_id), lambda: _compile(topology, router_id))
    for _, mask, networks in table:
        entries = networks.get(dst & mask)
        if not entries:
            continue
        matching = [e for e in entries if src & e[0] == e[1]]
        if not matching:
            continue
        best = min(e[2] for e in matching)
        candidates = [e[3] for e in matching if e[2] == best]
        if len(candidates) == 1:
            return candidates[0]
        candidates.sort(key=lambda r: r.id.int)
        return candidates[flow_hash % len(candidates)]
    return None
