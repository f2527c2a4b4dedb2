"""Objects the store derives from others inside the same transaction.

A router port with an address gets, as in MidoNet, a LOCAL route to its own address
(src 0.0.0.0/0, dst address/32, next hop the port, weight 0) so the router delivers
packets for that address to itself, and a NORMAL route to each IPv4 subnet of the port
(dst network/length via the port, weight 0). Like MidoNet's port routes they hang off
the port (`next_hop_port_id`, no `router_id`), so the Port.route_ids binding deletes
them with the port, and so with its router. Changing the port's address or subnets
replaces them; routes the operator added are never touched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from midonet.model.base import ModelObject
from midonet.model.port import Port, PortType
from midonet.model.route import ANY_IPV4, Route, RouteType
from midonet.store.integrity import Hook, Staging

Signature = tuple[RouteType, ipaddress.IPv4Address | ipaddress.IPv6Address, int]


def _wanted(port: Port) -> set[Signature]:
    if port.type is not PortType.ROUTER:
        return set()
    wanted: set[Signature] = set()
    if port.port_address is not None:
        wanted.add((RouteType.LOCAL, port.port_address, 32))
    for subnet in port.port_subnets:
        if isinstance(subnet, ipaddress.IPv4Network):
            wanted.add((RouteType.NORMAL, subnet.network_address, subnet.prefixlen))
    return wanted


def _signature(route: Route) -> Signature | None:
    """The signature of a route this hook could have made, else None."""
    plain = (
        route.src_network_addr == ANY_IPV4
        and route.src_network_length == 0
        and route.next_hop_gateway is None
        and route.weight == 0
        and not route.learned
        and route.router_id is None
    )
    if not plain or route.type not in (RouteType.LOCAL, RouteType.NORMAL):
        return None
    return (route.type, route.dst_network_addr, route.dst_network_length)


def _route(port: Port, signature: Signature) -> Route:
    kind, address, length = signature
    return Route(
        type=kind,
        src_network_addr=ANY_IPV4,
        src_network_length=0,
        dst_network_addr=address,
        dst_network_length=length,
        next_hop_port_id=port.id,
        weight=0,
    )


class RouterPortRoutes:
    """`Hook` for Port: keeps a router port's LOCAL and subnet routes."""

    kind = Port.KIND

    def after_create(self, tx: Staging, obj: ModelObject) -> None:
        assert isinstance(obj, Port)
        for signature in sorted(_wanted(obj), key=str):
            tx.create(_route(obj, signature))

    def after_update(self, tx: Staging, old: ModelObject, new: ModelObject) -> None:
        assert isinstance(old, Port) and isinstance(new, Port)
        before, after = _wanted(old), _wanted(new)
        if before == after:
            return
        current = tx.get(Port.KIND, new.id)
        assert isinstance(current, Port)
        present: set[Signature] = set()
        for route_id in current.route_ids:
            route = tx.get(Route.KIND, route_id)
            if not isinstance(route, Route):
                continue
            signature = _signature(route)
            if signature is None or signature not in before | after:
                continue
            if signature in after:
                present.add(signature)
            else:
                tx.delete(Route.KIND, route_id)
        for signature in sorted(after - present, key=str):
            tx.create(_route(new, signature))


def default_hooks() -> Sequence[Hook]:
    return (RouterPortRoutes(),)
