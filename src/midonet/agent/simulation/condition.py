"""Conditions compiled into predicates over a PacketContext.

A model `Condition` becomes one Python expression, compiled once per topology
snapshot: a rule check is then a single call with no allocation. Semantics follow
MidoNet's Condition.matches:

- the fragment policy is tested first and is NOT affected by `cond_invert`;
- every other attribute takes part only when set, with its own inversion flag;
- `cond_invert` inverts the conjunction of those attributes;
- prefixes match only addresses of their family (an IPv4 prefix never matches an
  IPv6 packet); ARP packets carry their sender/target addresses as nw_src/nw_dst;
- `port_group` tests the groups of the exterior port the packet entered the virtual
  network by (MidoNet's "portGroups"), `in_port_group` those of the current device's
  ingress port, `out_port_group` those of the egress port;
- `traversed_device` tests the devices the packet has entered so far.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from midonet.model import Condition, FragmentPolicy, IPAddrGroup
from midonet.model.mac import MAC_MASK_ALL, mac_to_int
from midonet.packets.constants import ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6
from midonet.packets.match import IPFragmentType

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext
    from midonet.agent.topology.snapshot import Topology

Predicate = Callable[["PacketContext"], bool]

_FRAGMENTS = {
    FragmentPolicy.ANY: None,
    FragmentPolicy.HEADER: frozenset({IPFragmentType.NONE, IPFragmentType.FIRST}),
    FragmentPolicy.NONHEADER: frozenset({IPFragmentType.LATER}),
    FragmentPolicy.UNFRAGMENTED: frozenset({IPFragmentType.NONE}),
}
_V4_TYPES = frozenset({ETH_TYPE_IPV4, ETH_TYPE_ARP})
_V6_TYPES = frozenset({ETH_TYPE_IPV6})


class _Builder:
    """Collects the sub-expressions of one condition and the constants they use."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.consts: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def term(self, expr: str, invert: bool = False) -> None:
        self.terms.append(f"(not {expr})" if invert else expr)


def _prefix(b: _Builder, attr: str, address: Any, length: int | None, invert: bool) -> None:
    if address is None:
        return
    net = ipaddress.ip_network(f"{address}/{length}", strict=False)
    bits = net.max_prefixlen
    mask = ((1 << bits) - 1) ^ ((1 << (bits - net.prefixlen)) - 1)
    families = b.const(_V4_TYPES if net.version == 4 else _V6_TYPES)
    b.term(
        f"(c.ethertype in {families} and (c.{attr} & {mask}) == {int(net.network_address)})",
        invert,
    )


def _icmp_prefix(b: _Builder, attr: str, address: Any, length: int | None, invert: bool) -> None:
    if address is None:
        return
    net = ipaddress.ip_network(f"{address}/{length}", strict=False)
    if net.version != 4:  # MidoNet matches IPv4 quotes only
        b.term("False", invert)
        return
    mask = 0xFFFFFFFF ^ ((1 << (32 - net.prefixlen)) - 1)
    b.term(
        f"(c.icmp_error and c.ethertype == {ETH_TYPE_IPV4} and "
        f"(c.{attr} & {mask}) == {int(net.network_address)})",
        invert,
    )


def _mac(b: _Builder, attr: str, mac: str | None, mask: int, invert: bool) -> None:
    if mac is None:
        return
    if mask == MAC_MASK_ALL:
        b.term(f"c.{attr} == {b.const(bytes.fromhex(mac.replace(':', '')))}", invert)
    else:
        value = mac_to_int(mac) & mask
        b.term(f"(int.from_bytes(c.{attr}, 'big') & {mask}) == {value}", invert)


def _addr_group(b: _Builder, topology: Topology, attr: str, group_id: Any, invert: bool) -> None:
    if group_id is None:
        return
    group = topology.get(IPAddrGroup, group_id)
    addresses = group.addresses if group is not None else ()
    v4 = b.const(frozenset(int(a) for a in addresses if a.version == 4))
    v6 = b.const(frozenset(int(a) for a in addresses if a.version == 6))
    b.term(f"(c.{attr} in ({v6} if c.ethertype == {ETH_TYPE_IPV6} else {v4}))", invert)


