"""Flows from simulations: apply_actions against scapy, install rules, invalidation."""

from __future__ import annotations

import uuid
import warnings

from midonet.agent.flows.table import FlowTable
from midonet.agent.simulation import (
    FakeSimulationState,
    Outcome,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    apply_actions,
    install,
    simulate,
)
from midonet.agent.simulation.flow import Actions
from midonet.packets.match import FlowMatch, match_frame
from midonet.testing.topology_spec import build_topology

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Dot1Q, Ether

A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def _tcp(**ip: object) -> Ether:
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="10.0.0.1", dst="192.0.2.9", id=3, **ip)
        / TCP(sport=1234, dport=80, flags="S")
    )


def test_router_rewrites_keep_the_ip_checksum_right() -> None:
    frame = bytes(_tcp(ttl=64))
    actions = (
        SetField("eth_src", bytes.fromhex("020000000101")),
        SetField("eth_dst", bytes.fromhex("020000000909")),
        SetField("nw_ttl", 63),
        Output(A),
    )
    expected = (
        Ether(src="02:00:00:00:01:01", dst="02:00:00:00:09:09")
        / IP(src="10.0.0.1", dst="192.0.2.9", id=3, ttl=63)
        / TCP(sport=1234, dport=80, flags="S")
    )
    assert apply_actions(frame, actions) == [(A, bytes(expected))]


def test_address_and_port_rewrites_fix_the_l4_checksum() -> None:
    frame = bytes(_tcp())
    actions = (SetField("nw_src", 0xC0A80001), SetField("dst_port", 8080), Output(A))
    expected = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="192.168.0.1", dst="192.0.2.9", id=3)
        / TCP(sport=1234, dport=8080, flags="S")
    )
    assert apply_actions(frame, actions) == [(A, bytes(expected))]


def test_udp_without_checksum_stays_without() -> None:
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2, chksum=0)
    ((_, out),) = apply_actions(bytes(packet), (SetField("nw_dst", 0x0A000009), Output(A)))
    assert Ether(out)[UDP].chksum == 0
    assert Ether(out)[IP].dst == "10.0.0.9"


def test_vlan_push_and_pop_between_outputs() -> None:
    frame = bytes(_tcp())
    out = apply_actions(frame, (Output(A), PushVlan(10), Output(B), PopVlan(), Output(A)))
    tagged = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / Dot1Q(vlan=10)
        / IP(src="10.0.0.1", dst="192.0.2.9", id=3)
        / TCP(sport=1234, dport=80, flags="S")
    )
    assert out == [(A, frame), (B, bytes(tagged)), (A, frame)]


def test_ttl_rewrite_after_a_pushed_tag_finds_the_ip_header() -> None:
    frame = bytes(_tcp(ttl=9))
    out = apply_actions(frame, (PushVlan(7), SetField("nw_ttl", 8), Output(A)))
    expected = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / Dot1Q(vlan=7)
        / IP(src="10.0.0.1", dst="192.0.2.9", id=3, ttl=8)
        / TCP(sport=1234, dport=80, flags="S")
    )
    assert out == [(A, bytes(expected))]


def test_a_learned_mac_invalidates_the_flooded_flow() -> None:
    built = build_topology(
        {"bridges": ["b1"], "ports": {n: {"bridge": "b1"} for n in ("p1", "p2", "p3")}}
    )
    state = FakeSimulationState()
    table: FlowTable[FlowMatch, Actions] = FlowTable()
    to_p2 = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP() / UDP())
    flooded = simulate(to_p2, built.id("p1"), built.topology, state, 0.0)
    state.apply(flooded.state_changes)
    assert install(table, match_frame(to_p2, 1), flooded, 0.0) is not None
    assert set(flooded.output_ports) == {built.id("p2"), built.id("p3")}

    reply = bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP() / UDP())
    learned = simulate(reply, built.id("p2"), built.topology, state, 1.0)
    assert learned.output_ports == (built.id("p1"),)
    for change in learned.state_changes:
        table.invalidate(change.tag)
    assert table.get(match_frame(to_p2, 1)) is None  # flooding stopped being right
    state.apply(learned.state_changes)
    again = simulate(to_p2, built.id("p1"), built.topology, state, 2.0)
    assert again.output_ports == (built.id("p2"),)


def test_generated_and_parked_results_are_not_installed() -> None:
    built = build_topology(
        {
            "routers": ["r1"],
            "ports": {
                "in": {"router": "r1", "address": "10.0.0.1/24", "mac": "02:00:00:00:01:01"},
                "out": {"router": "r1", "address": "10.0.1.1/24", "mac": "02:00:00:00:01:02"},
            },
        }
    )
    frame = bytes(
        Ether(src="02:00:00:00:00:05", dst="02:00:00:00:01:01")
        / IP(src="10.0.0.5", dst="10.0.1.7")
        / UDP()
    )
    result = simulate(frame, built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert result.outcome is Outcome.PARKED
    assert not result.cacheable
    table: FlowTable[FlowMatch, Actions] = FlowTable()
    assert install(table, match_frame(frame, 1), result, 0.0) is None
    assert len(table) == 0


def test_tos_rewrite_keeps_the_ip_checksum_right() -> None:
    ((_, out),) = apply_actions(bytes(_tcp(tos=0)), (SetField("nw_tos", 0xB8), Output(A)))
    expected = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="10.0.0.1", dst="192.0.2.9", id=3, tos=0xB8)
        / TCP(sport=1234, dport=80, flags="S")
    )
    assert out == bytes(expected)
