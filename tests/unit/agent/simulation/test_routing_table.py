"""The routing table: longest prefix with source matching, weights, ECMP by flow hash."""

from __future__ import annotations

import ipaddress
import uuid
from collections import Counter

import pytest

from midonet.agent.simulation.routing_table import (
    RoutingTable,
    lookup_route,
    published_routes,
    routing_table,
)
from midonet.agent.topology import Topology
from midonet.model import Port, PortType, Route, Router, RouteType

ROUTER = uuid.uuid4()


def ip(text: str) -> int:
    return int(ipaddress.ip_address(text))


def route(
    dst: str,
    *,
    src: str = "0.0.0.0/0",
    weight: int = 0,
    type: RouteType = RouteType.NORMAL,
    port: uuid.UUID | None = None,
) -> Route:
    d = ipaddress.ip_network(dst, strict=False)
    s = ipaddress.ip_network(src, strict=False)
    return Route(
        type=type,
        src_network_addr=s.network_address,
        src_network_length=s.prefixlen,
        dst_network_addr=d.network_address,
        dst_network_length=d.prefixlen,
        next_hop_port_id=port or uuid.uuid4(),
        weight=weight,
        router_id=ROUTER,
    )


def test_longest_prefix_wins() -> None:
    default, wide, narrow, host = (
        route("0.0.0.0/0"),
        route("10.0.0.0/8"),
        route("10.1.0.0/16"),
        route("10.1.2.3/32"),
    )
    table = RoutingTable.from_routes([default, wide, narrow, host])
    src = ip("192.168.0.1")
    assert table.lookup(src, ip("10.1.2.3")) is host
    assert table.lookup(src, ip("10.1.2.4")) is narrow
    assert table.lookup(src, ip("10.2.0.1")) is wide
    assert table.lookup(src, ip("11.0.0.1")) is default
    assert len(table) == 4


def test_no_route() -> None:
    table = RoutingTable.from_routes([route("10.0.0.0/8")])
    assert table.lookup(ip("1.1.1.1"), ip("11.0.0.1")) is None
    assert RoutingTable().lookup(0, ip("10.0.0.1")) is None
    decision = table.explain(ip("1.1.1.1"), ip("11.0.0.1"))
    assert decision.route is None
    assert decision.candidates == ()
    assert "no route" in decision.reason


def test_source_prefix_mismatch_falls_back_to_a_shorter_prefix() -> None:
    # The /24 only serves sources in 172.16.0.0/12: other sources take the /16.
    restricted = route("10.1.2.0/24", src="172.16.0.0/12")
    general = route("10.1.0.0/16")
    table = RoutingTable.from_routes([restricted, general])
    assert table.lookup(ip("172.16.5.5"), ip("10.1.2.9")) is restricted
    assert table.lookup(ip("192.168.1.1"), ip("10.1.2.9")) is general
    # Nothing shorter: no route at all.
    only = RoutingTable.from_routes([restricted])
    assert only.lookup(ip("192.168.1.1"), ip("10.1.2.9")) is None


def test_source_matching_applies_before_weights() -> None:
    # The cheaper route does not match the source, so the dearer one at the same
    # prefix wins rather than a shorter prefix.
    cheap = route("10.0.0.0/24", src="1.0.0.0/8", weight=10)
    dear = route("10.0.0.0/24", weight=50)
    fallback = route("0.0.0.0/0")
    table = RoutingTable.from_routes([cheap, dear, fallback])
    assert table.lookup(ip("1.2.3.4"), ip("10.0.0.1")) is cheap
    assert table.lookup(ip("2.2.3.4"), ip("10.0.0.1")) is dear


def test_lowest_weight_wins() -> None:
    heavy = route("10.0.0.0/24", weight=200)
    light = route("10.0.0.0/24", weight=100)
    table = RoutingTable.from_routes([heavy, light])
    for h in range(10):
        assert table.lookup(ip("1.1.1.1"), ip("10.0.0.7"), h) is light


def test_ecmp_spreads_by_flow_hash_and_is_stable() -> None:
    routes = [route("0.0.0.0/0", weight=5) for _ in range(4)]
    table = RoutingTable.from_routes([*routes, route("0.0.0.0/0", weight=6)])
    src, dst = ip("10.0.0.1"), ip("8.8.8.8")
    chosen = Counter(table.lookup(src, dst, hash(("tcp", src, p, dst, 80))) for p in range(4000))
    assert set(chosen) == set(routes)
    assert all(n > 500 for n in chosen.values())
    for h in (0, 1, 17, -3, 2**63 - 1):
        assert table.lookup(src, dst, h) is table.lookup(src, dst, h)


def test_ecmp_order_does_not_depend_on_insertion_order() -> None:
    routes = [route("10.0.0.0/8") for _ in range(3)]
    a = RoutingTable.from_routes(routes)
    b = RoutingTable.from_routes(reversed(routes))
    for h in range(12):
        assert a.lookup(1, ip("10.9.9.9"), h) is b.lookup(1, ip("10.9.9.9"), h)


