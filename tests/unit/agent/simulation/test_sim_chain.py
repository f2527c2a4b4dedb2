"""Rule chains run as filters: rule types, jumps and returns, loop protection,
positions and meters in the result, NAT rules left to the NAT issue."""

from __future__ import annotations

import ipaddress
from typing import Any

from midonet.agent.simulation import (
    DropReason,
    FakeSimulationState,
    Outcome,
    SetField,
    SimulationResult,
    simulate,
)
from midonet.model import FlowAction, NatTarget, Rule, RuleType
from midonet.packets import builder
from midonet.testing.topology_spec import BuiltTopology, build_topology

FRAME = builder.udp_frame(
    src_mac="02:00:00:00:00:01",
    dst_mac="02:00:00:00:00:02",
    src_ip="10.0.0.1",
    dst_ip="10.0.0.2",
    src_port=1000,
    dst_port=53,
).serialize()


def bridge_with_filter(chains: dict[str, list[dict[str, Any]]]) -> BuiltTopology:
    return build_topology(
        {
            "bridges": ["b1"],
            "ports": {"vm1": {"bridge": "b1", "inbound_filter": "main"}, "vm2": {"bridge": "b1"}},
            "chains": chains,
        }
    )


def run(chains: dict[str, list[dict[str, Any]]], trace: bool = True) -> SimulationResult:
    built = bridge_with_filter(chains)
    state = FakeSimulationState()
    return simulate(FRAME, built.id("vm1"), built.topology, state, 0.0, trace=trace)


def matched(result: SimulationResult) -> list[tuple[Any, ...]]:
    return [
        (dict(s.detail)["position"], dict(s.detail)["action"])
        for s in result.trace or ()
        if s.event == "rule matched"
    ]


def test_first_deciding_rule_wins_and_continue_goes_on() -> None:
    result = run({"main": [{"type": "continue"}, {"type": "drop"}, {"type": "accept"}]})
    assert result.drop_reason is DropReason.FILTERED
    assert matched(result) == [(1, "continue"), (2, "drop")]


def test_end_of_chain_accepts() -> None:
    result = run({"main": [{"type": "drop", "nw_proto": 6}]})
    assert result.outcome is Outcome.FORWARD
    assert matched(result) == []


def test_return_at_the_top_accepts() -> None:
    result = run({"main": [{"type": "return"}, {"type": "drop"}]})
    assert result.outcome is Outcome.FORWARD


def test_jump_then_return_continues_in_the_caller() -> None:
    chains = {
        "main": [{"type": "jump", "jump": "sub"}, {"type": "drop", "meter": "after-return"}],
        "sub": [{"type": "return"}, {"type": "accept"}],
    }
    result = run(chains)
    assert result.drop_reason is DropReason.FILTERED
    assert matched(result) == [(1, "jump"), (1, "return"), (2, "drop")]
    assert [m for m in result.meters if m.startswith("meters:user:")] == [
        "meters:user:after-return"
    ]


def test_a_decision_in_the_jumped_chain_ends_the_filter() -> None:
    chains = {
        "main": [{"type": "jump", "jump": "sub"}, {"type": "drop"}],
        "sub": [{"type": "accept"}],
    }
    assert run(chains).outcome is Outcome.FORWARD


def test_a_jump_back_to_a_visited_chain_is_ignored() -> None:
    chains = {
        "main": [{"type": "jump", "jump": "sub"}, {"type": "drop"}],
        "sub": [{"type": "jump", "jump": "main"}, {"type": "continue"}],
    }
    result = run(chains)
    assert result.drop_reason is DropReason.FILTERED
    assert any(s.event == "jump ignored" for s in result.trace or ())


def test_reject_at_a_bridge_drops() -> None:
    result = run({"main": [{"type": "reject"}]})
    assert result.drop_reason is DropReason.REJECTED
    assert result.generated == ()


def _with_nat_rule(rule_type: RuleType, targets: tuple[NatTarget, ...]) -> tuple[Any, Any]:
    built = bridge_with_filter({"main": [{"type": "drop"}]})
    chain = built.topology.chain(built.id("main"))
    rule = Rule(
        type=rule_type, chain_id=chain.id, flow_action=FlowAction.ACCEPT, nat_targets=targets
    )
    topology = built.topology.with_changes(
        [rule, chain.replace(rule_ids=(rule.id, *chain.rule_ids))]
    )
    return built, topology


def test_a_nat_rule_translates_in_a_port_filter_then_does_its_flow_action() -> None:
    address = ipaddress.ip_address("10.0.0.9")
    built, topology = _with_nat_rule(
        RuleType.DNAT, (NatTarget(address_from=address, address_to=address),)
    )
    result = simulate(FRAME, built.id("vm1"), topology, FakeSimulationState(), 0.0, trace=True)
    assert result.outcome is Outcome.FORWARD  # accepted before the drop rule
    assert SetField("nw_dst", int(address)) in result.actions
    matched = [dict(s.detail) for s in result.trace or () if s.event == "rule matched"]
    assert [(m["action"], m["then"]) for m in matched] == [("dnat", "accept")]


def test_a_reverse_nat_rule_without_a_translation_does_not_match() -> None:
    built, topology = _with_nat_rule(RuleType.REV_DNAT, ())
    result = simulate(FRAME, built.id("vm1"), topology, FakeSimulationState(), 0.0, trace=True)
    assert result.outcome is Outcome.DROP  # the chain went on to the drop rule
    skipped = [s for s in result.trace or () if s.event == "rule skipped"]
    assert [dict(s.detail)["note"] for s in skipped] == ["not applied"]


def test_trace_off_records_nothing_and_changes_nothing_else() -> None:
    chains = {"main": [{"type": "accept", "meter": "m"}]}
    traced, quiet = run(chains, trace=True), run(chains, trace=False)
    assert quiet.trace is None
    assert traced.trace
    assert (quiet.outcome, quiet.actions, quiet.tags, quiet.meters) == (
        traced.outcome,
        traced.actions,
        traced.tags,
        traced.meters,
    )


def test_flows_are_tagged_with_the_chains_they_ran() -> None:
    chains = {"main": [{"type": "jump", "jump": "sub"}], "sub": [{"type": "continue"}]}
    built = bridge_with_filter(chains)
    result = simulate(FRAME, built.id("vm1"), built.topology, FakeSimulationState(), 0.0)
    assert {built.id("main"), built.id("sub"), built.id("b1"), built.id("vm1")} <= result.tags


def test_return_flow_rules_read_the_conntrack_table_of_the_state() -> None:
    built = bridge_with_filter(
        {"main": [{"type": "accept", "match_return_flow": True}, {"type": "drop"}]}
    )
    state = FakeSimulationState()
    forward = simulate(FRAME, built.id("vm1"), built.topology, state, 0.0)
    assert forward.drop_reason is DropReason.FILTERED
    key = (builder.ip4("10.0.0.1"), 1000, builder.ip4("10.0.0.2"), 53, 17, built.id("b1"))
    state.connections.add(key)
    assert simulate(FRAME, built.id("vm1"), built.topology, state, 0.0).outcome is Outcome.FORWARD
