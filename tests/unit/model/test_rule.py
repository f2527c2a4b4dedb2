"""Rules: types, jump and NAT requirements, NAT targets, fragment-policy rules for NAT."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from midonet.errors import ValidationError
from midonet.model import (
    Condition,
    FlowAction,
    FragmentPolicy,
    NatTarget,
    PortRange,
    Rule,
    RuleType,
)

V4 = ipaddress.IPv4Address
Violated = Callable[[Callable[[], Any]], set[str]]


def target(a: str, b: str | None = None, pf: int = 0, pt: int = 0) -> NatTarget:
    return NatTarget(address_from=V4(a), address_to=V4(b or a), port_from=pf, port_to=pt)


FIP = (target("203.0.113.10"),)
RANGE = (target("203.0.113.10", "203.0.113.20"),)
WITH_PORTS = (target("203.0.113.10", pf=1024, pt=2048),)


@pytest.mark.parametrize(
    "type_",
    [RuleType.ACCEPT, RuleType.CONTINUE, RuleType.DROP, RuleType.REJECT, RuleType.RETURN],
)
def test_literal_rules(type_: RuleType) -> None:
    rule = Rule(type=type_, chain_id=uuid.uuid4())
    assert not rule.is_nat
    assert rule.condition.fragment_policy is FragmentPolicy.ANY


def test_jump_rule_names_a_chain(violated: Violated) -> None:
    chain = uuid.uuid4()
    assert Rule(type=RuleType.JUMP, jump_chain_id=chain).jump_chain_id == chain
    assert violated(lambda: Rule(type=RuleType.JUMP)) == {"jump_chain_id"}
    assert violated(lambda: Rule(type=RuleType.JUMP, chain_id=chain, jump_chain_id=chain)) == {
        "jump_chain_id"
    }


def test_non_jump_rules_do_not(violated: Violated) -> None:
    assert violated(lambda: Rule(type=RuleType.DROP, jump_chain_id=uuid.uuid4())) == {
        "jump_chain_id"
    }
    assert violated(lambda: Rule(type=RuleType.DROP, jump_chain_name="c")) == {"jump_chain_name"}


@pytest.mark.parametrize("type_", [RuleType.DNAT, RuleType.SNAT])
def test_forward_nat_needs_targets_and_flow_action(violated: Violated, type_: RuleType) -> None:
    ok = Rule(type=type_, nat_targets=RANGE, flow_action=FlowAction.ACCEPT)
    assert ok.is_nat
    assert violated(lambda: Rule(type=type_, flow_action=FlowAction.ACCEPT)) == {"nat_targets"}
    assert violated(lambda: Rule(type=type_, nat_targets=RANGE)) == {"flow_action"}


@pytest.mark.parametrize("type_", [RuleType.REV_DNAT, RuleType.REV_SNAT])
def test_reverse_nat_has_flow_action_and_no_targets(violated: Violated, type_: RuleType) -> None:
    assert Rule(type=type_, flow_action=FlowAction.CONTINUE).nat_targets == ()
    assert violated(lambda: Rule(type=type_)) == {"flow_action"}
    assert violated(lambda: Rule(type=type_, flow_action=FlowAction.ACCEPT, nat_targets=FIP)) == {
        "nat_targets"
    }


def test_literal_rules_have_neither_targets_nor_flow_action(violated: Violated) -> None:
    assert violated(
        lambda: Rule(type=RuleType.ACCEPT, flow_action=FlowAction.ACCEPT, nat_targets=FIP)
    ) == {"flow_action", "nat_targets"}


# --- NAT targets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"address_from": V4("10.0.0.9"), "address_to": V4("10.0.0.1")}, "address_from"),
        (
            {"address_from": V4("10.0.0.1"), "address_to": ipaddress.IPv6Address("::1")},
            "address_to",
        ),
        (
            {"address_from": V4("10.0.0.1"), "address_to": V4("10.0.0.1"), "port_from": -1},
            "port_from",
        ),
        (
            {"address_from": V4("10.0.0.1"), "address_to": V4("10.0.0.1"), "port_to": 65536},
            "port_to",
        ),
        (
            {
                "address_from": V4("10.0.0.1"),
                "address_to": V4("10.0.0.1"),
                "port_from": 9,
                "port_to": 8,
            },
            "port_from",
        ),
    ],
)
def test_nat_target_validation(violated: Violated, kwargs: dict[str, Any], field: str) -> None:
    assert field in violated(lambda: NatTarget(**kwargs))


def test_nat_target_path_in_json_errors() -> None:
    with pytest.raises(ValidationError) as e:
        Rule.from_dict(
            {
                "type": "dnat",
                "flow_action": "accept",
                "nat_targets": [{"address_from": "10.0.0.9", "address_to": "10.0.0.1"}],
            }
        )
    assert [v.field for v in e.value.violations] == ["nat_targets[0].address_from"]


# --- fragment policy of NAT rules (guide under table 7.2; ForwardNatRule.java) -------


def nat(type_: RuleType = RuleType.DNAT, **kw: Any) -> Rule:
    return Rule(type=type_, flow_action=FlowAction.ACCEPT, **kw)


@pytest.mark.parametrize("targets", [RANGE, WITH_PORTS, (*FIP, *FIP)])
def test_nat_that_is_not_a_floating_ip_defaults_to_unfragmented(
    targets: tuple[NatTarget, ...],
) -> None:
    rule = nat(nat_targets=targets)
    assert not rule.is_floating_ip
    assert rule.unfragmented_only
    assert rule.condition.fragment_policy is FragmentPolicy.UNFRAGMENTED


@pytest.mark.parametrize(
    "policy", [FragmentPolicy.ANY, FragmentPolicy.HEADER, FragmentPolicy.NONHEADER]
)
@pytest.mark.parametrize("type_", [RuleType.DNAT, RuleType.SNAT])
def test_nat_that_is_not_a_floating_ip_refuses_other_policies(
    violated: Violated, policy: FragmentPolicy, type_: RuleType
) -> None:
    cond = Condition(fragment_policy=policy)
    assert violated(lambda: nat(type_, nat_targets=RANGE, condition=cond)) == {
        "condition.fragment_policy"
    }


def test_floating_ip_defaults_to_any() -> None:
    rule = nat(RuleType.SNAT, nat_targets=FIP)
    assert rule.is_floating_ip
    assert rule.fragment_policy is FragmentPolicy.ANY


@pytest.mark.parametrize("policy", list(FragmentPolicy))
def test_floating_ip_accepts_every_policy(policy: FragmentPolicy) -> None:
    rule = nat(nat_targets=FIP, condition=Condition(fragment_policy=policy))
    assert rule.fragment_policy is policy


def test_floating_ip_with_l4_fields_is_unfragmented_only(violated: Violated) -> None:
    l4 = Condition(tp_dst=PortRange.single(80))
    rule = nat(nat_targets=FIP, condition=l4)
    assert rule.fragment_policy is FragmentPolicy.UNFRAGMENTED
    header = Condition(tp_dst=PortRange.single(80), fragment_policy=FragmentPolicy.HEADER)
    assert violated(lambda: nat(nat_targets=FIP, condition=header)) == {"condition.fragment_policy"}


def test_filter_rule_with_l4_fields_defaults_to_header() -> None:
    rule = Rule(type=RuleType.ACCEPT, condition=Condition(tp_dst=PortRange.single(80)))
    assert rule.fragment_policy is FragmentPolicy.HEADER


def test_filter_rule_with_l4_fields_refuses_any(violated: Violated) -> None:
    # The condition itself refuses it, before the rule is built.
    assert violated(
        lambda: Rule(
            type=RuleType.DROP,
            condition=Condition(tp_src=PortRange.single(1), fragment_policy=FragmentPolicy.ANY),
        )
    ) == {"fragment_policy"}


def test_reverse_nat_follows_the_plain_defaults() -> None:
    rule = nat(RuleType.REV_DNAT, condition=Condition(tp_src=PortRange.single(80)))
    assert rule.fragment_policy is FragmentPolicy.HEADER
    assert nat(RuleType.REV_SNAT).fragment_policy is FragmentPolicy.ANY


def test_stored_policy_is_explicit_and_survives_json() -> None:
    rule = nat(nat_targets=RANGE)
    data = rule.to_dict()
    assert data["condition"]["fragment_policy"] == "unfragmented"
    assert Rule.from_dict(data) == rule


def test_rule_json_requires_a_type() -> None:
    with pytest.raises(ValidationError, match="type: is required"):
        Rule.from_dict({})
    with pytest.raises(ValidationError, match="type: expected one of"):
        Rule.from_dict({"type": "redirect"})


def test_meter_name_and_rest_spellings() -> None:
    rule = Rule(type=RuleType.ACCEPT, meter_name="my-meter")
    assert rule.to_dict()["type"] == "accept"
    assert RuleType("rev_snat") is RuleType.REV_SNAT
    assert FlowAction("return") is FlowAction.RETURN
