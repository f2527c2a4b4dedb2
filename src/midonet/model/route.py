"""Routes of a router's routing table (MidoNet's Route)."""

from __future__ import annotations

import enum
import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPAddress, IPNetwork, ModelObject, register
from midonet.model.validation import check_min, check_prefix, check_same_family, prefix

ANY_IPV4 = ipaddress.IPv4Address("0.0.0.0")


class RouteType(enum.Enum):
    """What the route does with a match (values as the REST API spells them)."""

    NORMAL = "Normal"
    """Forward through `next_hop_port_id` (to `next_hop_gateway` if set)."""
    BLACKHOLE = "BlackHole"
    """Drop silently."""
    REJECT = "Reject"
    """Drop and answer ICMP unreachable (administratively prohibited)."""
    LOCAL = "Local"
    """The destination is the router itself (a port's own address)."""


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Route(ModelObject):
    """A route: source and destination prefixes, kept as address + length as in the
    API (`src_network_addr`/`src_network_length`), and a next hop.

    A route belongs to a router through `router_id` (bound to Router.route_ids) and,
    when it leaves through a port, to that port through `next_hop_port_id` (bound to
    Port.route_ids): deleting either deletes the route. It must name at least one.
    """

    KIND = "Route"

    type: RouteType = RouteType.NORMAL
    src_network_addr: IPAddress = ANY_IPV4
    src_network_length: int = 0
    dst_network_addr: IPAddress
    dst_network_length: int
    next_hop_port_id: uuid.UUID | None = None
    next_hop_gateway: IPAddress | None = None
    weight: int = 0
    learned: bool = False
    router_id: uuid.UUID | None = None

    @property
    def src_subnet(self) -> IPNetwork:
        net = prefix(self.src_network_addr, self.src_network_length)
        assert net is not None
        return net

    @property
    def dst_subnet(self) -> IPNetwork:
        net = prefix(self.dst_network_addr, self.dst_network_length)
        assert net is not None
        return net

    def _violations(self) -> Iterator[Violation]:
        yield from check_prefix("src_network", self.src_network_addr, self.src_network_length)
        yield from check_prefix("dst_network", self.dst_network_addr, self.dst_network_length)
        yield from check_same_family(
            "dst_network_addr", self.src_network_addr, self.dst_network_addr
        )
        yield from check_min("weight", self.weight, 0)
        if self.type is RouteType.NORMAL and self.next_hop_port_id is None:
            yield Violation("next_hop_port_id", "is required for a Normal route")
        if self.router_id is None and self.next_hop_port_id is None:
            yield Violation("router_id", "a route needs a router_id or a next_hop_port_id")
        if self.next_hop_gateway is not None:
            yield from check_same_family(
                "next_hop_gateway", self.dst_network_addr, self.next_hop_gateway
            )
