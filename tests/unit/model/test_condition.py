"""Condition: every attribute of tables 7.1/7.2, its validation and defaults."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from midonet.errors import ValidationError
from midonet.model import Condition, FragmentPolicy, PortRange, from_json, to_json
from midonet.model.mac import MAC_MASK_ALL

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
Violated = Callable[[Callable[[], Any]], set[str]]


def test_empty_condition_matches_everything_by_default() -> None:
    c = Condition()
    assert c.fragment_policy is None
    assert c.effective_fragment_policy is FragmentPolicy.ANY
    assert c.dl_src_mask == MAC_MASK_ALL
    assert c.nw_src is None
    assert not c.has_l4_fields


def test_every_attribute_with_its_inversion() -> None:
    pg, ipg, dev, port = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    c = Condition(
        cond_invert=True,
        match_forward_flow=True,
        in_port_ids=(port,),
        inv_in_ports=True,
        out_port_ids=(port,),
        inv_out_ports=True,
        port_group_id=pg,
        inv_port_group=True,
        in_port_group_id=pg,
        inv_in_port_group=True,
        out_port_group_id=pg,
        inv_out_port_group=True,
        ip_addr_group_src_id=ipg,
        inv_ip_addr_group_src=True,
        ip_addr_group_dst_id=ipg,
        inv_ip_addr_group_dst=True,
        traversed_device=dev,
        inv_traversed_device=True,
        vlan=10,
        dl_type=0x0800,
        inv_dl_type=True,
        dl_src="02:00:00:00:00:01",
        dl_src_mask=0xFFFF_0000_0000,
        inv_dl_src=True,
        dl_dst="02:00:00:00:00:02",
        dl_dst_mask=0,
        inv_dl_dst=True,
        nw_tos=0x10,
        inv_nw_tos=True,
        nw_proto=6,
        inv_nw_proto=True,
        nw_src_address=V4("10.0.0.0"),
        nw_src_length=16,
        inv_nw_src=True,
        nw_dst_address=V4("10.0.5.1"),
        nw_dst_length=24,
        inv_nw_dst=True,
        tp_src=PortRange(start=1000, end=2000),
        inv_tp_src=True,
        tp_dst=PortRange.single(80),
        inv_tp_dst=True,
        icmp_data_src_ip_address=V4("192.168.0.0"),
        icmp_data_src_ip_length=24,
        inv_icmp_data_src_ip=True,
        icmp_data_dst_ip_address=V4("192.168.1.1"),
        inv_icmp_data_dst_ip=True,
        fragment_policy=FragmentPolicy.UNFRAGMENTED,
    )
    assert c.nw_src == ipaddress.ip_network("10.0.0.0/16")
    assert c.nw_dst == ipaddress.ip_network("10.0.5.0/24")
    assert c.nw_dst_address == V4("10.0.5.1")  # kept as given
    assert c.icmp_data_dst_ip == ipaddress.ip_network("192.168.1.1/32")
    assert c.dl_src_mask_text == "ffff.0000.0000"
    assert c.dl_dst_mask_text == "0000.0000.0000"
    assert c.tp_dst is not None and 80 in c.tp_dst
    assert from_json(Condition, to_json(c)) == c


def test_missing_length_means_the_whole_address() -> None:
    assert Condition(nw_src_address=V4("10.0.0.1")).nw_src_length == 32
    assert Condition(nw_dst_address=V6("2001:db8::1")).nw_dst_length == 128


def test_macs_are_normalized() -> None:
    assert Condition(dl_src="AA-BB-CC-DD-EE-FF").dl_src == "aa:bb:cc:dd:ee:ff"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"nw_src_address": V4("10.0.0.0"), "nw_src_length": 33}, "nw_src_length"),
        ({"nw_dst_address": V4("10.0.0.0"), "nw_dst_length": -1}, "nw_dst_length"),
        ({"nw_dst_address": V6("2001:db8::"), "nw_dst_length": 129}, "nw_dst_length"),
        ({"nw_src_length": 8}, "nw_src_length"),
        (
            {"icmp_data_src_ip_address": V4("1.0.0.0"), "icmp_data_src_ip_length": 40},
            "icmp_data_src_ip_length",
        ),
        (
            {"icmp_data_dst_ip_address": V4("1.0.0.0"), "icmp_data_dst_ip_length": 40},
            "icmp_data_dst_ip_length",
        ),
        ({"vlan": 4096}, "vlan"),
        ({"vlan": -1}, "vlan"),
        ({"vlan": 5, "no_vlan": True}, "no_vlan"),
        ({"dl_type": 0x05FF}, "dl_type"),
        ({"dl_type": 0x10000}, "dl_type"),
        ({"dl_src": "not-a-mac"}, "dl_src"),
        ({"dl_dst": "02:00:00:00:00"}, "dl_dst"),
        ({"dl_src_mask": 1 << 48}, "dl_src_mask"),
        ({"dl_dst_mask": -1}, "dl_dst_mask"),
        ({"nw_tos": 256}, "nw_tos"),
        ({"nw_proto": -1}, "nw_proto"),
        ({"match_forward_flow": True, "match_return_flow": True}, "match_return_flow"),
        ({"in_port_ids": (uuid.UUID(int=1), uuid.UUID(int=1))}, "in_port_ids"),
        ({"out_port_ids": (uuid.UUID(int=1), uuid.UUID(int=1))}, "out_port_ids"),
    ],
)
def test_validation_names_the_field(violated: Violated, kwargs: dict[str, Any], field: str) -> None:
    assert violated(lambda: Condition(**kwargs)) == {field}


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(-1, 5, "start"), (1, 65536, "end"), (10, 5, "start"), (70000, 70000, "start")],
)
def test_port_ranges(violated: Violated, start: int, end: int, field: str) -> None:
    assert field in violated(lambda: PortRange(start=start, end=end))


def test_port_range_bounds_are_inclusive() -> None:
    r = PortRange(start=0, end=65535)
    assert 0 in r and 65535 in r and "80" not in r


def test_nested_port_range_error_carries_its_path() -> None:
    with pytest.raises(ValidationError) as e:
        from_json(Condition, {"tp_dst": {"start": 9, "end": 1}})
    assert [v.field for v in e.value.violations] == ["tp_dst.start"]


# --- fragment policy (guide, text under table 7.2; MidoNet's Condition.java) --------


def test_default_fragment_policy_is_header_with_l4_fields() -> None:
    c = Condition(tp_dst=PortRange.single(80))
    assert c.default_fragment_policy is FragmentPolicy.HEADER
    assert c.resolved().fragment_policy is FragmentPolicy.HEADER
    assert Condition(tp_src=PortRange.single(1)).effective_fragment_policy is FragmentPolicy.HEADER


def test_default_fragment_policy_is_any_without_l4_fields() -> None:
    assert Condition(nw_proto=6).resolved().fragment_policy is FragmentPolicy.ANY


@pytest.mark.parametrize("policy", [FragmentPolicy.ANY, FragmentPolicy.NONHEADER])
def test_l4_fields_refuse_any_and_nonheader(violated: Violated, policy: FragmentPolicy) -> None:
    assert violated(lambda: Condition(tp_src=PortRange.single(53), fragment_policy=policy)) == {
        "fragment_policy"
    }


@pytest.mark.parametrize("policy", [FragmentPolicy.HEADER, FragmentPolicy.UNFRAGMENTED])
def test_l4_fields_allow_header_and_unfragmented(policy: FragmentPolicy) -> None:
    assert Condition(tp_dst=PortRange.single(80), fragment_policy=policy).fragment_policy is policy


@pytest.mark.parametrize("policy", list(FragmentPolicy))
def test_without_l4_fields_every_policy_is_allowed(policy: FragmentPolicy) -> None:
    assert Condition(fragment_policy=policy).resolved().fragment_policy is policy


def test_json_uses_the_rest_spelling_of_policies() -> None:
    data = to_json(Condition(fragment_policy=FragmentPolicy.NONHEADER))
    assert data["fragment_policy"] == "nonheader"
