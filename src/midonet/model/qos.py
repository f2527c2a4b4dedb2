"""QoS policies and their rules: bandwidth limits and DSCP marking."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.validation import check_name, check_range

MAX_INT32 = 0x7FFF_FFFF
MAX_DSCP = 63


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class QosPolicy(ModelObject):
    """A policy applied to ports and bridges (their `qos_policy_id`); its rules are
    separate objects bound through the rule-id tuples."""

    KIND = "QosPolicy"

    name: str = ""
    description: str = ""
    shared: bool = False
    tenant_id: str | None = None
    bandwidth_limit_rule_ids: tuple[uuid.UUID, ...] = ()
    dscp_marking_rule_ids: tuple[uuid.UUID, ...] = ()
    # back-references
    port_ids: tuple[uuid.UUID, ...] = ()
    bridge_ids: tuple[uuid.UUID, ...] = ()

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class QosRuleBandwidthLimit(ModelObject):
    """Police traffic to `max_kbps`, allowing bursts of `max_burst_kbps` (None: the
    agent's default burst)."""

    KIND = "QosRuleBandwidthLimit"

    max_kbps: int
    max_burst_kbps: int | None = None
    policy_id: uuid.UUID | None = None

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("max_kbps", self.max_kbps, 0, MAX_INT32)
        yield from check_range("max_burst_kbps", self.max_burst_kbps, 0, MAX_INT32)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class QosRuleDscp(ModelObject):
    """Set the DSCP bits (the top six of the IP TOS byte) to `dscp_mark`."""

    KIND = "QosRuleDscp"

    dscp_mark: int
    policy_id: uuid.UUID | None = None

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("dscp_mark", self.dscp_mark, 0, MAX_DSCP)
