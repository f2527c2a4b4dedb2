"""Tunnel zones: the hosts that tunnel to each other, and the address each one uses."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPAddress, ModelObject, register
from midonet.model.validation import check_name, check_unique


class TunnelZoneType(enum.Enum):
    """The encapsulation between members (values as the REST API spells them)."""

    GRE = "gre"
    VXLAN = "vxlan"
    VTEP = "vtep"


@dataclass(frozen=True, slots=True, kw_only=True)
class TunnelZoneHost:
    """A member: a host and the address its peers send tunnelled packets to."""

    host_id: uuid.UUID
    ip_address: IPAddress


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class TunnelZone(ModelObject):
    """A tunnel zone.

    Membership is kept twice, as in topology.proto: `hosts` maps each member to its
    tunnel address, `host_ids` is the bound field (Host.tunnel_zone_ids) the store
    maintains. `host_ids` is the authority: an entry of `hosts` whose host is not in
    `host_ids` is dropped when the zone is built, which is what happens when the store
    clears a deleted host. Change membership with `with_member` / `without_member`,
    which keep both in step; every id in `host_ids` needs its entry in `hosts`.
    """

    KIND = "TunnelZone"

    name: str
    type: TunnelZoneType
    hosts: tuple[TunnelZoneHost, ...] = ()
    host_ids: tuple[uuid.UUID, ...] = ()

    def address_of(self, host_id: uuid.UUID) -> IPAddress | None:
        return next((h.ip_address for h in self.hosts if h.host_id == host_id), None)

    def with_member(self, host_id: uuid.UUID, ip_address: IPAddress) -> TunnelZone:
        """This zone with `host_id` as a member at `ip_address` (replacing its address)."""
        hosts = (
            *(h for h in self.hosts if h.host_id != host_id),
            TunnelZoneHost(host_id=host_id, ip_address=ip_address),
        )
        ids = self.host_ids if host_id in self.host_ids else (*self.host_ids, host_id)
        return self.replace(hosts=hosts, host_ids=ids)

    def without_member(self, host_id: uuid.UUID) -> TunnelZone:
        return self.replace(
            hosts=tuple(h for h in self.hosts if h.host_id != host_id),
            host_ids=tuple(i for i in self.host_ids if i != host_id),
        )

    def _normalize(self) -> None:
        members = set(self.host_ids)
        if any(h.host_id not in members for h in self.hosts):
            kept = tuple(h for h in self.hosts if h.host_id in members)
            object.__setattr__(self, "hosts", kept)

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name, required=True)
        yield from check_unique("host_ids", self.host_ids)
        yield from check_unique("hosts", (h.host_id for h in self.hosts))
        with_address = {h.host_id for h in self.hosts}
        for host_id in self.host_ids:
            if host_id not in with_address:
                yield Violation("hosts", f"member {host_id} has no address")
        if self.type is TunnelZoneType.VTEP:
            for h in self.hosts:
                if h.ip_address.version != 4:
                    yield Violation("hosts", "a VTEP zone needs IPv4 member addresses")
                    break