def test_explain_agrees_with_lookup() -> None:
    routes = [route("10.0.0.0/16") for _ in range(3)]
    table = RoutingTable.from_routes([*routes, route("0.0.0.0/0")])
    for h in range(6):
        decision = table.explain(ip("1.1.1.1"), ip("10.0.3.3"), h)
        assert decision.route is table.lookup(ip("1.1.1.1"), ip("10.0.3.3"), h)
        assert decision.prefix_length == 16
        assert decision.candidates == tuple(sorted(routes, key=lambda r: r.id))
        assert decision.index == h % 3
        assert "ECMP" in decision.reason
    single = table.explain(ip("1.1.1.1"), ip("99.0.0.1"))
    assert single.prefix_length == 0
    assert single.reason == "longest matching prefix /0, weight 0"
    with pytest.raises(ValueError, match="IP version"):
        table.explain(0, 0, version=5)


def test_default_route_matches_everything_including_edges() -> None:
    default = route("0.0.0.0/0")
    table = RoutingTable.from_routes([default])
    for dst in ("0.0.0.0", "255.255.255.255", "127.0.0.1", "224.0.0.1"):
        assert table.lookup(ip("0.0.0.0"), ip(dst)) is default
        assert table.lookup(ip("255.255.255.255"), ip(dst)) is default


def test_host_routes_and_prefix_boundaries() -> None:
    top = route("255.255.255.255/32")
    bottom = route("0.0.0.0/32")
    block = route("10.0.0.0/31")
    table = RoutingTable.from_routes([top, bottom, block])
    assert table.lookup(0, ip("255.255.255.255")) is top
    assert table.lookup(0, ip("255.255.255.254")) is None
    assert table.lookup(0, 0) is bottom
    assert table.lookup(0, 1) is None
    assert table.lookup(0, ip("10.0.0.0")) is block
    assert table.lookup(0, ip("10.0.0.1")) is block
    assert table.lookup(0, ip("10.0.0.2")) is None
    assert table.lookup(0, ip("9.255.255.255")) is None


def test_host_bits_in_a_stored_prefix_are_ignored() -> None:
    r = Route(
        src_network_addr=ipaddress.IPv4Address("172.16.9.9"),
        src_network_length=16,
        dst_network_addr=ipaddress.IPv4Address("10.0.0.77"),
        dst_network_length=24,
        next_hop_port_id=uuid.uuid4(),
        router_id=ROUTER,
    )
    table = RoutingTable.from_routes([r])
    assert table.lookup(ip("172.16.0.1"), ip("10.0.0.1")) is r
    assert table.lookup(ip("172.17.0.1"), ip("10.0.0.1")) is None


def test_route_types_are_returned_as_they_are() -> None:
    black = route("10.0.0.0/8", type=RouteType.BLACKHOLE)
    reject = route("10.1.0.0/16", type=RouteType.REJECT)
    local = route("10.1.1.1/32", type=RouteType.LOCAL)
    table = RoutingTable.from_routes([black, reject, local])
    assert table.lookup(0, ip("10.9.0.1")) is black
    assert table.lookup(0, ip("10.1.9.1")) is reject
    assert table.lookup(0, ip("10.1.1.1")) is local


def test_ipv6_routes_are_indexed_apart_from_ipv4() -> None:
    v6_default = route("::/0", src="::/0")
    v6_net = route("2001:db8::/32", src="::/0")
    v4_default = route("0.0.0.0/0")
    table = RoutingTable.from_routes([v6_default, v6_net, v4_default])
    assert table.lookup6(ip("::1"), ip("2001:db8::5")) is v6_net
    assert table.lookup6(ip("::1"), ip("2001:db9::5")) is v6_default
    # The same ints looked up as IPv4 never see IPv6 routes.
    assert table.lookup(ip("0.0.0.1"), 5) is v4_default
    assert table.explain(1, ip("2001:db8::5"), version=6).route is v6_net


def _router_topology() -> tuple[Topology, dict[str, Route]]:
    router = Router(name="r")
    up = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        peer_id=uuid.uuid4(),
        port_address=ipaddress.IPv4Address("10.0.0.1"),
        network_length=24,
    )
    down = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        host_id=uuid.uuid4(),
        interface_name="tap0",
        admin_state_up=False,
        port_address=ipaddress.IPv4Address("10.0.1.1"),
        network_length=24,
    )

    def port_route(dst: str, port: Port) -> Route:
        d = ipaddress.ip_network(dst)
        return Route(
            dst_network_addr=d.network_address,
            dst_network_length=d.prefixlen,
            next_hop_port_id=port.id,
        )

    routes = {
        "up": port_route("10.0.0.0/24", up),
        "down": port_route("10.0.1.0/24", down),
        "static": Route(
            dst_network_addr=ipaddress.IPv4Address("0.0.0.0"),
            dst_network_length=0,
            next_hop_port_id=down.id,
            router_id=router.id,
        ),
    }
    topology = Topology.from_objects([router, up, down, *routes.values()])
    return topology, routes


def test_published_routes_follow_port_state_and_router_routes_always_count() -> None:
    topology, routes = _router_topology()
    router_id = next(iter(topology.ids(Router)))
    published = set(published_routes(topology, router_id))
    assert published == {routes["up"], routes["static"]}
    table = routing_table(topology, router_id)
    assert routing_table(topology, router_id) is table  # cached in the snapshot
    assert table.lookup(0, ip("10.0.1.5")) is routes["static"]
    assert table.lookup(0, ip("10.0.0.5")) is routes["up"]
    assert lookup_route(topology, router_id, 0, ip("10.0.0.5"), 3) is routes["up"]
    # A new snapshot builds a new table that sees the change.
    newer = topology.with_changes(deletions=[(Route, routes["static"].id)])
    assert routing_table(newer, router_id).lookup(0, ip("10.0.1.5")) is None
