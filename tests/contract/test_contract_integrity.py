"""Contract: MidoNet's bindings on the real model, and derived router-port routes."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from midonet.errors import ReferenceConflict
from midonet.model import (
    Bridge,
    Chain,
    Host,
    Port,
    PortGroup,
    PortType,
    Route,
    Router,
    RouteType,
    Rule,
    RuleType,
)
from midonet.model.load_balancer import HealthMonitor, LoadBalancer, Pool, PoolMember, Vip
from midonet.store import Create, Store

IP = ipaddress.IPv4Address


def router_port(router: Router, address: str | None = None, net: str | None = None) -> Port:
    if address is None:
        return Port(type=PortType.ROUTER, router_id=router.id)
    network = ipaddress.IPv4Network(net or f"{address}/24", strict=False)
    return Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=IP(address),
        network_address=network.network_address,
        network_length=network.prefixlen,
    )


def routes_of(store: Store, port_id: uuid.UUID) -> set[tuple[RouteType, str]]:
    port = store.get(Port, port_id).obj
    return {
        (r.type, f"{r.dst_network_addr}/{r.dst_network_length}")
        for r in store.list(Route, ids=port.route_ids)
    }


def test_router_port_with_address_gets_local_and_subnet_routes(store: Store) -> None:
    router = Router()
    store.create(router)
    port = router_port(router, "10.0.0.1", "10.0.0.0/24")
    store.create(port)
    assert routes_of(store, port.id) == {
        (RouteType.LOCAL, "10.0.0.1/32"),
        (RouteType.NORMAL, "10.0.0.0/24"),
    }
    local = next(r for r in store.list(Route) if r.type is RouteType.LOCAL)
    assert (local.src_network_addr, local.src_network_length, local.weight) == (IP("0.0.0.0"), 0, 0)
    assert local.next_hop_port_id == port.id and local.next_hop_gateway is None

    # A static route the operator adds through the port survives address changes.
    static = Route(
        dst_network_addr=IP("192.168.0.0"),
        dst_network_length=16,
        next_hop_port_id=port.id,
        next_hop_gateway=IP("10.0.0.254"),
        router_id=router.id,
    )
    store.create(static)
    current = store.get(Port, port.id).obj
    store.update(
        current.replace(
            port_address=IP("10.1.0.1"),
            network_address=IP("10.1.0.0"),
            network_length=16,
            port_subnets=(),
        )
    )
    assert routes_of(store, port.id) == {
        (RouteType.LOCAL, "10.1.0.1/32"),
        (RouteType.NORMAL, "10.1.0.0/16"),
        (RouteType.NORMAL, "192.168.0.0/16"),
    }
    assert len(store.list(Route)) == 3  # the old derived routes are gone

    store.delete(Port, port.id)
    assert store.list(Route) == []  # routes via the port go with it
    assert store.get(Router, router.id).obj.route_ids == ()


def test_ports_without_address_get_no_routes(store: Store) -> None:
    router, bridge = Router(), Bridge()
    store.commit([Create(router), Create(bridge)])
    store.commit(
        [Create(router_port(router)), Create(Port(type=PortType.BRIDGE, bridge_id=bridge.id))]
    )
    assert store.list(Route) == []


def test_delete_router_takes_its_ports_and_routes_and_unlinks_peers(store: Store) -> None:
    router, bridge = Router(), Bridge()
    store.commit([Create(router), Create(bridge)])
    rport = router_port(router, "10.0.0.1")
    bport = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    store.commit([Create(rport), Create(bport.replace(peer_id=rport.id))])
    assert store.get(Port, rport.id).obj.peer_id == bport.id  # back-reference
    static = Route(
        type=RouteType.BLACKHOLE, dst_network_addr=IP("8.8.8.0"), dst_network_length=24,
        router_id=router.id,
    )  # fmt: skip
    store.create(static)

    store.delete(Router, router.id)
    assert store.list(Port) == [store.get(Port, bport.id).obj]
    assert store.get(Port, bport.id).obj.peer_id is None
    assert store.list(Route) == []
    assert store.get(Bridge, bridge.id).obj.port_ids == (bport.id,)


def test_delete_port_unlinks_peer_drops_routes_and_leaves_groups(store: Store) -> None:
    router, bridge, group, chain = Router(), Bridge(), PortGroup(name="g"), Chain(name="in")
    host = Host(name="h")
    store.commit([Create(router), Create(bridge), Create(group), Create(chain), Create(host)])
    rport = router_port(router, "10.0.0.1").replace(
        port_group_ids=(group.id,), inbound_filter_id=chain.id
    )
    store.create(rport)
    bport = Port(
        type=PortType.BRIDGE, bridge_id=bridge.id, peer_id=rport.id, port_group_ids=(group.id,)
    )
    exterior = Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=host.id,
                    interface_name="tap0")  # fmt: skip
    store.commit([Create(bport), Create(exterior)])
    assert set(store.get(PortGroup, group.id).obj.port_ids) == {rport.id, bport.id}
    assert store.get(Chain, chain.id).obj.port_inbound_ids == (rport.id,)
    assert store.get(Host, host.id).obj.port_ids == (exterior.id,)

    store.delete(Port, rport.id)
    assert store.get(Port, bport.id).obj.peer_id is None
    assert store.list(Route) == []
    assert store.get(PortGroup, group.id).obj.port_ids == (bport.id,)
    assert store.get(Chain, chain.id).obj.port_inbound_ids == ()
    assert store.get(Router, router.id).obj.port_ids == ()

    store.delete(Port, exterior.id)
    assert store.get(Host, host.id).obj.port_ids == ()


def test_delete_chain_clears_filters_and_removes_jumps_to_it(store: Store) -> None:
    target, caller = Chain(name="target"), Chain(name="caller")
    store.commit([Create(target), Create(caller)])
    router = Router(inbound_filter_id=target.id)
    bridge = Bridge(outbound_filter_id=target.id)
    store.commit([Create(router), Create(bridge)])
    port = router_port(router).replace(outbound_filter_id=target.id)
    store.create(port)
    own_rule = Rule(type=RuleType.DROP, chain_id=target.id)
    jump = Rule(type=RuleType.JUMP, chain_id=caller.id, jump_chain_id=target.id)
    other_rule = Rule(type=RuleType.ACCEPT, chain_id=caller.id)
    store.commit([Create(own_rule), Create(jump), Create(other_rule)])
    assert store.get(Chain, target.id).obj.jump_rule_ids == (jump.id,)
    assert store.get(Chain, caller.id).obj.rule_ids == (jump.id, other_rule.id)

    store.delete(Chain, target.id)
    assert store.get(Router, router.id).obj.inbound_filter_id is None
    assert store.get(Bridge, bridge.id).obj.outbound_filter_id is None
    assert store.get(Port, port.id).obj.outbound_filter_id is None
    assert not store.exists(Rule, own_rule.id)
    assert not store.exists(Rule, jump.id)
    assert store.get(Chain, caller.id).obj.rule_ids == (other_rule.id,)


def test_delete_pool_takes_members_and_vips(store: Store) -> None:
    router = Router()
    store.create(router)
    lb = LoadBalancer(router_id=router.id)
    monitor = HealthMonitor(delay=5, timeout=2, max_retries=3)
    store.commit([Create(lb), Create(monitor)])
    pool = Pool(load_balancer_id=lb.id, health_monitor_id=monitor.id)
    store.create(pool)
    members = [PoolMember(pool_id=pool.id, address=IP(f"10.0.0.{i}"), protocol_port=80)
               for i in (1, 2)]  # fmt: skip
    vip = Vip(pool_id=pool.id, load_balancer_id=lb.id, address=IP("1.1.1.1"), protocol_port=80)
    store.commit([*(Create(m) for m in members), Create(vip)])
    assert len(store.get(Pool, pool.id).obj.pool_member_ids) == 2

    store.delete(Pool, pool.id)
    assert store.list(PoolMember) == [] and store.list(Vip) == []
    current_lb = store.get(LoadBalancer, lb.id).obj
    assert (current_lb.pool_ids, current_lb.vip_ids) == ((), ())
    assert store.get(HealthMonitor, monitor.id).obj.pool_ids == ()


def test_router_with_a_load_balancer_cannot_be_deleted(store: Store) -> None:
    router = Router()
    store.create(router)
    lb = LoadBalancer(router_id=router.id)
    store.create(lb)
    with pytest.raises(ReferenceConflict, match="load_balancer_id"):
        store.delete(Router, router.id)
    assert store.exists(Router, router.id)
    store.delete(LoadBalancer, lb.id)
    store.delete(Router, router.id)


def test_missing_reference_is_a_clear_error(store: Store) -> None:
    ghost = uuid.uuid4()
    with pytest.raises(ReferenceConflict) as e:
        store.create(Port(type=PortType.ROUTER, router_id=ghost))
    assert f"router_id refers to Router {ghost}, which does not exist" in str(e.value)
    assert store.list(Port) == []


def test_a_port_links_to_one_peer_only(store: Store) -> None:
    router = Router()
    store.create(router)
    a, b, c = router_port(router), router_port(router), router_port(router)
    store.commit([Create(a), Create(b.replace(peer_id=a.id))])
    with pytest.raises(ReferenceConflict, match="peer_id is already"):
        store.create(c.replace(peer_id=a.id))
