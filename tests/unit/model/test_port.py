"""Ports: BRIDGE/ROUTER type, derived interior/exterior, router-port addressing."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from midonet.model import Port, PortType

V4 = ipaddress.IPv4Address
Net = ipaddress.ip_network
Violated = Callable[[Callable[[], Any]], set[str]]


def router_port(**kw: Any) -> Port:
    return Port(type=PortType.ROUTER, router_id=uuid.uuid4(), **kw)


def bridge_port(**kw: Any) -> Port:
    return Port(type=PortType.BRIDGE, bridge_id=uuid.uuid4(), **kw)


# --- interior / exterior is derived --------------------------------------------------


def test_unplugged_port_is_neither() -> None:
    p = bridge_port()
    assert not p.is_interior and not p.is_exterior
    assert p.is_bridge_port and not p.is_router_port
    assert p.admin_state_up


def test_peer_makes_a_port_interior() -> None:
    p = bridge_port(peer_id=uuid.uuid4())
    assert p.is_interior and not p.is_exterior


def test_host_binding_makes_a_port_exterior() -> None:
    p = bridge_port(host_id=uuid.uuid4(), interface_name="tap0")
    assert p.is_exterior and not p.is_interior


def test_port_cannot_be_both(violated: Violated) -> None:
    assert violated(
        lambda: bridge_port(peer_id=uuid.uuid4(), host_id=uuid.uuid4(), interface_name="tap0")
    ) == {"peer_id"}


def test_port_cannot_peer_with_itself(violated: Violated) -> None:
    me = uuid.uuid4()
    assert violated(lambda: bridge_port(id=me, peer_id=me)) == {"peer_id"}


def test_host_binding_needs_an_interface(violated: Violated) -> None:
    assert violated(lambda: bridge_port(host_id=uuid.uuid4())) == {"interface_name"}


def test_clearing_the_host_keeps_the_port_valid() -> None:
    # What the store does when the host is deleted (Host.port_ids CLEAR).
    p = bridge_port(host_id=uuid.uuid4(), interface_name="tap0").replace(host_id=None)
    assert not p.is_exterior


# --- device --------------------------------------------------------------------------


def test_device_id_follows_the_type() -> None:
    r, b = uuid.uuid4(), uuid.uuid4()
    assert Port(type=PortType.ROUTER, router_id=r).device_id == r
    assert Port(type=PortType.BRIDGE, bridge_id=b).device_id == b


def test_wrong_device_for_the_type(violated: Violated) -> None:
    assert violated(lambda: Port(type=PortType.BRIDGE, router_id=uuid.uuid4())) == {"router_id"}
    assert violated(lambda: Port(type=PortType.ROUTER, bridge_id=uuid.uuid4())) == {"bridge_id"}


# --- bridge ports --------------------------------------------------------------------


def test_vlan_id_range(violated: Violated) -> None:
    assert bridge_port(vlan_id=0).vlan_id == 0
    assert bridge_port(vlan_id=4095).vlan_id == 4095
    assert violated(lambda: bridge_port(vlan_id=4096)) == {"vlan_id"}
    assert violated(lambda: bridge_port(vlan_id=-1)) == {"vlan_id"}


def test_vlan_id_is_for_bridge_ports_only(violated: Violated) -> None:
    assert "vlan_id" in violated(lambda: router_port(vlan_id=5))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port_address", V4("10.0.0.1")),
        ("network_address", V4("10.0.0.0")),
        ("network_length", 24),
        ("port_mac", "02:00:00:00:00:01"),
        ("port_subnets", (Net("10.0.0.0/24"),)),
    ],
)
def test_router_fields_on_a_bridge_port(violated: Violated, field: str, value: object) -> None:
    assert field in violated(lambda: bridge_port(**{field: value}))


def test_bridge_port_has_no_mac() -> None:
    assert bridge_port().port_mac is None


def test_tunnel_key_not_negative(violated: Violated) -> None:
    assert bridge_port(tunnel_key=7).tunnel_key == 7
    assert violated(lambda: bridge_port(tunnel_key=-1)) == {"tunnel_key"}


# --- router ports --------------------------------------------------------------------


def test_router_port_gets_a_midonet_mac() -> None:
    p = router_port()
    assert p.port_mac is not None and p.port_mac.startswith("ac:ca:ba:")
    assert p.replace(admin_state_up=False).port_mac == p.port_mac


def test_given_mac_is_normalized() -> None:
    assert router_port(port_mac="02-AA-00-00-00-01").port_mac == "02:aa:00:00:00:01"


def test_bad_or_multicast_mac(violated: Violated) -> None:
    assert violated(lambda: router_port(port_mac="nope")) == {"port_mac"}
    assert violated(lambda: router_port(port_mac="01:00:5e:00:00:01")) == {"port_mac"}


def test_address_and_network() -> None:
    p = router_port(port_address=V4("10.0.0.1"), network_address=V4("10.0.0.0"), network_length=24)
    assert p.network == Net("10.0.0.0/24")
    assert p.port_subnets == (Net("10.0.0.0/24"),)


def test_network_address_derived_from_address_and_length() -> None:
    p = router_port(port_address=V4("10.0.0.1"), network_length=24)
    assert p.network_address == V4("10.0.0.0")
    assert p.port_subnets == (Net("10.0.0.0/24"),)


def test_network_derived_from_port_subnets() -> None:
    p = router_port(
        port_address=V4("10.1.0.1"),
        port_subnets=(Net("2001:db8::/64"), Net("10.1.0.0/16"), Net("10.2.0.0/16")),
    )
    assert p.network == Net("10.1.0.0/16")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {
                "port_address": V4("10.0.1.1"),
                "network_address": V4("10.0.0.0"),
                "network_length": 24,
            },
            "port_address",
        ),
        (
            {
                "port_address": V4("10.0.0.1"),
                "network_address": V4("10.0.0.1"),
                "network_length": 24,
            },
            "network_address",
        ),
        (
            {
                "port_address": V4("10.0.0.1"),
                "network_address": V4("10.0.0.0"),
                "network_length": 33,
            },
            "network_length",
        ),
        ({"port_address": V4("10.0.0.1")}, "network_length"),
        ({"network_length": 24}, "network_address"),
        ({"network_address": V4("10.0.0.0")}, "network_length"),
        (
            {
                "port_address": V4("10.0.0.1"),
                "network_address": V4("10.0.0.0"),
                "network_length": 24,
                "port_subnets": (Net("10.9.0.0/16"),),
            },
            "port_subnets",
        ),
        (
            {
                "network_address": V4("10.0.0.0"),
                "network_length": 24,
                "port_subnets": (Net("10.0.0.0/24"), Net("10.0.0.0/24")),
            },
            "port_subnets",
        ),
    ],
)
def test_router_port_addressing_validation(
    violated: Violated, kwargs: dict[str, Any], field: str
) -> None:
    assert violated(lambda: router_port(**kwargs)) == {field}


def test_port_json_round_trip_keeps_generated_mac() -> None:
    p = router_port(port_address=V4("10.0.0.1"), network_length=24, peer_id=uuid.uuid4())
    data = p.to_dict()
    assert data["type"] == "Router"
    assert data["port_subnets"] == ["10.0.0.0/24"]
    assert Port.from_dict(data) == p
