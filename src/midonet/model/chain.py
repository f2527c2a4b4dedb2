"""Rule chains.

A chain's rule order IS the order of `rule_ids`. Rules hold no position of their own;
the API's `position` is a 1-based index into `rule_ids` (1 = first rule), and a new
rule may go anywhere from 1 to len(rule_ids) + 1 (the end). `rule_ids_with` computes
the new order and refuses a position outside that range.

The other id tuples are back-references kept by the store from the bindings: the
devices using the chain as a filter, and the jump rules that target it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import ValidationError, Violation
from midonet.model.base import ModelObject, register
from midonet.model.validation import check_name, check_unique


def insert_rule_id(
    rule_ids: tuple[uuid.UUID, ...], rule_id: uuid.UUID, position: int | None = None
) -> tuple[uuid.UUID, ...]:
    """`rule_ids` with `rule_id` at 1-based `position` (None: at the end).

    Raises ValidationError naming `position` unless 1 ≤ position ≤ len(rule_ids) + 1,
    and naming `id` if the rule is already in the chain.
    """
    if rule_id in rule_ids:
        raise ValidationError.of("id", f"rule {rule_id} is already in the chain", kind="Rule")
    if position is None:
        return (*rule_ids, rule_id)
    limit = len(rule_ids) + 1
    if isinstance(position, bool) or not 1 <= position <= limit:
        raise ValidationError.of(
            "position", f"must be between 1 and {limit}, got {position}", kind="Rule"
        )
    index = position - 1
    return (*rule_ids[:index], rule_id, *rule_ids[index:])


def move_rule_id(
    rule_ids: tuple[uuid.UUID, ...], rule_id: uuid.UUID, position: int
) -> tuple[uuid.UUID, ...]:
    """`rule_ids` with `rule_id` (already in it or not) placed at 1-based `position`.

    This is what the API needs after the store appended a new rule to its chain
    through the binding: the valid positions are 1 to the number of *other* rules + 1.
    """
    others = tuple(r for r in rule_ids if r != rule_id)
    return insert_rule_id(others, rule_id, position)


def rule_position(rule_ids: tuple[uuid.UUID, ...], rule_id: uuid.UUID) -> int:
    """The 1-based position of `rule_id` in `rule_ids` (ValueError if absent)."""
    return rule_ids.index(rule_id) + 1


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Chain(ModelObject):
    KIND = "Chain"

    name: str = ""
    tenant_id: str | None = None
    rule_ids: tuple[uuid.UUID, ...] = ()
    # back-references
    jump_rule_ids: tuple[uuid.UUID, ...] = ()
    bridge_inbound_ids: tuple[uuid.UUID, ...] = ()
    bridge_outbound_ids: tuple[uuid.UUID, ...] = ()
    router_inbound_ids: tuple[uuid.UUID, ...] = ()
    router_outbound_ids: tuple[uuid.UUID, ...] = ()
    port_inbound_ids: tuple[uuid.UUID, ...] = ()
    port_outbound_ids: tuple[uuid.UUID, ...] = ()

    def rule_ids_with(
        self, rule_id: uuid.UUID, position: int | None = None
    ) -> tuple[uuid.UUID, ...]:
        """This chain's `rule_ids` with `rule_id` inserted at 1-based `position`."""
        return insert_rule_id(self.rule_ids, rule_id, position)

    def position_of(self, rule_id: uuid.UUID) -> int:
        return rule_position(self.rule_ids, rule_id)

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)
        yield from check_unique("rule_ids", self.rule_ids)
