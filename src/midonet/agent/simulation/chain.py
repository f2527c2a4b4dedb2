"""Rule chains: compiled once per snapshot, run as filters on ports and devices.

Semantics of MidoNet's Chain.apply: rules run in position order until one decides.
ACCEPT, DROP and REJECT end the whole filter; RETURN ends the current chain (a jump
target returns to its caller, which continues with its next rule; at the top it
accepts); CONTINUE goes on; JUMP runs the target chain and continues after the jump
unless the target decided. A jump to a missing chain or to a chain already visited
during this filter (loop protection) is ignored. A filter that ends without a
decision accepts.

NAT rules (dnat/snat/rev_*) need the NAT state of a later issue: until then a
matching NAT rule is skipped (recorded in the trace).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from midonet.agent.simulation.condition import Predicate, compile_condition
from midonet.model import Chain, RuleType

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


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: uuid.UUID
    position: int
    code: int
    predicate: Predicate
    jump_chain_id: uuid.UUID | None
    meter_name: str | None


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
        )
        for position, rule in enumerate(topology.rules_of(chain_id), start=1)
    )
    entries = tuple((r.predicate, r.code, r.jump_chain_id, r.meter_name, r) for r in rules)
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
    result = _apply(ctx, chain, [])
    verdict = result if result in (DROP, REJECT) else ACCEPT
    if ctx.trace is not None:
        ctx.step("filter result", device_id, detail=(("verdict", VERDICT_NAMES[verdict]),))
    return verdict


def _apply(ctx: PacketContext, chain: CompiledChain, visited: list[uuid.UUID]) -> int:
    ctx.tags.update(chain.tags)
    visited.append(chain.chain_id)
    for predicate, code, jump, meter, rule in chain.entries:
        if not predicate(ctx):
            continue
        if meter is not None:
            ctx.meters.append(meter)
        if ctx.trace is not None:
            _trace_rule(ctx, chain, rule)
        if code in (CONTINUE, _NAT):
            continue
        if code != JUMP:
            return code
        decided = _jump(ctx, jump, visited)
        if decided != CONTINUE:
            return decided
    return CONTINUE


def _jump(ctx: PacketContext, target_id: uuid.UUID | None, visited: list[uuid.UUID]) -> int:
    if target_id is None:
        return CONTINUE
    target = ctx.sim.chain(target_id)
    if target is None or target_id in visited:
        ctx.tags.add(target_id)
        if ctx.trace is not None:
            why = "missing" if target is None else "already visited"
            ctx.step("jump ignored", detail=(("chain", target_id), ("why", why)))
        return CONTINUE
    code = _apply(ctx, target, visited)
    return CONTINUE if code == RETURN else code


def _trace_rule(ctx: PacketContext, chain: CompiledChain, rule: CompiledRule) -> None:
    detail: tuple[tuple[str, object], ...] = (
        ("chain", chain.chain_id),
        ("rule", rule.rule_id),
        ("position", rule.position),
        ("action", VERDICT_NAMES[rule.code]),
    )
    if rule.code == _NAT:
        detail += (("note", "NAT not applied: needs NAT state"),)
    if rule.meter_name is not None:
        detail += (("meter", rule.meter_name),)
    ctx.step("rule matched", detail=detail)
