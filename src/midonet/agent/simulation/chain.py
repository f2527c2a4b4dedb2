"""Rule chains: compiled once per snapshot, run as filters on ports and devices.

Semantics of MidoNet's Chain.apply: rules run in position order until one decides.
ACCEPT, DROP and REJECT end the whole filter; RETURN ends the current chain (a jump
target returns to its caller, which continues with its next rule; at the top it
accepts); CONTINUE goes on; JUMP runs the target chain and continues after the jump
unless the target decided. A jump to a missing chain or to a chain already visited
during this filter (loop protection) is ignored. A filter that ends without a
decision accepts.

NAT rules (dnat/snat/rev_dnat/rev_snat) translate the packet (`nat`) in the device
the filter belongs to (a port's filter: the port's device) and then do their flow
action: accept, continue or return. A NAT rule that cannot translate the packet
(a reverse rule finding no translation, a protocol NAT does not handle, no free
source port) does not match: the chain goes on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from midonet.agent.simulation import nat
from midonet.agent.simulation.condition import Predicate, compile_condition
from midonet.model import Chain, FlowAction, NatTarget, Rule, RuleType

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext
    from midonet.agent.topology.snapshot import Topology

CONTINUE: Final = 0
ACCEPT: Final = 1
DROP: Final = 2
REJECT: Final = 3
RETURN: Final = 4
JUMP: Final = 5
_NAT: Final = 6

VERDICT_NAMES: Final = ("continue", "accept", "drop", "reject", "return", "jump", "nat")

_CODES = {
    RuleType.CONTINUE: CONTINUE,
    RuleType.ACCEPT: ACCEPT,
    RuleType.DROP: DROP,
    RuleType.REJECT: REJECT,
    RuleType.RETURN: RETURN,
    RuleType.JUMP: JUMP,
}


_FLOW_ACTIONS = {
    FlowAction.ACCEPT: ACCEPT,
    FlowAction.CONTINUE: CONTINUE,
    FlowAction.RETURN: RETURN,
}


@dataclass(frozen=True, slots=True)
class NatAction:
    """What a NAT rule does. Static (no target gives ports: MidoNet's
    StaticForwardNatRule) translates to `static_target` without state."""

    type: RuleType
    verdict: int
    targets: tuple[NatTarget, ...]
    static: bool
    static_target: int
    matched_nw: int | None
    """The address of the condition's nw_dst (dnat) or nw_src (snat): an ICMP error's
    quote is translated from it."""
    matched_icmp_data_dst: int | None


def _nat_action(rule: Rule) -> NatAction | None:
    if not rule.type.is_nat:
        return None
    cond = rule.condition
    dnat = rule.type is RuleType.DNAT
    matched = cond.nw_dst_address if dnat else cond.nw_src_address
    data_dst = cond.icmp_data_dst_ip_address if dnat else None
    targets = rule.nat_targets
    return NatAction(
        rule.type,
        _FLOW_ACTIONS[rule.flow_action or FlowAction.ACCEPT],
        targets,
        static=not any(t.has_ports for t in targets),
        static_target=int(targets[0].address_from) if targets else 0,
        matched_nw=int(matched) if matched is not None and matched.version == 4 else None,
        matched_icmp_data_dst=(
            int(data_dst) if data_dst is not None and data_dst.version == 4 else None
        ),
    )


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: uuid.UUID
    position: int
    code: int
    predicate: Predicate
    jump_chain_id: uuid.UUID | None
    meter_name: str | None
    nat: NatAction | None = None


_Entry = tuple[Predicate, int, "uuid.UUID | None", "str | None", CompiledRule]


@dataclass(frozen=True, slots=True)
class CompiledChain:
    chain_id: uuid.UUID
    name: str
    rules: tuple[CompiledRule, ...]
    entries: tuple[_Entry, ...]
    """The rules as plain tuples (predicate, code, jump target, meter, rule): the
    per-packet loop unpacks them instead of reading attributes."""
    tags: frozenset[uuid.UUID]
    """The chain's id: the topology invalidates it when the chain or any of its rules
    changes (a rule names its chain), as MidoNet tags chains, not rules."""


def user_meter(name: str | None) -> str | None:
    """A rule's `meterName` as the meter it feeds: `meters:user:NAME` (the prefix keeps
    user meters apart from the built-in ones)."""
    return None if name is None else f"meters:user:{name}"


def compile_chain(topology: Topology, chain_id: uuid.UUID) -> CompiledChain | None:
    """The chain compiled for this snapshot (None if it is not in the snapshot)."""
    chain = topology.get(Chain, chain_id)
    if chain is None:
        return None
    rules = tuple(
        CompiledRule(
            rule.id,
            position,
            _CODES.get(rule.type, _NAT),
            compile_condition(rule.condition, topology),
            rule.jump_chain_id,
            rule.meter_name,
            _nat_action(rule),
        )
        for position, rule in enumerate(topology.rules_of(chain_id), start=1)
    )
    entries = tuple(
        (r.predicate, r.code, r.jump_chain_id, user_meter(r.meter_name), r) for r in rules
    )
    return CompiledChain(chain_id, chain.name, rules, entries, frozenset((chain_id,)))


def run_filter(ctx: PacketContext, chain_id: uuid.UUID, device_id: uuid.UUID) -> int:
    """Run the filter `chain_id` of `device_id` (a port, bridge or router): ACCEPT,
    DROP or REJECT."""
    chain = ctx.sim.chain(chain_id)
    if chain is None:
        ctx.tags.add(chain_id)
        return ACCEPT  # the store keeps filters consistent; a racing delete accepts
    if ctx.trace is not None:
        ctx.step("filter", device_id, detail=(("chain", chain_id), ("name", chain.name)))
    result = _apply(ctx, chain, [], device_id)
    verdict = result if result in (DROP, REJECT) else ACCEPT
    if ctx.trace is not None:
        ctx.step("filter result", device_id, detail=(("verdict", VERDICT_NAMES[verdict]),))
    return verdict


def _apply(
    ctx: PacketContext, chain: CompiledChain, visited: list[uuid.UUID], device_id: uuid.UUID
) -> int:
    ctx.tags.update(chain.tags)
    visited.append(chain.chain_id)
    for predicate, rule_code, jump, meter, rule in chain.entries:
        if not predicate(ctx):
            continue
        code = rule_code
        if code == _NAT:
            assert rule.nat is not None
            if not _translate(ctx, rule.nat, device_id):
                if ctx.trace is not None:
                    _trace_rule(ctx, chain, rule, "not applied")
                continue
            code = rule.nat.verdict
        if meter is not None:
            ctx.meters.append(meter)
        if ctx.trace is not None:
            _trace_rule(ctx, chain, rule)
        if code == CONTINUE:
            continue
        if code != JUMP:
            return code
        decided = _jump(ctx, jump, visited, device_id)
        if decided != CONTINUE:
            return decided
    return CONTINUE


def _translate(ctx: PacketContext, action: NatAction, device_id: uuid.UUID) -> bool:
    port = ctx.sim.port(device_id)  # a port's filter translates in the port's device
    device = (port.port.device_id if port is not None else None) or device_id
    kind = action.type
    if kind is RuleType.REV_DNAT:
        return nat.reverse_dnat(ctx, device)
    if kind is RuleType.REV_SNAT:
        return nat.reverse_snat(ctx, device)
    dnat = kind is RuleType.DNAT
    if action.static:
        return nat.apply_static(
            ctx,
            device,
            dnat,
            action.static_target,
            action.matched_nw,
            action.matched_icmp_data_dst,
        )
    if dnat:
        return nat.apply_dnat(ctx, device, action.targets)
    return nat.apply_snat(ctx, device, action.targets)


def _jump(
    ctx: PacketContext,
    target_id: uuid.UUID | None,
    visited: list[uuid.UUID],
    device_id: uuid.UUID,
) -> int:
    if target_id is None:
        return CONTINUE
    target = ctx.sim.chain(target_id)
    if target is None or target_id in visited:
        ctx.tags.add(target_id)
        if ctx.trace is not None:
            why = "missing" if target is None else "already visited"
            ctx.step("jump ignored", detail=(("chain", target_id), ("why", why)))
        return CONTINUE
    code = _apply(ctx, target, visited, device_id)
    return CONTINUE if code == RETURN else code


def _trace_rule(
    ctx: PacketContext, chain: CompiledChain, rule: CompiledRule, note: str | None = None
) -> None:
    action = rule.nat.type.value if rule.nat is not None else VERDICT_NAMES[rule.code]
    detail: tuple[tuple[str, object], ...] = (
        ("chain", chain.chain_id),
        ("rule", rule.rule_id),
        ("position", rule.position),
        ("action", action),
    )
    event = "rule matched"
    if rule.nat is not None:
        detail += (("then", VERDICT_NAMES[rule.nat.verdict]),)
    if note is not None:
        detail += (("note", note),)
        event = "rule skipped"
    if rule.meter_name is not None:
        detail += (("meter", rule.meter_name),)
    ctx.step(event, detail=detail)
