"""trace: the datapath's simulation run on a described packet, reported step by step,
changing no state."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

import pytest

from midonet.agent.simulation import FakeSimulationState
from midonet.agent.simulation.state_keys import ConnTrackKey
from midonet.errors import NotFound, ValidationError
from midonet.testing.topology_spec import BuiltTopology, build_topology
from midonet.trace.packet import PacketSpec
from midonet.trace.report import render_minimal, render_text
from midonet.trace.runner import parse_request, trace_packet
from midonet.trace.state import ConnTrackAssumption, ReadOnlyState

SPEC: dict[str, Any] = {
    "bridges": ["b1"],
    "routers": {"tenant-router": {"inbound_filter": "pre", "outbound_filter": "post"}},
    "ports": {
        "vm": {"bridge": "b1", "inbound_filter": "sg"},
        "b1-r": {"bridge": "b1", "peer": "r-b1"},
        "r-b1": {"router": "tenant-router", "address": "172.16.3.1/24", "mac": "02:00:00:00:01:01"},
        "r-up": {
            "router": "tenant-router",
            "address": "198.51.100.2/24",
            "mac": "02:00:00:00:01:02",
        },
    },
    "routes": [
        {"router": "tenant-router", "dst": "0.0.0.0/0", "via": "r-up", "gateway": "198.51.100.254"}
    ],
    "chains": {
        "sg": [{"type": "drop", "nw_proto": 17, "tp_dst": 53}, {"type": "accept"}],
        "pre": [{"type": "rev_snat", "nw_dst": "198.51.100.2", "in_ports": ["r-up"]}],
        "post": [{"type": "snat", "out_ports": ["r-up"], "target": "198.51.100.2:1000-2000"}],
    },
}


def topology() -> BuiltTopology:
    return build_topology(SPEC)


def state() -> FakeSimulationState:
    return FakeSimulationState()


def run(
    built: BuiltTopology, base: FakeSimulationState, packet: dict[str, Any], port: str = "vm"
) -> dict[str, Any]:
    spec = PacketSpec.from_json(packet)
    return trace_packet(
        built.topology, ReadOnlyState(base), built.id(port), spec, traced_by="test", now=1.0
    )


def with_arp(base: FakeSimulationState, built: BuiltTopology) -> FakeSimulationState:
    base.learn_arp(
        built.id("tenant-router"),
        int(ipaddress.IPv4Address("198.51.100.254")),
        bytes.fromhex("02000000fefe"),
        0.0,
    )
    return base


def test_a_tcp_packet_through_snat_is_explained_step_by_step() -> None:
    built = topology()
    base = with_arp(state(), built)
    report = run(built, base, {"ipSrc": "172.16.3.3", "ipDst": "203.0.113.5", "dstPort": 80})
    assert report["outcome"] == "FORWARD"
    events = [s["event"] for s in report["steps"]]
    for wanted in (
        "port ingress",
        "filter",
        "rule matched",
        "bridge",
        "router",
        "route",
        "nat",
        "next hop",
        "output",
    ):
        assert wanted in events, (wanted, events)
    route = next(s for s in report["steps"] if s["event"] == "route")
    assert route["detail"]["prefix"] == "0.0.0.0/0"
    assert "longest matching prefix /0" in route["detail"]["why"]
    rule = next(
        s
        for s in report["steps"]
        if s["event"] == "rule matched" and s["names"].get("chain") == "post"
    )
    assert rule["detail"]["position"] == 1
    assert {"field": "nw_src", "value": "198.51.100.2"} in report["rewrites"]
    assert "NatBound" in report["stateChanges"]
    assert report["outputs"][0]["port"] == "tenant-router:198.51.100.2"


def test_the_trace_changes_no_state() -> None:
    built = topology()
    base = with_arp(state(), built)
    run(built, base, {"ipSrc": "172.16.3.3", "ipDst": "203.0.113.5", "dstPort": 80})
    assert len(base.nat) == 0 and len(base.connections) == 0


def test_a_drop_names_the_rule_and_the_reason() -> None:
    built = topology()
    report = run(
        built,
        state(),
        {"ipSrc": "172.16.3.3", "ipDst": "203.0.113.5", "proto": "udp", "dstPort": 53},
    )
    assert report["outcome"] == "DROP"
    assert report["dropReason"] == "FILTERED"
    minimal = render_minimal(report)
    assert "rule matched chain=sg rule=sg:1 position=1 action=drop" in minimal
    assert minimal.splitlines()[-1] == "DROP: FILTERED (dropped by a rule)"


def test_minimal_is_stable_and_names_things() -> None:
    built = topology()
    base = with_arp(state(), built)
    packet = {"ipSrc": "172.16.3.3", "ipDst": "203.0.113.5", "dstPort": 80}
    first, second = (
        render_minimal(run(built, base, packet)),
        render_minimal(run(built, base, packet)),
    )
    assert first == second
    assert str(built.id("tenant-router")) not in first
    text = render_text(run(built, base, packet))
    assert "tenant-router" in text and str(built.id("vm")) in text


def test_an_unresolved_next_hop_parks() -> None:
    built = topology()
    report = run(built, state(), {"ipSrc": "172.16.3.3", "ipDst": "203.0.113.5", "dstPort": 80})
    assert report["outcome"] == "PARKED"
    assert any(s["event"] == "parked for ARP" for s in report["steps"])


def test_the_reply_depends_on_the_stated_conntrack() -> None:
    built = topology()
    base = with_arp(state(), built)
    reply = {
        "ipSrc": "203.0.113.5",
        "ipDst": "198.51.100.2",
        "srcPort": 80,
        "dstPort": 1000,
        "tcpFlags": "syn,ack",
    }
    spec = PacketSpec.from_json(reply)
    report = trace_packet(
        built.topology,
        ReadOnlyState(base, ConnTrackAssumption.ESTABLISHED),
        built.id("r-up"),
        spec,
        traced_by="test",
        conntrack=ConnTrackAssumption.ESTABLISHED,
    )
    assert report["conntrack"] == "established"
    # No NAT entry is known under an assumed verdict: the reverse SNAT finds nothing
    # and the router's own address answers (consumed) or drops, never forwards.
    assert report["outcome"] != "FORWARD"


def test_bad_descriptions_are_named() -> None:
    with pytest.raises(ValidationError) as e:
        PacketSpec.from_json({"ipSrc": "10.0.0.300", "proto": "sctp", "color": "red"})
    text = str(e.value)
    assert "ipSrc" in text and "proto" in text and "color" in text and "ipDst" in text
    with pytest.raises(ValidationError, match="ct must be"):
        parse_request(
            {
                "portId": str(uuid.uuid4()),
                "packet": {"ipSrc": "1.1.1.1", "ipDst": "2.2.2.2"},
                "ct": "maybe",
            }
        )
    with pytest.raises(ValidationError, match="portId"):
        parse_request({"portId": "nope", "packet": {}})
    built = topology()
    with pytest.raises(NotFound):
        trace_packet(
            built.topology,
            ReadOnlyState(state()),
            uuid.uuid4(),
            PacketSpec.from_json({"ipSrc": "1.1.1.1", "ipDst": "2.2.2.2"}),
            traced_by="test",
        )


def test_the_live_conntrack_is_read_unless_a_verdict_is_stated() -> None:
    # ReadOnlyState passes the live conntrack through when no verdict is stated.
    base = state()
    key = ConnTrackKey(1, 2, 3, 4, 6, uuid.uuid4())
    base.connections.add(key)
    assert key in ReadOnlyState(base).conntrack
    assert key not in ReadOnlyState(base, ConnTrackAssumption.NEW).conntrack
