"""Virtual ports of bridges and routers (MidoNet's Port, BridgePort, RouterPort).

A port's `type` is only BRIDGE or ROUTER: whether it is interior or exterior is not
stored but follows from its links, as in MidoNet 5: a port peered with another port
(`peer_id`) is interior, a port bound to a host interface (`host_id` +
`interface_name`) is exterior, and a port with neither is unplugged. A port cannot be
both; the model refuses it.

The device is `bridge_id` for a bridge port and `router_id` for a router port (the
fields topology.proto and the REST API use). The model allows a port with no device
yet so that the store can build and clear references in any order; the API requires
one when a port is created.

A router port's primary subnet is `network_address`/`network_length` with the port's
own `port_address` inside it; `port_subnets` lists all its subnets with the primary
one first (MidoNet's `port_subnet`). Either form may be given; the other is derived.
A router port without a MAC gets one in MidoNet's OUI, as MidoNet does.
"""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPNetwork, ModelObject, register
from midonet.model.mac import mac_to_int, normalize_mac, random_port_mac
from midonet.model.validation import (
    MAX_VLAN,
    check_mac,
    check_min,
    check_prefix,
    check_range,
    check_unique,
)

_MULTICAST_BIT = 1 << 40


class PortType(enum.Enum):
    """The kind of device a port belongs to (values as the REST API spells them)."""

    BRIDGE = "Bridge"
    ROUTER = "Router"


_ROUTER_ONLY = ("port_address", "network_address", "network_length", "port_mac")


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Port(ModelObject):
    KIND = "Port"

    type: PortType
    bridge_id: uuid.UUID | None = None
    router_id: uuid.UUID | None = None
    admin_state_up: bool = True
    inbound_filter_id: uuid.UUID | None = None
    outbound_filter_id: uuid.UUID | None = None
    tunnel_key: int = 0
    host_id: uuid.UUID | None = None
    interface_name: str | None = None
    peer_id: uuid.UUID | None = None
    vlan_id: int | None = None
    """Bridge ports only: the VLAN whose frames go through this (interior) port."""
    port_address: ipaddress.IPv4Address | None = None
    network_address: ipaddress.IPv4Address | None = None
    network_length: int | None = None
    port_mac: str | None = None
    port_subnets: tuple[IPNetwork, ...] = ()
    port_group_ids: tuple[uuid.UUID, ...] = ()
    qos_policy_id: uuid.UUID | None = None
    inbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    outbound_mirror_ids: tuple[uuid.UUID, ...] = ()
    post_in_filter_mirror_ids: tuple[uuid.UUID, ...] = ()
    pre_out_filter_mirror_ids: tuple[uuid.UUID, ...] = ()
    # back-references
    route_ids: tuple[uuid.UUID, ...] = ()
    mirror_ids: tuple[uuid.UUID, ...] = ()
    """Mirrors whose destination is this port."""
    trace_request_ids: tuple[uuid.UUID, ...] = ()

    # --- derived --------------------------------------------------------------------

    @property
    def device_id(self) -> uuid.UUID | None:
        return self.router_id if self.type is PortType.ROUTER else self.bridge_id

    @property
    def is_interior(self) -> bool:
        """Peered with another device's port."""
        return self.peer_id is not None

    @property
    def is_exterior(self) -> bool:
        """Bound to an interface of a host."""
        return self.host_id is not None

    @property
    def is_router_port(self) -> bool:
        return self.type is PortType.ROUTER

    @property
    def is_bridge_port(self) -> bool:
        return self.type is PortType.BRIDGE

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        """The primary subnet of a router port."""
        if self.network_address is None or self.network_length is None:
            return None
        return ipaddress.IPv4Network(f"{self.network_address}/{self.network_length}", strict=False)

    # --- construction ---------------------------------------------------------------

    def _normalize(self) -> None:
        if self.type is not PortType.ROUTER:
            return
        set_ = object.__setattr__
        if self.port_mac is None:
            set_(self, "port_mac", random_port_mac())
        else:
            with contextlib.suppress(ValueError):  # reported by _violations
                set_(self, "port_mac", normalize_mac(self.port_mac))
        if self.network_length is None and self.network_address is None:
            first = next((s for s in self.port_subnets if s.version == 4), None)
            if first is not None:
                set_(self, "network_address", first.network_address)
                set_(self, "network_length", first.prefixlen)
        if (
            self.network_address is None
            and self.port_address is not None
            and self.network_length is not None
            and 0 <= self.network_length <= 32
        ):
            net = ipaddress.IPv4Network(f"{self.port_address}/{self.network_length}", strict=False)
            set_(self, "network_address", net.network_address)
        if not self.port_subnets and self.network_address is not None:
            network = self._strict_network()
            if network is not None:
                set_(self, "port_subnets", (network,))

    def _strict_network(self) -> ipaddress.IPv4Network | None:
        if self.network_address is None or self.network_length is None:
            return None
        try:
            return ipaddress.IPv4Network(f"{self.network_address}/{self.network_length}")
        except ValueError:
            return None

    def _violations(self) -> Iterator[Violation]:
        yield from check_min("tunnel_key", self.tunnel_key, 0)
        yield from check_unique("port_group_ids", self.port_group_ids)
        if self.peer_id is not None:
            if self.peer_id == self.id:
                yield Violation("peer_id", "a port cannot be linked to itself")
            if self.host_id is not None:
                yield Violation(
                    "peer_id", "an interior (linked) port cannot also be bound to a host"
                )
        if self.host_id is not None and not self.interface_name:
            yield Violation("interface_name", "is required when the port is bound to a host")
        if self.type is PortType.BRIDGE:
            yield from self._bridge_violations()
        else:
            yield from self._router_violations()

    def _bridge_violations(self) -> Iterator[Violation]:
        if self.router_id is not None:
            yield Violation("router_id", "a bridge port belongs to a bridge (bridge_id)")
        yield from check_range("vlan_id", self.vlan_id, 0, MAX_VLAN)
        for name in _ROUTER_ONLY:
            if getattr(self, name) is not None:
                yield Violation(name, "is only for router ports")
        if self.port_subnets:
            yield Violation("port_subnets", "is only for router ports")

    def _router_violations(self) -> Iterator[Violation]:
        if self.bridge_id is not None:
            yield Violation("bridge_id", "a router port belongs to a router (router_id)")
        if self.vlan_id is not None:
            yield Violation("vlan_id", "is only for bridge ports")
        yield from check_mac("port_mac", self.port_mac)
        if self.port_mac is not None and _is_multicast(self.port_mac):
            yield Violation("port_mac", f"must be a unicast MAC, got {self.port_mac}")
        if self.network_address is None:
            if self.network_length is not None:
                yield Violation("network_address", "is required with network_length")
            if self.port_address is not None:
                yield Violation("network_length", "is required with port_address")
            return
        if self.network_length is None:
            yield Violation("network_length", "is required with network_address")
            return
        good_length = True
        for v in check_prefix("network", self.network_address, self.network_length):
            good_length = False
            yield v
        if not good_length:
            return
        network = self._strict_network()
        if network is None:
            yield Violation(
                "network_address",
                f"{self.network_address} has host bits set for a /{self.network_length}",
            )
            return
        if self.port_address is not None and self.port_address not in network:
            yield Violation("port_address", f"{self.port_address} is not inside {network}")
        if network not in self.port_subnets:
            yield Violation("port_subnets", f"must include the port's network {network}")
        yield from check_unique("port_subnets", self.port_subnets)


def _is_multicast(mac: str) -> bool:
    try:
        return bool(mac_to_int(mac) & _MULTICAST_BIT)
    except ValueError:
        return False
