"""The tags a topology change invalidates: the objects changed and what contains them."""

from __future__ import annotations

import ipaddress
import uuid

from midonet.agent.topology import Topology
from midonet.agent.topology.invalidation import affected
from midonet.model import (
    Bridge,
    Chain,
    Condition,
    HealthMonitor,
    IPAddrGroup,
    LoadBalancer,
    Mirror,
    ModelObject,
    Pool,
    PoolMember,
    Port,
    PortGroup,
    PortType,
    Route,
    Router,
    Rule,
    RuleType,
    Vip,
)


def changed(
    objects: list[ModelObject], old: ModelObject | None, new: ModelObject | None
) -> set[uuid.UUID]:
    before = Topology.from_objects(objects)
    upserts = [new] if new is not None else []
    deletions = [(old.KIND, old.id)] if new is None and old is not None else []
    after = before.with_changes(upserts, deletions)
    return affected([(old, new)], before, after)


def test_rule_reaches_its_chain_the_filter_users_and_jumping_chains() -> None:
    bridge_id, router_id, port_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    caller_id, target_id, jump_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    target = Chain(
        id=target_id,
        bridge_inbound_ids=(bridge_id,),
        port_outbound_ids=(port_id,),
        jump_rule_ids=(jump_id,),
    )
    caller = Chain(id=caller_id, router_inbound_ids=(router_id,), rule_ids=(jump_id,))
    jump = Rule(id=jump_id, type=RuleType.JUMP, chain_id=caller_id, jump_chain_id=target_id)
    port = Port(id=port_id, type=PortType.BRIDGE, bridge_id=uuid.uuid4())
    rule = Rule(type=RuleType.DROP, chain_id=target_id)
    objects: list[ModelObject] = [target, caller, jump, port, rule]
    tags = changed(objects, rule, rule.replace(type=RuleType.ACCEPT))
    assert tags == {rule.id, target_id, bridge_id, port_id, caller_id, router_id}
    # The port was reached through its filter: its bridge is not invalidated.
    assert port.bridge_id not in tags


def test_a_rule_moved_between_chains_touches_both() -> None:
    a, b = Chain(), Chain()
    rule = Rule(type=RuleType.DROP, chain_id=a.id)
    assert changed([a, b, rule], rule, rule.replace(chain_id=b.id)) == {rule.id, a.id, b.id}


def test_deleted_rule_still_reaches_its_chain() -> None:
    chain = Chain()
    rule = Rule(type=RuleType.DROP, chain_id=chain.id)
    assert changed([chain, rule], rule, None) == {rule.id, chain.id}


def test_route_reaches_its_router_and_its_next_hop_ports_router() -> None:
    router = Router()
    port = Port(type=PortType.ROUTER, router_id=router.id)
    port_route = Route(
        dst_network_addr=ipaddress.IPv4Address("10.0.0.0"),
        dst_network_length=24,
        next_hop_port_id=port.id,
    )
    assert changed([router, port], None, port_route) == {port_route.id, router.id}
    other = uuid.uuid4()
    static = port_route.replace(router_id=other)
    assert changed([router, port], None, static) == {static.id, router.id, other}


def test_port_reaches_its_device() -> None:
    bridge = Bridge()
    port = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    assert changed([bridge], None, port) == {port.id, bridge.id}
    assert changed([bridge, port], port, None) == {port.id, bridge.id}


def test_mirror_reaches_where_it_is_applied() -> None:
    bridge_id, port_id = uuid.uuid4(), uuid.uuid4()
    mirror = Mirror(
        to_port_id=uuid.uuid4(),
        bridge_inbound_ids=(bridge_id,),
        port_post_in_filter_ids=(port_id,),
    )
    assert changed([], None, mirror) == {mirror.id, bridge_id, port_id}


def test_load_balancing_objects_reach_the_router() -> None:
    router = Router()
    lb = LoadBalancer(router_id=router.id)
    pool = Pool(load_balancer_id=lb.id)
    member = PoolMember(
        pool_id=pool.id, address=ipaddress.IPv4Address("10.0.0.5"), protocol_port=80
    )
    vip = Vip(
        load_balancer_id=lb.id,
        pool_id=pool.id,
        address=ipaddress.IPv4Address("1.1.1.1"),
        protocol_port=80,
    )
    monitor = HealthMonitor(delay=1, timeout=1, max_retries=1, pool_ids=(pool.id,))
    objects: list[ModelObject] = [router, lb, pool, member, vip, monitor]
    expected = {pool.id, lb.id, router.id}
    assert changed(objects, member, member.replace(weight=5)) == {member.id, *expected}
    assert changed(objects, vip, vip.replace(protocol_port=81)) == {vip.id, lb.id, router.id}
    assert changed(objects, monitor, monitor.replace(delay=2)) == {monitor.id, *expected}


def test_groups_reach_the_chains_matching_on_them() -> None:
    group, addresses = PortGroup(), IPAddrGroup(name="web")
    chain_a, chain_b, chain_c = Chain(), Chain(), Chain()
    by_ports = Rule(
        type=RuleType.DROP, chain_id=chain_a.id, condition=Condition(in_port_group_id=group.id)
    )
    by_ips = Rule(
        type=RuleType.DROP,
        chain_id=chain_b.id,
        condition=Condition(ip_addr_group_dst_id=addresses.id),
    )
    unrelated = Rule(type=RuleType.DROP, chain_id=chain_c.id)
    objects: list[ModelObject] = [group, addresses, chain_a, chain_b, chain_c]
    objects += [by_ports, by_ips, unrelated]
    assert changed(objects, group, group.replace(port_ids=(uuid.uuid4(),))) == {
        group.id,
        chain_a.id,
    }
    assert changed(objects, addresses, addresses.replace(name="www")) == {
        addresses.id,
        chain_b.id,
    }


def test_jump_cycles_terminate() -> None:
    a_id, b_id = uuid.uuid4(), uuid.uuid4()
    a_to_b = Rule(type=RuleType.JUMP, chain_id=a_id, jump_chain_id=b_id)
    b_to_a = Rule(type=RuleType.JUMP, chain_id=b_id, jump_chain_id=a_id)
    a = Chain(id=a_id, rule_ids=(a_to_b.id,), jump_rule_ids=(b_to_a.id,))
    b = Chain(id=b_id, rule_ids=(b_to_a.id,), jump_rule_ids=(a_to_b.id,))
    rule = Rule(type=RuleType.DROP, chain_id=a_id)
    assert changed([a, b, a_to_b, b_to_a, rule], None, rule) == {rule.id, a_id, b_id}
