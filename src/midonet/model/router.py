"""Virtual routers (MidoNet's Router)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.validation import MAX_UINT32, check_name, check_range


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Router(ModelObject):
    """An L3 device. The id tuples after `outbound_mirror_ids` are back-references the
    store keeps from the bindings (ports, routes, BGP, trace requests)."""

    KIND = "Router"

    name: str = ""
    tenant_id: str | None = None
    admin_state_up: bool = True
    inbound_filter_id: uuid.UUID | None = None
    outbound_filter_id: uuid.UUID | None = None
    load_balancer_id: uuid.UUID | None = None
    as_number: int | None = None
    """The local AS for BGP; None while BGP is not configured (MidoNet stores -1)."""
    inbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    outbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    # back-references
    port_ids: tuple[uuid.UUID, ...] = ()
    route_ids: tuple[uuid.UUID, ...] = ()
    bgp_network_ids: tuple[uuid.UUID, ...] = ()
    bgp_peer_ids: tuple[uuid.UUID, ...] = ()
    trace_request_ids: tuple[uuid.UUID, ...] = ()

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)
        yield from check_range("as_number", self.as_number, 1, MAX_UINT32)
