"""The other kinds: devices, groups, hosts, tunnel zones, load balancing, mirrors, BGP,
QoS, trace requests and the system state."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from midonet.errors import ValidationError
from midonet.model import (
    SYSTEM_STATE_ID,
    Availability,
    BgpNetwork,
    BgpPeer,
    Bridge,
    Condition,
    DeviceType,
    FragmentPolicy,
    HealthMonitor,
    Host,
    HostInterface,
    IPAddrGroup,
    LBStatus,
    LoadBalancer,
    Mirror,
    Pool,
    PoolLBMethod,
    PoolMember,
    PoolProtocol,
    PortGroup,
    PortRange,
    QosPolicy,
    QosRuleBandwidthLimit,
    QosRuleDscp,
    Router,
    SessionPersistence,
    SystemState,
    TraceRequest,
    TunnelZone,
    TunnelZoneHost,
    TunnelZoneType,
    Vip,
)
from midonet.model.trace_request import MAX_LIMIT

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
Violated = Callable[[Callable[[], Any]], set[str]]


# --- routers and bridges -------------------------------------------------------------


def test_router_defaults_and_as_number(violated: Violated) -> None:
    r = Router(name="r1")
    assert r.admin_state_up and r.as_number is None and r.port_ids == ()
    assert Router(as_number=64512).as_number == 64512
    assert violated(lambda: Router(as_number=0)) == {"as_number"}
    assert violated(lambda: Router(as_number=1 << 32)) == {"as_number"}
    assert violated(lambda: Router(name="n" * 256)) == {"name"}


def test_bridge(violated: Violated) -> None:
    b = Bridge(name="b", vni=5000, tunnel_key=3)
    assert b.admin_state_up and b.qos_policy_id is None
    assert violated(lambda: Bridge(vni=1 << 24)) == {"vni"}
    assert violated(lambda: Bridge(tunnel_key=-1)) == {"tunnel_key"}
    assert violated(lambda: Bridge(name="n" * 256)) == {"name"}


# --- groups --------------------------------------------------------------------------


def test_port_group() -> None:
    assert not PortGroup(name="pg").stateful
    assert PortGroup(name="pg", stateful=True).stateful


def test_ip_addr_group(violated: Violated) -> None:
    g = IPAddrGroup(name="g", addresses=(V4("10.0.0.1"), V6("2001:db8::1")))
    assert V6("2001:db8::1") in g and V4("10.0.0.2") not in g
    assert violated(lambda: IPAddrGroup(name="")) == {"name"}
    assert violated(lambda: IPAddrGroup(name="g", addresses=(V4("1.1.1.1"),) * 2)) == {"addresses"}
    with pytest.raises(ValidationError, match="name: is required"):
        IPAddrGroup.from_dict({})


# --- hosts ---------------------------------------------------------------------------


def test_host_defaults_follow_midonet(violated: Violated) -> None:
    h = Host(name="h")
    assert (h.flooding_proxy_weight, h.container_weight, h.container_limit) == (1, 1, -1)
    assert not h.alive
    assert violated(lambda: Host(flooding_proxy_weight=-1)) == {"flooding_proxy_weight"}
    assert violated(lambda: Host(flooding_proxy_weight=65536)) == {"flooding_proxy_weight"}
    assert violated(lambda: Host(container_weight=-1)) == {"container_weight"}
    assert violated(lambda: Host(container_limit=-2)) == {"container_limit"}


def test_host_interfaces(violated: Violated) -> None:
    eth0 = HostInterface(
        name="eth0", mac="02-00-00-00-00-01", mtu=1500, addresses=(V4("192.0.2.1"),), up=True
    )
    h = Host(interfaces=(eth0,), addresses=(V4("192.0.2.1"),), alive=True)
    assert h.interface("eth0") == eth0 and h.interface("eth1") is None
    assert eth0.mac == "02:00:00:00:00:01"
    assert eth0.status == 1
    assert violated(lambda: HostInterface(name="x", mac="bad")) == {"mac"}
    assert violated(lambda: HostInterface(name="", mtu=-1)) == {"name", "mtu"}
    assert violated(lambda: Host(interfaces=(eth0, eth0))) == {"interfaces"}


# --- tunnel zones --------------------------------------------------------------------


def test_tunnel_zone_members() -> None:
    h1, h2 = uuid.uuid4(), uuid.uuid4()
    tz = TunnelZone(name="tz", type=TunnelZoneType.VXLAN)
    tz = tz.with_member(h1, V4("192.0.2.1")).with_member(h2, V4("192.0.2.2"))
    assert tz.host_ids == (h1, h2)
    assert tz.address_of(h2) == V4("192.0.2.2")
    tz = tz.with_member(h1, V4("192.0.2.9"))
    assert tz.host_ids == (h1, h2) and tz.address_of(h1) == V4("192.0.2.9")
    tz = tz.without_member(h1)
    assert tz.host_ids == (h2,) and tz.address_of(h1) is None


def test_store_clearing_a_host_drops_its_address() -> None:
    h1, h2 = uuid.uuid4(), uuid.uuid4()
    tz = TunnelZone(name="tz", type=TunnelZoneType.GRE)
    tz = tz.with_member(h1, V4("192.0.2.1")).with_member(h2, V4("192.0.2.2"))
    cleared = tz.replace(host_ids=(h2,))  # what Host.tunnel_zone_ids CLEAR does
    assert [m.host_id for m in cleared.hosts] == [h2]


def test_tunnel_zone_validation(violated: Violated) -> None:
    h = uuid.uuid4()
    assert violated(lambda: TunnelZone(name="", type=TunnelZoneType.GRE)) == {"name"}
    assert violated(lambda: TunnelZone(name="tz", type=TunnelZoneType.GRE, host_ids=(h,))) == {
        "hosts"
    }
    member = TunnelZoneHost(host_id=h, ip_address=V6("2001:db8::1"))
    assert violated(
        lambda: TunnelZone(name="tz", type=TunnelZoneType.VTEP, hosts=(member,), host_ids=(h,))
    ) == {"hosts"}
    with pytest.raises(ValidationError) as e:
        TunnelZone.from_dict({"name": "tz"})
    assert [v.field for v in e.value.violations] == ["type"]
    assert TunnelZone.from_dict({"name": "tz", "type": "vxlan"}).type is TunnelZoneType.VXLAN


# --- load balancing ------------------------------------------------------------------


def test_load_balancer_and_pool_defaults() -> None:
    lb = LoadBalancer(router_id=uuid.uuid4())
    pool = Pool(load_balancer_id=lb.id)
    assert lb.admin_state_up and pool.admin_state_up
    assert pool.lb_method is PoolLBMethod.ROUND_ROBIN and pool.protocol is PoolProtocol.TCP
    assert pool.status is LBStatus.ACTIVE and pool.health_monitor_id is None


def test_pool_member(violated: Violated) -> None:
    m = PoolMember(address=V4("10.0.0.5"), protocol_port=80)
    assert m.weight == 1 and m.status is LBStatus.ACTIVE and m.admin_state_up
    assert PoolMember(address=V4("10.0.0.5"), protocol_port=80, weight=0).weight == 0
    assert violated(lambda: PoolMember(address=V4("10.0.0.5"), protocol_port=70000)) == {
        "protocol_port"
    }
    assert violated(lambda: PoolMember(address=V4("10.0.0.5"), protocol_port=80, weight=-1)) == {
        "weight"
    }
    with pytest.raises(ValidationError) as e:
        PoolMember.from_dict({})
    assert {v.field for v in e.value.violations} == {"address", "protocol_port"}


def test_vip(violated: Violated) -> None:
    v = Vip(address=V4("203.0.113.1"), protocol_port=80)
    assert v.session_persistence is None
    sticky = Vip(
        address=V4("203.0.113.1"),
        protocol_port=80,
        session_persistence=SessionPersistence.SOURCE_IP,
    )
    assert sticky.to_dict()["session_persistence"] == "SOURCE_IP"
    assert violated(lambda: Vip(address=V4("203.0.113.1"), protocol_port=-1)) == {"protocol_port"}


def test_health_monitor(violated: Violated) -> None:
    hm = HealthMonitor(delay=5, timeout=10, max_retries=3)
    assert hm.admin_state_up and hm.type.value == "TCP"
    assert violated(lambda: HealthMonitor(delay=0, timeout=0, max_retries=0)) == {
        "delay",
        "timeout",
        "max_retries",
    }


# --- mirrors -------------------------------------------------------------------------


def test_mirror(violated: Violated) -> None:
    to = uuid.uuid4()
    m = Mirror(to_port_id=to, conditions=(Condition(tp_dst=PortRange.single(22)), Condition()))
    assert [c.fragment_policy for c in m.conditions] == [
        FragmentPolicy.HEADER,
        FragmentPolicy.ANY,
    ]
    assert violated(Mirror) == {"to_port_id"}


# --- BGP -----------------------------------------------------------------------------


def test_bgp_peer(violated: Violated) -> None:
    p = BgpPeer(as_number=65001, address=V4("192.0.2.2"), keep_alive=30, hold_time=90)
    assert p.connect_retry is None
    assert violated(lambda: BgpPeer(as_number=0, address=V4("192.0.2.2"))) == {"as_number"}
    for name, bad in (("keep_alive", 4), ("hold_time", 7201), ("connect_retry", 3601)):
        kwargs: dict[str, Any] = {name: bad}
        assert violated(partial(BgpPeer, as_number=1, address=V4("192.0.2.2"), **kwargs)) == {name}
    BgpPeer(as_number=1, address=V4("192.0.2.2"), keep_alive=5, hold_time=5)  # the guide's
    assert violated(
        lambda: BgpPeer(as_number=1, address=V4("192.0.2.2"), keep_alive=61, hold_time=60)
    ) == {"keep_alive"}


def test_bgp_network(violated: Violated) -> None:
    n = BgpNetwork(subnet_address=V4("10.0.0.0"), subnet_length=16)
    assert n.subnet == ipaddress.ip_network("10.0.0.0/16")
    assert violated(lambda: BgpNetwork(subnet_address=V4("10.0.0.0"), subnet_length=33)) == {
        "subnet_length"
    }


# --- QoS -----------------------------------------------------------------------------


def test_qos(violated: Violated) -> None:
    policy = QosPolicy(name="gold", description="fast", shared=True)
    bw = QosRuleBandwidthLimit(max_kbps=1000, max_burst_kbps=100, policy_id=policy.id)
    dscp = QosRuleDscp(dscp_mark=46, policy_id=policy.id)
    assert (bw.max_kbps, dscp.dscp_mark) == (1000, 46)
    assert violated(lambda: QosRuleDscp(dscp_mark=64)) == {"dscp_mark"}
    assert violated(lambda: QosRuleDscp(dscp_mark=-1)) == {"dscp_mark"}
    assert violated(lambda: QosRuleBandwidthLimit(max_kbps=-1, max_burst_kbps=-1)) == {
        "max_kbps",
        "max_burst_kbps",
    }


# --- trace requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("device_type", "field"),
    [
        (DeviceType.PORT, "port_id"),
        (DeviceType.BRIDGE, "bridge_id"),
        (DeviceType.ROUTER, "router_id"),
    ],
)
def test_trace_request_device(device_type: DeviceType, field: str) -> None:
    device = uuid.uuid4()
    tr = TraceRequest.from_device(device_type, device, name="t", enabled=True)
    assert getattr(tr, field) == device
    assert tr.device_type is device_type and tr.device_id == device
    assert tr.limit == MAX_LIMIT and tr.creation_timestamp_ms > 0
    assert tr.condition.fragment_policy is FragmentPolicy.ANY


def test_trace_request_validation(violated: Violated) -> None:
    assert violated(lambda: TraceRequest(name="t")) == {"device_id"}
    fields = violated(lambda: TraceRequest(name="t", port_id=uuid.uuid4(), router_id=uuid.uuid4()))
    assert len(fields) == 1 and fields <= {"port_id", "router_id"}
    assert violated(lambda: TraceRequest(name="", port_id=uuid.uuid4(), limit=-1)) == {
        "name",
        "limit",
    }


# --- system state --------------------------------------------------------------------


def test_system_state() -> None:
    s = SystemState()
    assert s.id == SYSTEM_STATE_ID and not s.read_only
    ro = s.replace(availability=Availability.READONLY)
    assert ro.read_only and ro.to_dict()["availability"] == "READONLY"
