"""Chains (Chain-v1) and their rules (Rule-v2).

A rule's JSON carries its condition's fields at the top level, as MidoNet's does,
and its `position` in the chain: 1-based, 1 (the top) by default when created, as in
MidoNet. MidoNet has no update of a rule: create, get, delete.
"""

from __future__ import annotations

from typing import Any

from midonet.cluster.rest_api.context import Context
from midonet.cluster.rest_api.errors import bad_request
from midonet.cluster.rest_api.fields import Field, Mapping, mechanical, object_list
from midonet.cluster.rest_api.resource import Resource, crud, nested, tenant_field
from midonet.cluster.rest_api.resources.condition import condition_fields, drop_unset_lengths
from midonet.model.base import ModelObject
from midonet.model.chain import Chain, move_rule_id
from midonet.model.rule import NatTarget, Rule
from midonet.store.base import Reader, Transaction

CHAINS = "chains"

CHAIN_FIELDS = Mapping(
    Chain,
    mechanical(
        Chain,
        exclude=(
            "rule_ids",
            "jump_rule_ids",
            "bridge_inbound_ids",
            "bridge_outbound_ids",
            "router_inbound_ids",
            "router_outbound_ids",
            "port_inbound_ids",
            "port_outbound_ids",
        ),
    ),
)


def _chain_links(chain: Chain, ctx: Context) -> dict[str, Any]:
    return {"rules": ctx.uri(CHAINS, chain.id, "rules")}


CHAIN = Resource(
    CHAINS,
    Chain,
    "Chain-v1",
    CHAIN_FIELDS,
    _chain_links,
    owner=tenant_field,
    tenant_scoped=True,
    event=("Chain", "chainId"),
    event_ops=frozenset({"CREATE", "DELETE"}),
)

_nat_out, _nat_in = object_list(NatTarget)

RULE_FIELDS = Mapping(
    Rule,
    [
        *mechanical(Rule, exclude=("condition", "nat_targets", "chain_id")),
        Field("chainId", "chain_id", read_only=True),
        Field("natTargets", "nat_targets", out=_nat_out, into=_nat_in),
        *condition_fields("condition."),
    ],
)


def _rule_owner(rule: Rule, reader: Reader) -> str | None:
    if rule.chain_id is None:
        return None
    try:
        return reader.get(Chain, rule.chain_id).obj.tenant_id
    except LookupError:
        return None


def _rule_links(rule: Rule, ctx: Context) -> dict[str, Any]:
    position = None
    if rule.chain_id is not None:
        try:
            chain = ctx.store.get(Chain, rule.chain_id).obj
            position = chain.position_of(rule.id)
        except (LookupError, ValueError):
            position = None
    return {"position": position, "chain": ctx.link(CHAINS, rule.chain_id)}


def _rule_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    condition = data.get("condition")
    if isinstance(condition, dict):
        drop_unset_lengths(condition)
    return data


def _position(body: dict[str, Any]) -> int:
    position = body.get("position", 1)
    if position is None or position == 0:
        return 1
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise bad_request(
            "Validation error: position: must be a positive integer",
            [("position", f"must be a positive integer, got {position!r}")],
        )
    return position


def _insert(tx: Transaction, rule: ModelObject, body: dict[str, Any]) -> None:
    assert isinstance(rule, Rule) and rule.chain_id is not None
    position = _position(body)
    chain = tx.get(Chain, rule.chain_id).obj
    if position > len(chain.rule_ids) + 1:
        raise bad_request(
            f"Validation error: position: the chain has {len(chain.rule_ids)} rules",
            [("position", f"must be between 1 and {len(chain.rule_ids) + 1}, got {position}")],
        )
    tx.create(rule)
    chain = tx.get(Chain, rule.chain_id).obj
    tx.update(chain.replace(rule_ids=move_rule_id(chain.rule_ids, rule.id, position)))


RULE = Resource(
    "rules",
    Rule,
    "Rule-v2",
    RULE_FIELDS,
    _rule_links,
    owner=_rule_owner,
    prepare=_rule_prepare,
    event=("Rule", "ruleId"),
    write_create=_insert,
    event_ops=frozenset({"CREATE", "DELETE"}),
)


def register(routes: Any) -> None:
    crud(routes, CHAIN)
    crud(routes, RULE, listing=False, create=False, update=False)
    nested(routes, CHAIN, RULE, "rules", lambda c, ctx: c.rule_ids, parent_field="chain_id")
