"""Port mirroring: copy matching packets to another port (guide, port mirroring)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.condition import Condition


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Mirror(ModelObject):
    """A mirror sends a copy of every packet matching any of `conditions` (none: every
    packet) to `to_port_id`. It is applied by listing it in a device's or port's
    mirror ids; the tuples after `conditions` are those back-references."""

    KIND = "Mirror"

    to_port_id: uuid.UUID | None = None
    conditions: tuple[Condition, ...] = ()
    # back-references
    bridge_inbound_ids: tuple[uuid.UUID, ...] = ()
    bridge_outbound_ids: tuple[uuid.UUID, ...] = ()
    router_inbound_ids: tuple[uuid.UUID, ...] = ()
    router_outbound_ids: tuple[uuid.UUID, ...] = ()
    port_inbound_ids: tuple[uuid.UUID, ...] = ()
    port_outbound_ids: tuple[uuid.UUID, ...] = ()
    port_post_in_filter_ids: tuple[uuid.UUID, ...] = ()
    port_pre_out_filter_ids: tuple[uuid.UUID, ...] = ()

    def _normalize(self) -> None:
        resolved = tuple(c.resolved() for c in self.conditions)
        if resolved != self.conditions:
            object.__setattr__(self, "conditions", resolved)

    def _violations(self) -> Iterator[Violation]:
        if self.to_port_id is None:
            yield Violation("to_port_id", "is required")
