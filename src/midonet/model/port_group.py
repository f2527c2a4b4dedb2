"""Port groups: named sets of ports that rule conditions can match on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.validation import check_name


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PortGroup(ModelObject):
    """`stateful` groups share connection-tracking and NAT state among their ports, so a
    return flow may come back through any member (e.g. several uplinks)."""

    KIND = "PortGroup"

    name: str = ""
    tenant_id: str | None = None
    stateful: bool = False
    # back-reference (bound to Port.port_group_ids)
    port_ids: tuple[uuid.UUID, ...] = ()

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)
