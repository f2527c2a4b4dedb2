"""L4 load balancing: LoadBalancer, Pool, PoolMember, Vip, HealthMonitor (guide ch. 9).

A load balancer hangs off a router (Router.load_balancer_id); its pools hold members
(back-end servers) and VIPs (front-end addresses). Only what MidoNet supports is
expressible: TCP, round robin, source-IP session persistence, TCP health checks.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import IPAddress, ModelObject, register
from midonet.model.validation import MAX_PORT, check_min, check_range


class LBStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    MONITORED = "MONITORED"
    """The real status is in state storage (health-monitored members)."""


class PoolProtocol(enum.Enum):
    TCP = "TCP"


class PoolLBMethod(enum.Enum):
    ROUND_ROBIN = "ROUND_ROBIN"


class PoolHealthMonitorMappingStatus(enum.Enum):
    """Where the health monitor's attachment to a pool is in its life cycle."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"


class SessionPersistence(enum.Enum):
    SOURCE_IP = "SOURCE_IP"


class HealthMonitorType(enum.Enum):
    TCP = "TCP"


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancer(ModelObject):
    """`router_id` is the router it serves (bound to Router.load_balancer_id)."""

    KIND = "LoadBalancer"

    admin_state_up: bool = True
    router_id: uuid.UUID | None = None
    # back-references
    pool_ids: tuple[uuid.UUID, ...] = ()
    vip_ids: tuple[uuid.UUID, ...] = ()


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Pool(ModelObject):
    KIND = "Pool"

    load_balancer_id: uuid.UUID | None = None
    health_monitor_id: uuid.UUID | None = None
    admin_state_up: bool = True
    protocol: PoolProtocol = PoolProtocol.TCP
    lb_method: PoolLBMethod = PoolLBMethod.ROUND_ROBIN
    status: LBStatus = LBStatus.ACTIVE
    mapping_status: PoolHealthMonitorMappingStatus | None = None
    # back-references
    pool_member_ids: tuple[uuid.UUID, ...] = ()
    vip_ids: tuple[uuid.UUID, ...] = ()


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PoolMember(ModelObject):
    """A back-end server. Weight 0 takes it out of rotation (the guide's example uses
    it); the REST API of MidoNet asks for at least 1 on create, the store allows 0."""

    KIND = "PoolMember"

    pool_id: uuid.UUID | None = None
    address: IPAddress
    protocol_port: int
    weight: int = 1
    admin_state_up: bool = True
    status: LBStatus = LBStatus.ACTIVE

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("protocol_port", self.protocol_port, 0, MAX_PORT)
        yield from check_min("weight", self.weight, 0)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Vip(ModelObject):
    """A front-end address of a pool; with SOURCE_IP persistence a client sticks to the
    member it was first sent to."""

    KIND = "Vip"

    pool_id: uuid.UUID | None = None
    load_balancer_id: uuid.UUID | None = None
    address: IPAddress
    protocol_port: int
    session_persistence: SessionPersistence | None = None
    admin_state_up: bool = True

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("protocol_port", self.protocol_port, 0, MAX_PORT)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class HealthMonitor(ModelObject):
    """A TCP health check: every `delay` seconds, wait `timeout` seconds for a connect;
    after `max_retries` failures in a row the member is marked down."""

    KIND = "HealthMonitor"

    type: HealthMonitorType = HealthMonitorType.TCP
    delay: int
    timeout: int
    max_retries: int
    admin_state_up: bool = True
    status: LBStatus = LBStatus.ACTIVE
    # back-references
    pool_ids: tuple[uuid.UUID, ...] = ()

    def _violations(self) -> Iterator[Violation]:
        yield from check_min("delay", self.delay, 1)
        yield from check_min("timeout", self.timeout, 1)
        yield from check_min("max_retries", self.max_retries, 1)