def _ports(b: _Builder, cond: Condition) -> None:
    if cond.in_port_ids:
        b.term(f"c.in_port_id in {b.const(frozenset(cond.in_port_ids))}", cond.inv_in_ports)
    if cond.out_port_ids:
        b.term(f"c.out_port_id in {b.const(frozenset(cond.out_port_ids))}", cond.inv_out_ports)
    for attr, group, invert in (
        ("port_groups", cond.port_group_id, cond.inv_port_group),
        ("in_port_groups", cond.in_port_group_id, cond.inv_in_port_group),
        ("out_port_groups", cond.out_port_group_id, cond.inv_out_port_group),
    ):
        if group is not None:
            b.term(f"{b.const(group)} in c.{attr}", invert)


def _fields(b: _Builder, cond: Condition) -> None:
    if cond.no_vlan:
        b.term("not c.vlan_ids")
    if cond.vlan is not None:
        b.term(f"c.vlan_ids[:1] == ({cond.vlan},)")
    if cond.dl_type is not None:
        b.term(f"c.ethertype == {cond.dl_type}", cond.inv_dl_type)
    _mac(b, "eth_src", cond.dl_src, cond.dl_src_mask, cond.inv_dl_src)
    _mac(b, "eth_dst", cond.dl_dst, cond.dl_dst_mask, cond.inv_dl_dst)
    if cond.nw_tos is not None:
        b.term(f"c.nw_tos == {cond.nw_tos}", cond.inv_nw_tos)
    if cond.nw_proto is not None:
        b.term(f"c.nw_proto == {cond.nw_proto}", cond.inv_nw_proto)
    _prefix(b, "nw_src", cond.nw_src_address, cond.nw_src_length, cond.inv_nw_src)
    _prefix(b, "nw_dst", cond.nw_dst_address, cond.nw_dst_length, cond.inv_nw_dst)
    if cond.tp_src is not None:
        b.term(f"{cond.tp_src.start} <= c.src_port <= {cond.tp_src.end}", cond.inv_tp_src)
    if cond.tp_dst is not None:
        b.term(f"{cond.tp_dst.start} <= c.dst_port <= {cond.tp_dst.end}", cond.inv_tp_dst)


def compile_condition(cond: Condition, topology: Topology) -> Predicate:
    """A predicate equivalent to `cond` for packets of this snapshot."""
    b = _Builder()
    if cond.match_forward_flow:
        b.term("c.is_forward_flow()")
    if cond.match_return_flow:
        b.term("not c.is_forward_flow()")
    _fields(b, cond)  # cheap packet fields first: most rules fail on one of them
    _ports(b, cond)
    _addr_group(b, topology, "nw_src", cond.ip_addr_group_src_id, cond.inv_ip_addr_group_src)
    _addr_group(b, topology, "nw_dst", cond.ip_addr_group_dst_id, cond.inv_ip_addr_group_dst)
    if cond.traversed_device is not None:
        b.term(f"{b.const(cond.traversed_device)} in c.devices", cond.inv_traversed_device)
    _icmp_prefix(
        b,
        "icmp_data_src",
        cond.icmp_data_src_ip_address,
        cond.icmp_data_src_ip_length,
        cond.inv_icmp_data_src_ip,
    )
    _icmp_prefix(
        b,
        "icmp_data_dst",
        cond.icmp_data_dst_ip_address,
        cond.icmp_data_dst_ip_length,
        cond.inv_icmp_data_dst_ip,
    )
    if cond.match_nw_dst_rewritten:
        b.term("c.nw_dst_rewritten")
    body = " and ".join(b.terms) if b.terms else "True"
    if cond.cond_invert:
        body = f"not ({body})"
    accepted = _FRAGMENTS[cond.effective_fragment_policy]
    if accepted is not None:
        body = f"c.frag_type in {b.const(accepted)} and ({body})"
    source = f"lambda c: {body}"
    # The lambda reads its constants as globals: a lambda sees no enclosing eval locals.
    namespace: dict[str, Any] = {"__builtins__": {"int": int}, **b.consts}
    predicate: Predicate = eval(source, namespace)
    return predicate
