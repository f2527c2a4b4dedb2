"""Rules: a condition plus what to do with a packet that matches it.

A rule stores no position. Its place is its index in its chain's `rule_ids` (see
`midonet.model.chain`): positions are 1-based indexes into `Chain.rule_ids`, so
moving a rule is an update of the chain alone and there is no second copy of the
order to drift.

Fragment policy follows MidoNet (guide, text under table 7.2; Condition.java and
ForwardNatRule.java): left unset it becomes HEADER when L4 ports are matched and ANY
otherwise; a dnat/snat rule accepts only UNFRAGMENTED (its default) unless it is a
floating IP (one target, one address, no ports, no L4 fields), whose default is ANY.
The resolved policy is stored on the rule's condition.
"""

from __future__ import annotations

import enum
import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from midonet.errors import ValidationError, Violation
from midonet.model.base import IPAddress, ModelObject, register
from midonet.model.condition import Condition, FragmentPolicy
from midonet.model.validation import (
    MAX_PORT,
    check_name,
    check_range,
    check_same_family,
)


class RuleType(enum.Enum):
    """The rule's type (values as the REST API and the CLI's `type` spell them)."""

    ACCEPT = "accept"
    CONTINUE = "continue"
    DROP = "drop"
    REJECT = "reject"
    RETURN = "return"
    JUMP = "jump"
    DNAT = "dnat"
    SNAT = "snat"
    REV_DNAT = "rev_dnat"
    REV_SNAT = "rev_snat"

    @property
    def is_nat(self) -> bool:
        return self in _NAT_TYPES

    @property
    def is_forward_nat(self) -> bool:
        return self in (RuleType.DNAT, RuleType.SNAT)


_NAT_TYPES = frozenset({RuleType.DNAT, RuleType.SNAT, RuleType.REV_DNAT, RuleType.REV_SNAT})


class FlowAction(enum.Enum):
    """What a NAT rule does after rewriting the packet (the CLI's `action`)."""

    ACCEPT = "accept"
    CONTINUE = "continue"
    RETURN = "return"


@dataclass(frozen=True, slots=True, kw_only=True)
class NatTarget:
    """An address range and an optional L4 port range to translate to.

    Ports 0/0 mean "keep the packet's port" (MidoNet's default when a target gives no
    ports).
    """

    address_from: IPAddress
    address_to: IPAddress
    port_from: int = 0
    port_to: int = 0

    def __post_init__(self) -> None:
        problems = list(self._violations())
        if problems:
            raise ValidationError(problems, kind="NatTarget")

    def _violations(self) -> Iterator[Violation]:
        if self.address_from.version != self.address_to.version:
            yield from check_same_family("address_to", self.address_from, self.address_to)
        elif int(self.address_from) > int(self.address_to):
            yield Violation(
                "address_from",
                f"must not exceed address_to ({self.address_from} > {self.address_to})",
            )
        yield from check_range("port_from", self.port_from, 0, MAX_PORT)
        yield from check_range("port_to", self.port_to, 0, MAX_PORT)
        if self.port_from > self.port_to:
            yield Violation(
                "port_from", f"must not exceed port_to ({self.port_from} > {self.port_to})"
            )

    @classmethod
    def parse(cls, text: str) -> NatTarget:
        """A target in the CLI's spelling `IP[-IP][:port[-port]]`; ValidationError
        names what is wrong."""
        addresses, _, ports = text.strip().partition(":")
        low, _, high = addresses.partition("-")
        port_low, _, port_high = ports.partition("-")
        try:
            first = ipaddress.ip_address(low)
            last = ipaddress.ip_address(high) if high else first
            port_from = int(port_low) if port_low else 0
            port_to = int(port_high) if port_high else port_from
        except ValueError as e:
            raise ValidationError(
                [Violation("nat_targets", f"{text!r} is not IP[-IP][:port[-port]]: {e}")],
                kind="NatTarget",
            ) from None
        return cls(address_from=first, address_to=last, port_from=port_from, port_to=port_to)

    @property
    def is_single_address(self) -> bool:
        return self.address_from == self.address_to

    @property
    def has_ports(self) -> bool:
        return self.port_from != 0 or self.port_to != 0


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(ModelObject):
    """One rule of a chain. `chain_id` is the owning chain (bound to Chain.rule_ids)."""

    KIND = "Rule"

    type: RuleType
    chain_id: uuid.UUID | None = None
    condition: Condition = field(default_factory=Condition)
    jump_chain_id: uuid.UUID | None = None
    jump_chain_name: str | None = None
    flow_action: FlowAction | None = None
    nat_targets: tuple[NatTarget, ...] = ()
    meter_name: str | None = None

    @property
    def is_nat(self) -> bool:
        return self.type.is_nat

    @property
    def is_floating_ip(self) -> bool:
        """One target that is one address with no ports (MidoNet's isFloatingIp)."""
        return (
            len(self.nat_targets) == 1
            and self.nat_targets[0].is_single_address
            and not self.nat_targets[0].has_ports
        )

    @property
    def unfragmented_only(self) -> bool:
        """A dnat/snat rule that may only match unfragmented packets (see module doc)."""
        return self.type.is_forward_nat and (
            not self.is_floating_ip or self.condition.has_l4_fields
        )

    @property
    def fragment_policy(self) -> FragmentPolicy:
        return self.condition.effective_fragment_policy

    def _normalize(self) -> None:
        if self.condition.fragment_policy is None:
            policy = (
                FragmentPolicy.UNFRAGMENTED
                if self.unfragmented_only
                else self.condition.default_fragment_policy
            )
            object.__setattr__(self, "condition", self.condition.with_fragment_policy(policy))

    def _violations(self) -> Iterator[Violation]:
        t = self.type
        if t is RuleType.JUMP:
            if self.jump_chain_id is None:
                yield Violation("jump_chain_id", "is required for a jump rule")
            elif self.jump_chain_id == self.chain_id:
                yield Violation("jump_chain_id", "a chain cannot jump to itself")
        else:
            if self.jump_chain_id is not None:
                yield Violation("jump_chain_id", f"is only for jump rules, not {t.value}")
            if self.jump_chain_name is not None:
                yield Violation("jump_chain_name", f"is only for jump rules, not {t.value}")
        if t.is_nat:
            if self.flow_action is None:
                yield Violation("flow_action", f"is required for a {t.value} rule")
        elif self.flow_action is not None:
            yield Violation("flow_action", f"is only for NAT rules, not {t.value}")
        if t.is_forward_nat:
            if not self.nat_targets:
                yield Violation("nat_targets", f"a {t.value} rule needs at least one target")
        elif self.nat_targets:
            yield Violation("nat_targets", f"are only for dnat and snat rules, not {t.value}")
        if self.unfragmented_only and self.condition.fragment_policy not in (
            None,
            FragmentPolicy.UNFRAGMENTED,
        ):
            yield Violation(
                "condition.fragment_policy",
                f"a {t.value} rule whose target is not a single address without ports, or "
                "that matches L4 ports, may only match unfragmented packets",
            )
        yield from check_name("meter_name", self.meter_name)
