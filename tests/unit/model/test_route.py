"""Routes: types, prefixes as address + length, next hops, weights."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from midonet.errors import ValidationError
from midonet.model import Route, RouteType

V4 = ipaddress.IPv4Address
Violated = Callable[[Callable[[], Any]], set[str]]


def route(**kw: Any) -> Route:
    base: dict[str, Any] = {
        "dst_network_addr": V4("10.0.0.0"),
        "dst_network_length": 24,
        "next_hop_port_id": uuid.uuid4(),
        "router_id": uuid.uuid4(),
    }
    base.update(kw)
    return Route(**base)


def test_defaults() -> None:
    r = route()
    assert r.type is RouteType.NORMAL
    assert r.src_subnet == ipaddress.ip_network("0.0.0.0/0")
    assert r.dst_subnet == ipaddress.ip_network("10.0.0.0/24")
    assert r.weight == 0 and not r.learned


@pytest.mark.parametrize("type_", [RouteType.BLACKHOLE, RouteType.REJECT])
def test_blackhole_and_reject_need_no_port(type_: RouteType) -> None:
    assert route(type=type_, next_hop_port_id=None).next_hop_port_id is None


def test_local_route() -> None:
    r = route(type=RouteType.LOCAL, dst_network_addr=V4("10.0.0.1"), dst_network_length=32)
    assert r.dst_subnet.num_addresses == 1


def test_port_route_without_router() -> None:
    # As MidoNet stores a port's own routes: they hang off the port only.
    assert route(router_id=None).router_id is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"next_hop_port_id": None}, "next_hop_port_id"),
        ({"type": RouteType.BLACKHOLE, "next_hop_port_id": None, "router_id": None}, "router_id"),
        ({"dst_network_length": 33}, "dst_network_length"),
        ({"src_network_length": -1}, "src_network_length"),
        ({"weight": -1}, "weight"),
        ({"next_hop_gateway": ipaddress.IPv6Address("::1")}, "next_hop_gateway"),
        ({"src_network_addr": ipaddress.IPv6Address("::")}, "dst_network_addr"),
    ],
)
def test_validation_names_the_field(violated: Violated, kwargs: dict[str, Any], field: str) -> None:
    assert violated(lambda: route(**kwargs)) == {field}


def test_ipv6_route() -> None:
    r = route(
        src_network_addr=ipaddress.IPv6Address("::"),
        dst_network_addr=ipaddress.IPv6Address("2001:db8::"),
        dst_network_length=64,
        next_hop_gateway=ipaddress.IPv6Address("2001:db8::1"),
    )
    assert r.dst_subnet.prefixlen == 64


def test_json_names_missing_destination() -> None:
    with pytest.raises(ValidationError) as e:
        Route.from_dict({"type": "BlackHole", "router_id": str(uuid.uuid4())})
    assert {v.field for v in e.value.violations} == {"dst_network_addr", "dst_network_length"}
