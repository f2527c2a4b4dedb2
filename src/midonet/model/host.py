"""Hosts running the agent, and their network interfaces."""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import ValidationError, Violation
from midonet.model.base import IPAddress, ModelObject, register
from midonet.model.mac import normalize_mac
from midonet.model.validation import check_mac, check_min, check_name, check_range

MAX_INT32 = 0x7FFF_FFFF


class InterfaceType(enum.Enum):
    PHYSICAL = "Physical"
    VIRTUAL = "Virtual"
    TUNNEL = "Tunnel"
    UNKNOWN = "Unknown"


class InterfaceEndpoint(enum.Enum):
    """What the interface is attached to, as the agent reports it."""

    DATAPATH = "DATAPATH"
    PHYSICAL = "PHYSICAL"
    VM = "VM"
    GRE = "GRE"
    CAPWAP = "CAPWAP"
    LOCALHOST = "LOCALHOST"
    TUNTAP = "TUNTAP"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True, kw_only=True)
class HostInterface:
    """A network interface of a host, as its agent reports it (MidoNet's Interface)."""

    name: str
    mac: str | None = None
    mtu: int = 0
    addresses: tuple[IPAddress, ...] = ()
    type: InterfaceType = InterfaceType.UNKNOWN
    endpoint: InterfaceEndpoint = InterfaceEndpoint.UNKNOWN
    up: bool = False
    has_link: bool = False

    def __post_init__(self) -> None:
        if self.mac is not None:
            with contextlib.suppress(ValueError):  # reported below
                object.__setattr__(self, "mac", normalize_mac(self.mac))
        problems = [
            *check_name("name", self.name, required=True),
            *check_mac("mac", self.mac),
            *check_min("mtu", self.mtu, 0),
        ]
        if problems:
            raise ValidationError(problems, kind="HostInterface")

    @property
    def status(self) -> int:
        """The REST API's status bits: 1 = up, 2 = has link."""
        return (1 if self.up else 0) | (2 if self.has_link else 0)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Host(ModelObject):
    """A host with an agent.

    `addresses`, `interfaces` and `alive` are state the agent publishes, not
    configuration; they are here because the REST model shows them with the host, and
    the store fills them from its state tables when it serves a host.

    `flooding_proxy_weight` ranks hosts for the VTEP flooding-proxy election (0: never);
    `container_weight`/`container_limit` steer service-container scheduling (-1: no
    limit).
    """

    KIND = "Host"

    name: str = ""
    addresses: tuple[IPAddress, ...] = ()
    interfaces: tuple[HostInterface, ...] = ()
    alive: bool = False
    flooding_proxy_weight: int = 1
    container_weight: int = 1
    container_limit: int = -1
    enforce_container_limit: bool = False
    # back-references
    tunnel_zone_ids: tuple[uuid.UUID, ...] = ()
    port_ids: tuple[uuid.UUID, ...] = ()

    def interface(self, name: str) -> HostInterface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)
        yield from check_range("flooding_proxy_weight", self.flooding_proxy_weight, 0, 0xFFFF)
        yield from check_range("container_weight", self.container_weight, 0, MAX_INT32)
        yield from check_range("container_limit", self.container_limit, -1, MAX_INT32)
        names = [i.name for i in self.interfaces]
        if len(set(names)) != len(names):
            yield Violation("interfaces", "interface names must be unique")
