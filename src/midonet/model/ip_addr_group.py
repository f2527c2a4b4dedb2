"""IP address groups: named sets of addresses that rule conditions can match on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPAddress, ModelObject, register
from midonet.model.validation import check_name, check_unique


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class IPAddrGroup(ModelObject):
    """A named set of IPv4 and IPv6 addresses (MidoNet's IpAddrGroup; name required)."""

    KIND = "IPAddrGroup"

    name: str
    addresses: tuple[IPAddress, ...] = ()

    def __contains__(self, address: object) -> bool:
        return address in self.addresses

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name, required=True)
        yield from check_unique("addresses", self.addresses)
