"""JSON round trip for every kind: `from_dict(to_dict(x)) == x`."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.errors import ValidationError
from midonet.model import (
    MODEL_TYPES,
    BgpNetwork,
    BgpPeer,
    Bridge,
    Chain,
    Condition,
    DeviceType,
    FlowAction,
    FragmentPolicy,
    HealthMonitor,
    Host,
    HostInterface,
    IPAddrGroup,
    LoadBalancer,
    Mirror,
    ModelObject,
    NatTarget,
    Pool,
    PoolMember,
    Port,
    PortGroup,
    PortRange,
    PortType,
    QosPolicy,
    QosRuleBandwidthLimit,
    QosRuleDscp,
    Route,
    Router,
    RouteType,
    Rule,
    RuleType,
    SessionPersistence,
    SystemState,
    TraceRequest,
    TunnelZone,
    TunnelZoneType,
    Vip,
    from_json,
    to_json,
)

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
ID = uuid.uuid4


def samples() -> list[ModelObject]:
    """One filled-in object per kind."""
    cond = Condition(
        in_port_ids=(ID(),),
        inv_in_ports=True,
        dl_src="02:00:00:00:00:01",
        dl_src_mask=0xFFFF_FF00_0000,
        nw_src_address=V4("10.0.0.0"),
        nw_src_length=8,
        nw_dst_address=V6("2001:db8::"),
        nw_dst_length=32,
        tp_dst=PortRange(start=80, end=90),
        icmp_data_src_ip_address=V4("192.0.2.1"),
        vlan=7,
    )
    return [
        Router(name="r", tenant_id="t", as_number=64512, port_ids=(ID(),), route_ids=(ID(),)),
        Bridge(name="b", inbound_filter_id=ID(), inbound_mirror_ids=(ID(),), vni=10),
        Port(type=PortType.BRIDGE, bridge_id=ID(), vlan_id=3, host_id=ID(), interface_name="t0"),
        Port(
            type=PortType.ROUTER,
            router_id=ID(),
            port_address=V4("10.0.0.1"),
            network_length=24,
            port_subnets=(ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/64")),
            peer_id=ID(),
        ),
        Route(
            type=RouteType.NORMAL,
            dst_network_addr=V4("0.0.0.0"),
            dst_network_length=0,
            next_hop_port_id=ID(),
            next_hop_gateway=V4("192.0.2.1"),
            weight=100,
            learned=True,
        ),
        Chain(name="c", rule_ids=(ID(), ID()), jump_rule_ids=(ID(),)),
        Rule(type=RuleType.DROP, chain_id=ID(), condition=cond, meter_name="m"),
        Rule(type=RuleType.JUMP, jump_chain_id=ID(), jump_chain_name="other"),
        Rule(
            type=RuleType.SNAT,
            flow_action=FlowAction.ACCEPT,
            nat_targets=(
                NatTarget(
                    address_from=V4("203.0.113.1"),
                    address_to=V4("203.0.113.9"),
                    port_from=1024,
                    port_to=65535,
                ),
            ),
        ),
        Rule(type=RuleType.REV_DNAT, flow_action=FlowAction.RETURN),
        PortGroup(name="pg", stateful=True, port_ids=(ID(),)),
        IPAddrGroup(name="ipg", addresses=(V4("10.0.0.1"), V6("::1"))),
        Host(
            name="h",
            addresses=(V4("192.0.2.10"),),
            interfaces=(HostInterface(name="eth0", mac="02:00:00:00:00:09", mtu=1500),),
            alive=True,
            tunnel_zone_ids=(ID(),),
        ),
        TunnelZone(name="tz", type=TunnelZoneType.VXLAN).with_member(ID(), V4("192.0.2.10")),
        LoadBalancer(router_id=ID(), pool_ids=(ID(),)),
        Pool(load_balancer_id=ID(), health_monitor_id=ID()),
        PoolMember(pool_id=ID(), address=V4("10.0.0.5"), protocol_port=8080, weight=0),
        Vip(
            pool_id=ID(),
            address=V4("203.0.113.5"),
            protocol_port=80,
            session_persistence=SessionPersistence.SOURCE_IP,
        ),
        HealthMonitor(delay=5, timeout=5, max_retries=2, pool_ids=(ID(),)),
        Mirror(to_port_id=ID(), conditions=(cond, Condition())),
        BgpPeer(as_number=65000, address=V4("192.0.2.1"), hold_time=90, password="s"),
        BgpNetwork(subnet_address=V6("2001:db8::"), subnet_length=48, router_id=ID()),
        QosPolicy(name="q", shared=True, bandwidth_limit_rule_ids=(ID(),)),
        QosRuleBandwidthLimit(max_kbps=100, max_burst_kbps=10, policy_id=ID()),
        QosRuleDscp(dscp_mark=10, policy_id=ID()),
        TraceRequest.from_device(DeviceType.ROUTER, ID(), name="tr", condition=cond, limit=10),
        SystemState(),
    ]


def test_samples_cover_every_kind() -> None:
    ours = {k for k, c in MODEL_TYPES.items() if c.__module__.startswith("midonet.model.")}
    assert {type(s).KIND for s in samples()} == ours


@pytest.mark.parametrize("obj", samples(), ids=lambda o: type(o).KIND)
def test_round_trip(obj: ModelObject) -> None:
    text = json.dumps(obj.to_dict())  # plain JSON, no custom encoder needed
    again = type(obj).from_dict(json.loads(text))
    assert again == obj
    assert again.to_dict() == obj.to_dict()


@pytest.mark.parametrize("obj", samples(), ids=lambda o: type(o).KIND)
def test_unknown_fields_are_named(obj: ModelObject) -> None:
    data: dict[str, Any] = {**obj.to_dict(), "bogus": 1}
    with pytest.raises(ValidationError, match="bogus: unknown field"):
        type(obj).from_dict(data)


# --- property tests ------------------------------------------------------------------

ports = st.integers(min_value=0, max_value=65535)
ranges = st.tuples(ports, ports).map(lambda p: PortRange(start=min(p), end=max(p)))
v4 = st.integers(min_value=0, max_value=2**32 - 1).map(V4)
v6 = st.integers(min_value=0, max_value=2**128 - 1).map(V6)
uuids = st.uuids()
macs = st.integers(min_value=0, max_value=2**48 - 1).map(lambda n: n.to_bytes(6, "big").hex(":"))


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    kw: dict[str, Any] = {}
    for flag in ("cond_invert", "inv_nw_src", "inv_nw_dst", "inv_dl_src", "inv_tp_dst"):
        kw[flag] = draw(st.booleans())
    kw["in_port_ids"] = tuple(draw(st.lists(uuids, max_size=3, unique=True)))
    kw["port_group_id"] = draw(st.none() | uuids)
    kw["ip_addr_group_dst_id"] = draw(st.none() | uuids)
    kw["traversed_device"] = draw(st.none() | uuids)
    kw["dl_type"] = draw(st.none() | st.integers(min_value=0x600, max_value=0xFFFF))
    kw["dl_src"] = draw(st.none() | macs)
    kw["dl_src_mask"] = draw(st.integers(min_value=0, max_value=2**48 - 1))
    kw["nw_proto"] = draw(st.none() | st.integers(min_value=0, max_value=255))
    kw["nw_tos"] = draw(st.none() | st.integers(min_value=0, max_value=255))
    src = draw(st.none() | v4 | v6)
    kw["nw_src_address"] = src
    if src is not None:
        kw["nw_src_length"] = draw(st.integers(min_value=0, max_value=src.max_prefixlen))
    kw["tp_src"] = draw(st.none() | ranges)
    kw["tp_dst"] = draw(st.none() | ranges)
    if draw(st.booleans()):
        kw["vlan"] = draw(st.integers(min_value=0, max_value=4095))
    else:
        kw["no_vlan"] = draw(st.booleans())
    kw["match_forward_flow"] = draw(st.booleans())
    kw["match_return_flow"] = not kw["match_forward_flow"] and draw(st.booleans())
    allowed = (
        [FragmentPolicy.HEADER, FragmentPolicy.UNFRAGMENTED]
        if kw["tp_src"] or kw["tp_dst"]
        else list(FragmentPolicy)
    )
    kw["fragment_policy"] = draw(st.none() | st.sampled_from(allowed))
    return Condition(**kw)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    type_ = draw(st.sampled_from(list(RuleType)))
    kw: dict[str, Any] = {"type": type_, "chain_id": draw(st.none() | uuids)}
    cond = draw(conditions())
    if type_ is RuleType.JUMP:
        kw["jump_chain_id"] = draw(uuids.filter(lambda u: u != kw["chain_id"]))
    if type_.is_nat:
        kw["flow_action"] = draw(st.sampled_from(list(FlowAction)))
    if type_.is_forward_nat:
        a, b = sorted(draw(st.lists(v4, min_size=2, max_size=2)))
        p, q = sorted(draw(st.lists(ports, min_size=2, max_size=2)))
        kw["nat_targets"] = (NatTarget(address_from=a, address_to=b, port_from=p, port_to=q),)
        floating = a == b and p == q == 0 and not cond.has_l4_fields
        if not floating:
            cond = Condition(**{**_fields(cond), "fragment_policy": None})
    kw["condition"] = cond
    return Rule(**kw)


def _fields(c: Condition) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Condition.__dataclass_fields__}


@given(conditions())
def test_condition_round_trip(cond: Condition) -> None:
    assert from_json(Condition, json.loads(json.dumps(to_json(cond)))) == cond


@given(rules())
def test_rule_round_trip(rule: Rule) -> None:
    assert rule.condition.fragment_policy is not None
    assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


@given(
    address=v4,
    length=st.integers(min_value=0, max_value=32),
    weight=st.integers(min_value=0, max_value=2**31),
    gateway=st.none() | v4,
)
def test_route_round_trip(address: V4, length: int, weight: int, gateway: V4 | None) -> None:
    route = Route(
        dst_network_addr=address,
        dst_network_length=length,
        next_hop_port_id=uuid.uuid4(),
        next_hop_gateway=gateway,
        weight=weight,
    )
    assert Route.from_dict(route.to_dict()) == route
    assert address in route.dst_subnet


@given(address=v4, length=st.integers(min_value=0, max_value=32), mac=st.none() | macs)
def test_router_port_round_trip(address: V4, length: int, mac: str | None) -> None:
    if mac is not None and int(mac.replace(":", ""), 16) & (1 << 40):
        mac = None  # multicast MACs are refused, tested elsewhere
    port = Port(
        type=PortType.ROUTER,
        router_id=uuid.uuid4(),
        port_address=address,
        network_length=length,
        port_mac=mac,
    )
    assert port.network is not None and address in port.network
    assert Port.from_dict(port.to_dict()) == port
