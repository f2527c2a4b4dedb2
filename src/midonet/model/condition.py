"""The match part of a rule, a mirror or a trace request (MidoNet's Condition).

Every attribute of the guide's tables 7.1/7.2 is here with its inversion flag. A field
left at None (or empty) does not take part in the match. IP prefixes are kept as an
address plus a length, as MidoNet's API does (`nw_src_address`/`nw_src_length`), so
that a prefix like 10.0.0.1/24 survives unchanged and a bad length can be named (a
length left out means the whole address: /32 or /128); the `nw_src`/`nw_dst`
properties give the network.

`fragment_policy` may be None here, meaning "the default": the default depends on
whether the condition has L4 fields and, for NAT rules, on the rule's targets, so the
owner (Rule, Mirror, TraceRequest) resolves it when it is built and stores the
explicit value, as MidoNet stores it.
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

from midonet.errors import ValidationError, Violation
from midonet.model.base import IPAddress, IPNetwork
from midonet.model.mac import MAC_MASK_ALL, format_mac_mask, normalize_mac
from midonet.model.validation import (
    MAX_VLAN,
    PortRange,
    check_mac,
    check_prefix,
    check_range,
    check_unique,
    max_prefix_length,
    prefix,
)


class FragmentPolicy(enum.Enum):
    """Which IP fragments a condition matches (values as the REST API spells them)."""

    ANY = "any"
    """Every packet."""
    NONHEADER = "nonheader"
    """Only fragments after the first (they carry no L4 header)."""
    HEADER = "header"
    """Packets with a full header: unfragmented packets and first fragments."""
    UNFRAGMENTED = "unfragmented"
    """Only unfragmented packets."""


_PREFIXES = ("nw_src", "nw_dst", "icmp_data_src_ip", "icmp_data_dst_ip")

MIN_DL_TYPE = 0x0600
"""EtherType values start here; smaller values are 802.3 lengths (MidoNet's @Min)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A conjunction of packet attributes, optionally inverted as a whole (`cond_invert`)."""

    cond_invert: bool = False
    match_forward_flow: bool = False
    match_return_flow: bool = False

    in_port_ids: tuple[uuid.UUID, ...] = ()
    inv_in_ports: bool = False
    out_port_ids: tuple[uuid.UUID, ...] = ()
    inv_out_ports: bool = False

    port_group_id: uuid.UUID | None = None
    inv_port_group: bool = False
    in_port_group_id: uuid.UUID | None = None
    inv_in_port_group: bool = False
    out_port_group_id: uuid.UUID | None = None
    inv_out_port_group: bool = False

    ip_addr_group_src_id: uuid.UUID | None = None
    inv_ip_addr_group_src: bool = False
    ip_addr_group_dst_id: uuid.UUID | None = None
    inv_ip_addr_group_dst: bool = False

    traversed_device: uuid.UUID | None = None
    inv_traversed_device: bool = False

    vlan: int | None = None
    no_vlan: bool = False

    dl_type: int | None = None
    inv_dl_type: bool = False
    dl_src: str | None = None
    dl_src_mask: int = MAC_MASK_ALL
    inv_dl_src: bool = False
    dl_dst: str | None = None
    dl_dst_mask: int = MAC_MASK_ALL
    inv_dl_dst: bool = False

    nw_tos: int | None = None
    inv_nw_tos: bool = False
    nw_proto: int | None = None
    inv_nw_proto: bool = False
    nw_src_address: IPAddress | None = None
    nw_src_length: int | None = None
    inv_nw_src: bool = False
    nw_dst_address: IPAddress | None = None
    nw_dst_length: int | None = None
    inv_nw_dst: bool = False
    match_nw_dst_rewritten: bool = False

    tp_src: PortRange | None = None
    inv_tp_src: bool = False
    tp_dst: PortRange | None = None
    inv_tp_dst: bool = False

    icmp_data_src_ip_address: IPAddress | None = None
    icmp_data_src_ip_length: int | None = None
    inv_icmp_data_src_ip: bool = False
    icmp_data_dst_ip_address: IPAddress | None = None
    icmp_data_dst_ip_length: int | None = None
    inv_icmp_data_dst_ip: bool = False

    fragment_policy: FragmentPolicy | None = None

    def __post_init__(self) -> None:
        for name in _PREFIXES:
            address = getattr(self, f"{name}_address")
            if address is not None and getattr(self, f"{name}_length") is None:
                object.__setattr__(self, f"{name}_length", max_prefix_length(address))
        for name in ("dl_src", "dl_dst"):
            value = getattr(self, name)
            if value is not None:
                with contextlib.suppress(ValueError):  # reported by _violations
                    object.__setattr__(self, name, normalize_mac(value))
        problems = list(self._violations())
        if problems:
            raise ValidationError(problems, kind="Condition")

    # --- derived values -------------------------------------------------------------

    @property
    def has_l4_fields(self) -> bool:
        """True when the condition matches on L4 ports (MidoNet's hasL4Fields)."""
        return self.tp_src is not None or self.tp_dst is not None

    @property
    def default_fragment_policy(self) -> FragmentPolicy:
        """HEADER when L4 ports are matched (a non-header fragment has none), else ANY."""
        return FragmentPolicy.HEADER if self.has_l4_fields else FragmentPolicy.ANY

    @property
    def effective_fragment_policy(self) -> FragmentPolicy:
        return self.fragment_policy or self.default_fragment_policy

    def with_fragment_policy(self, policy: FragmentPolicy) -> Condition:
        return replace(self, fragment_policy=policy)

    def resolved(self) -> Condition:
        """This condition with its default fragment policy made explicit."""
        if self.fragment_policy is not None:
            return self
        return self.with_fragment_policy(self.default_fragment_policy)

    @property
    def nw_src(self) -> IPNetwork | None:
        return prefix(self.nw_src_address, self.nw_src_length)

    @property
    def nw_dst(self) -> IPNetwork | None:
        return prefix(self.nw_dst_address, self.nw_dst_length)

    @property
    def icmp_data_src_ip(self) -> IPNetwork | None:
        return prefix(self.icmp_data_src_ip_address, self.icmp_data_src_ip_length)

    @property
    def icmp_data_dst_ip(self) -> IPNetwork | None:
        return prefix(self.icmp_data_dst_ip_address, self.icmp_data_dst_ip_length)

    @property
    def dl_src_mask_text(self) -> str:
        return format_mac_mask(self.dl_src_mask)

    @property
    def dl_dst_mask_text(self) -> str:
        return format_mac_mask(self.dl_dst_mask)

    # --- validation -----------------------------------------------------------------

    def _violations(self) -> Iterator[Violation]:
        if self.match_forward_flow and self.match_return_flow:
            yield Violation(
                "match_return_flow",
                "cannot be set together with match_forward_flow (no packet is both)",
            )
        yield from check_unique("in_port_ids", self.in_port_ids)
        yield from check_unique("out_port_ids", self.out_port_ids)
        yield from check_range("vlan", self.vlan, 0, MAX_VLAN)
        if self.no_vlan and self.vlan is not None:
            yield Violation("no_vlan", "cannot be set together with vlan")
        yield from check_range("dl_type", self.dl_type, MIN_DL_TYPE, 0xFFFF)
        yield from check_mac("dl_src", self.dl_src)
        yield from check_mac("dl_dst", self.dl_dst)
        yield from check_range("dl_src_mask", self.dl_src_mask, 0, MAC_MASK_ALL)
        yield from check_range("dl_dst_mask", self.dl_dst_mask, 0, MAC_MASK_ALL)
        yield from check_range("nw_tos", self.nw_tos, 0, 0xFF)
        yield from check_range("nw_proto", self.nw_proto, 0, 0xFF)
        for name in _PREFIXES:
            yield from check_prefix(
                name, getattr(self, f"{name}_address"), getattr(self, f"{name}_length")
            )
        if self.has_l4_fields and self.fragment_policy in (
            FragmentPolicy.ANY,
            FragmentPolicy.NONHEADER,
        ):
            yield Violation(
                "fragment_policy",
                f"{self.fragment_policy.value} is not allowed when src or dst ports are "
                "matched (non-header fragments carry no ports); use header or unfragmented",
            )
