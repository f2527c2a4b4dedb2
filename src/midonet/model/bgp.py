"""BGP on routers: peers to talk to and networks to announce."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPAddress, IPNetwork, ModelObject, register
from midonet.model.validation import MAX_UINT32, check_prefix, check_range, prefix


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class BgpPeer(ModelObject):
    """A BGP neighbour of `router_id`. Timers are in seconds; None leaves the routing
    daemon's default. Ranges are MidoNet's (keep-alive and connect-retry 5-3600,
    hold time 5-7200)."""

    KIND = "BgpPeer"

    as_number: int
    address: IPAddress
    keep_alive: int | None = None
    hold_time: int | None = None
    connect_retry: int | None = None
    password: str | None = None
    router_id: uuid.UUID | None = None

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("as_number", self.as_number, 1, MAX_UINT32)
        yield from check_range("keep_alive", self.keep_alive, 5, 3600)
        yield from check_range("hold_time", self.hold_time, 5, 7200)
        yield from check_range("connect_retry", self.connect_retry, 5, 3600)
        if (
            self.keep_alive is not None
            and self.hold_time is not None
            and self.keep_alive > self.hold_time
        ):
            # Equal is allowed: the guide's chapter 6 sets keep-alive 5, hold-time 5.
            yield Violation("keep_alive", "must not be longer than hold_time")


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class BgpNetwork(ModelObject):
    """A prefix `router_id` announces to its peers (address + length, as the API)."""

    KIND = "BgpNetwork"

    subnet_address: IPAddress
    subnet_length: int
    router_id: uuid.UUID | None = None

    @property
    def subnet(self) -> IPNetwork:
        net = prefix(self.subnet_address, self.subnet_length)
        assert net is not None
        return net

    def _violations(self) -> Iterator[Violation]:
        yield from check_prefix("subnet", self.subnet_address, self.subnet_length)
