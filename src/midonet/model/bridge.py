"""Virtual bridges (MidoNet's Bridge, stored as Network in topology.proto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.validation import check_min, check_name, check_range

MAX_VNI = 0xFFFFFF


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge(ModelObject):
    """An L2 device.

    `tunnel_key` identifies the bridge in tunnelled packets (flooded frames); `vni`
    is the VXLAN network id assigned when the bridge is bound to VTEPs, whose ports
    are listed in `vxlan_port_ids` (kept by the VTEP binding logic, as in MidoNet,
    not by a store binding). The other tuples after `qos_policy_id` are
    back-references the store keeps from the bindings.
    """

    KIND = "Bridge"

    name: str = ""
    tenant_id: str | None = None
    admin_state_up: bool = True
    tunnel_key: int = 0
    inbound_filter_id: uuid.UUID | None = None
    outbound_filter_id: uuid.UUID | None = None
    inbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    outbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    qos_policy_id: uuid.UUID | None = None
    vni: int | None = None
    vxlan_port_ids: tuple[uuid.UUID, ...] = ()
    # back-references
    port_ids: tuple[uuid.UUID, ...] = ()
    trace_request_ids: tuple[uuid.UUID, ...] = ()

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)
        yield from check_min("tunnel_key", self.tunnel_key, 0)
        yield from check_range("vni", self.vni, 0, MAX_VNI)
