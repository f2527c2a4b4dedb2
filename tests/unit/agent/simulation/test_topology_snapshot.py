"""The immutable topology snapshot: kinds, copy-on-write changes, derived indexes."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from midonet.agent.topology import MissingObject, Topology
from midonet.model import Bridge, Chain, Port, PortType, Route, Router, RouteType, Rule, RuleType


def _router_with_port() -> tuple[Router, Port]:
    router = Router(name="r")
    port = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=ipaddress.IPv4Address("10.0.0.1"),
        network_length=24,
        port_mac="ac:ca:ba:00:00:01",
    )
    return router, port


def test_typed_accessors_and_missing_objects() -> None:
    router, port = _router_with_port()
    topo = Topology.from_objects([router, port])
    assert topo.router(router.id) is router
    assert topo.port(port.id) is port
    assert topo.get(Bridge, router.id) is None
    assert topo.get(Port, None) is None
    with pytest.raises(MissingObject, match=r"Bridge .* is not in the topology"):
        topo.bridge(router.id)
    assert len(topo) == 2
    assert router in topo


def test_with_changes_copies_only_touched_kinds_and_keeps_the_original() -> None:
    router, port = _router_with_port()
    bridge = Bridge(name="b")
    topo = Topology.from_objects([router, port, bridge])
    renamed = router.replace(name="r2")
    changed = topo.with_changes([renamed], [(Bridge, bridge.id), ("Port", uuid.uuid4())])
    assert topo.router(router.id).name == "r"
    assert changed.router(router.id).name == "r2"
    assert changed.get(Bridge, bridge.id) is None
    assert topo.bridge(bridge.id) is bridge
    assert changed.port(port.id) is port
    assert changed.count(Bridge) == 0


def test_routes_of_includes_port_routes_of_the_router() -> None:
    router, port = _router_with_port()
    own = Route(
        router_id=router.id,
        dst_network_addr=ipaddress.IPv4Address("0.0.0.0"),
        dst_network_length=0,
        next_hop_port_id=port.id,
    )
    via_port = Route(
        type=RouteType.NORMAL,
        dst_network_addr=ipaddress.IPv4Address("10.0.0.0"),
        dst_network_length=24,
        next_hop_port_id=port.id,
    )
    other = Route(
        router_id=uuid.uuid4(),
        type=RouteType.BLACKHOLE,
        dst_network_addr=ipaddress.IPv4Address("1.0.0.0"),
        dst_network_length=8,
    )
    topo = Topology.from_objects([router, port, own, via_port, other])
    assert set(topo.routes_of(router.id)) == {own, via_port}
    assert topo.routes_of(uuid.uuid4()) == ()


def test_derived_indexes_are_cached_per_snapshot() -> None:
    router, port = _router_with_port()
    topo = Topology.from_objects([router, port])
    assert topo.router_port_by_mac(router.id) == {"ac:ca:ba:00:00:01": port}
    assert topo.router_port_by_address(router.id) == {0x0A000001: port}
    assert topo.ports_of(router.id) is topo.ports_of(router.id)
    moved = port.replace(port_mac="ac:ca:ba:00:00:02")
    assert set(topo.with_changes([moved]).router_port_by_mac(router.id)) == {"ac:ca:ba:00:00:02"}


def test_bridge_exterior_and_vlan_ports() -> None:
    bridge = Bridge()
    ext = Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=uuid.uuid4(), interface_name="e")
    peer = Port(type=PortType.BRIDGE, bridge_id=uuid.uuid4())
    vlan = Port(type=PortType.BRIDGE, bridge_id=bridge.id, vlan_id=7, peer_id=peer.id)
    topo = Topology.from_objects([bridge, ext, vlan, peer])
    assert topo.exterior_ports_of(bridge.id) == (ext,)
    assert dict(topo.vlan_ports_of(bridge.id)) == {7: vlan}


def test_rules_of_follows_chain_order_and_memo_computes_once() -> None:
    chain = Chain()
    first = Rule(type=RuleType.ACCEPT, chain_id=chain.id)
    second = Rule(type=RuleType.DROP, chain_id=chain.id)
    chain = chain.replace(rule_ids=(second.id, first.id))
    topo = Topology.from_objects([chain, first, second])
    assert topo.rules_of(chain.id) == (second, first)
    calls: list[int] = []
    assert topo.memo(("test", 1), lambda: calls.append(1) or 5) == 5
    assert topo.memo(("test", 1), lambda: calls.append(1) or 6) == 5
    assert calls == [1]
