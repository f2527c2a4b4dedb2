"""Compiled conditions against a plain reference of MidoNet's Condition.matches.

The reference below is written from the guide's tables 7.1/7.2 and Condition.java,
with `ipaddress` and no shortcuts; hypothesis draws conditions and packets and the
compiled predicate must agree with it on every one.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from midonet.agent.simulation.compiled import SimTopology
from midonet.agent.simulation.condition import compile_condition
from midonet.agent.simulation.context import PacketContext
from midonet.agent.simulation.state import FakeSimulationState
from midonet.agent.topology import Topology
from midonet.model import Condition, FragmentPolicy, IPAddrGroup
from midonet.model.mac import parse_mac_mask
from midonet.model.validation import PortRange
from midonet.packets.match import FlowMatch, IPFragmentType

PORTS = [uuid.UUID(int=i) for i in range(1, 4)]
GROUPS = [uuid.UUID(int=i) for i in range(10, 13)]
DEVICES = [uuid.UUID(int=i) for i in range(20, 23)]
ADDR_GROUP = IPAddrGroup(
    id=uuid.UUID(int=30),
    name="g",
    addresses=(ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("fd00::1")),
)
TOPOLOGY = Topology.from_objects([ADDR_GROUP])
MACS = [bytes.fromhex(h) for h in ("020000000001", "0200000000ff", "02aa00000001", "ffffffffffff")]
V4 = [int(ipaddress.ip_address(a)) for a in ("10.0.0.1", "10.0.0.200", "192.0.2.7", "0.0.0.0")]
FRAGMENTS = {
    FragmentPolicy.ANY: {0, 1, 2},
    FragmentPolicy.HEADER: {0, 1},
    FragmentPolicy.NONHEADER: {2},
    FragmentPolicy.UNFRAGMENTED: {0},
}


def context(match: FlowMatch, **fields: Any) -> PacketContext:
    ctx = PacketContext(b"", match, SimTopology.of(TOPOLOGY), FakeSimulationState(), 0.0, False)
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


def reference(cond: Condition, ctx: PacketContext) -> bool:
    """MidoNet's Condition.matches, attribute by attribute."""
    if ctx.frag_type not in FRAGMENTS[cond.effective_fragment_policy]:
        return False
    inv = cond.cond_invert

    def ip_in(net: ipaddress.IPv4Network | ipaddress.IPv6Network, addr: int) -> bool:
        if net.version == 4:
            return ctx.ethertype in (0x0800, 0x0806) and ipaddress.IPv4Address(addr) in net
        return ctx.ethertype == 0x86DD and ipaddress.IPv6Address(addr) in net

    checks: list[bool] = []
    if cond.match_forward_flow:
        checks.append(ctx.is_forward_flow())
    if cond.match_return_flow:
        checks.append(not ctx.is_forward_flow())
    if cond.no_vlan:
        checks.append(not ctx.vlan_ids)
    if cond.vlan is not None:
        checks.append(bool(ctx.vlan_ids) and ctx.vlan_ids[0] == cond.vlan)
    if cond.in_port_ids:
        checks.append(cond.inv_in_ports != (ctx.in_port_id in cond.in_port_ids))
    if cond.out_port_ids:
        checks.append(cond.inv_out_ports != (ctx.out_port_id in cond.out_port_ids))
    for group, groups, negate in (
        (cond.port_group_id, ctx.port_groups, cond.inv_port_group),
        (cond.in_port_group_id, ctx.in_port_groups, cond.inv_in_port_group),
        (cond.out_port_group_id, ctx.out_port_groups, cond.inv_out_port_group),
    ):
        if group is not None:
            checks.append(negate != (group in groups))
    if cond.dl_type is not None:
        checks.append(cond.inv_dl_type != (ctx.ethertype == cond.dl_type))
    for mac, mask, negate, pkt in (
        (cond.dl_src, cond.dl_src_mask, cond.inv_dl_src, ctx.eth_src),
        (cond.dl_dst, cond.dl_dst_mask, cond.inv_dl_dst, ctx.eth_dst),
    ):
        if mac is not None:
            want = int(mac.replace(":", ""), 16) & mask
            checks.append(negate != ((int.from_bytes(pkt, "big") & mask) == want))
    if cond.nw_tos is not None:
        checks.append(cond.inv_nw_tos != (ctx.nw_tos == cond.nw_tos))
    if cond.nw_proto is not None:
        checks.append(cond.inv_nw_proto != (ctx.nw_proto == cond.nw_proto))
    if cond.nw_src is not None:
        checks.append(cond.inv_nw_src != ip_in(cond.nw_src, ctx.nw_src))
    if cond.nw_dst is not None:
        checks.append(cond.inv_nw_dst != ip_in(cond.nw_dst, ctx.nw_dst))
    if cond.tp_src is not None:
        checks.append(cond.inv_tp_src != (ctx.src_port in cond.tp_src))
    if cond.tp_dst is not None:
        checks.append(cond.inv_tp_dst != (ctx.dst_port in cond.tp_dst))
    members = {(a.version, int(a)) for a in ADDR_GROUP.addresses}
    version = 6 if ctx.ethertype == 0x86DD else 4
    if cond.ip_addr_group_src_id is not None:
        found = (version, ctx.nw_src) in members
        checks.append(cond.inv_ip_addr_group_src != found)
    if cond.ip_addr_group_dst_id is not None:
        found = (version, ctx.nw_dst) in members
        checks.append(cond.inv_ip_addr_group_dst != found)
    if cond.traversed_device is not None:
        checks.append(cond.inv_traversed_device != (cond.traversed_device in ctx.devices))
    for net, negate, addr in (
        (cond.icmp_data_src_ip, cond.inv_icmp_data_src_ip, ctx.icmp_data_src),
        (cond.icmp_data_dst_ip, cond.inv_icmp_data_dst_ip, ctx.icmp_data_dst),
    ):
        if net is not None:
            inside = ctx.icmp_error and ctx.ethertype == 0x0800 and ip_in(net, addr)
            checks.append(negate != inside)
    if cond.match_nw_dst_rewritten:
        checks.append(ctx.nw_dst_rewritten)
    return all(checks) != inv


flags = st.booleans()
prefixes = st.sampled_from(["10.0.0.0/24", "10.0.0.1/32", "0.0.0.0/0", "192.0.2.0/25", "fd00::/64"])


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    kw: dict[str, Any] = {"cond_invert": draw(flags)}

    def maybe(name: str, strategy: st.SearchStrategy[Any], inv: str | None = None) -> None:
        if draw(st.booleans()):
            kw[name] = draw(strategy)
            if inv:
                kw[inv] = draw(flags)

    flow = draw(st.sampled_from([None, "match_forward_flow", "match_return_flow"]))
    if flow:
        kw[flow] = True
    maybe(
        "in_port_ids",
        st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True).map(tuple),
        "inv_in_ports",
    )
    maybe(
        "out_port_ids",
        st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True).map(tuple),
        "inv_out_ports",
    )
    maybe("port_group_id", st.sampled_from(GROUPS), "inv_port_group")
    maybe("in_port_group_id", st.sampled_from(GROUPS), "inv_in_port_group")
    maybe("out_port_group_id", st.sampled_from(GROUPS), "inv_out_port_group")
    maybe("ip_addr_group_src_id", st.just(ADDR_GROUP.id), "inv_ip_addr_group_src")
    maybe("ip_addr_group_dst_id", st.just(ADDR_GROUP.id), "inv_ip_addr_group_dst")
    maybe("traversed_device", st.sampled_from(DEVICES), "inv_traversed_device")
    if draw(st.booleans()):
        kw["no_vlan"] = True
    else:
        maybe("vlan", st.sampled_from([10, 20]))
    maybe("dl_type", st.sampled_from([0x0800, 0x0806, 0x86DD]), "inv_dl_type")
    for side in ("dl_src", "dl_dst"):
        maybe(side, st.sampled_from(MACS).map(lambda m: m.hex(":")), f"inv_{side}")
        maybe(
            f"{side}_mask",
            st.sampled_from(["ffff.ffff.ffff", "ffff.0000.0000", "0000.0000.0000"]).map(
                parse_mac_mask
            ),
        )
    maybe("nw_tos", st.sampled_from([0, 16]), "inv_nw_tos")
    maybe("nw_proto", st.sampled_from([1, 6, 17]), "inv_nw_proto")
    for side in ("nw_src", "nw_dst", "icmp_data_src_ip", "icmp_data_dst_ip"):
        if draw(st.booleans()):
            net = ipaddress.ip_network(draw(prefixes))
            kw[f"{side}_address"] = net.network_address
            kw[f"{side}_length"] = net.prefixlen
            kw[f"inv_{side}"] = draw(flags)
    for side in ("tp_src", "tp_dst"):
        maybe(
            side,
            st.sampled_from([PortRange(start=80, end=80), PortRange(start=1000, end=2000)]),
            f"inv_{side}",
        )
    kw["match_nw_dst_rewritten"] = draw(flags)
    has_l4 = "tp_src" in kw or "tp_dst" in kw
    policies = (
        [FragmentPolicy.HEADER, FragmentPolicy.UNFRAGMENTED] if has_l4 else list(FragmentPolicy)
    )
    kw["fragment_policy"] = draw(st.sampled_from(policies))
    return Condition(**kw)


@st.composite
def packets(draw: st.DrawFn) -> PacketContext:
    ethertype = draw(st.sampled_from([0x0800, 0x0806, 0x86DD]))
    addresses = (
        st.sampled_from(V4)
        if ethertype != 0x86DD
        else st.sampled_from(
            [int(ipaddress.ip_address("fd00::1")), int(ipaddress.ip_address("fe80::1")), 1]
        )
    )
    match = FlowMatch(
        eth_src=draw(st.sampled_from(MACS)),
        eth_dst=draw(st.sampled_from(MACS)),
        ethertype=ethertype,
        vlan_ids=draw(st.sampled_from([(), (10,), (20, 10)])),
        nw_src=draw(addresses),
        nw_dst=draw(addresses),
        nw_proto=draw(st.sampled_from([1, 6, 17])),
        nw_tos=draw(st.sampled_from([0, 16])),
        frag_type=draw(st.sampled_from(list(IPFragmentType))),
        src_port=draw(st.sampled_from([3, 80, 1500])),
        dst_port=draw(st.sampled_from([0, 80, 1999])),
        icmp_data_src=draw(st.sampled_from(V4)),
        icmp_data_dst=draw(st.sampled_from(V4)),
    )
    ctx = context(
        match,
        in_port_id=draw(st.sampled_from([None, *PORTS])),
        out_port_id=draw(st.sampled_from([None, *PORTS])),
        port_groups=tuple(draw(st.sets(st.sampled_from(GROUPS)))),
        in_port_groups=tuple(draw(st.sets(st.sampled_from(GROUPS)))),
        out_port_groups=tuple(draw(st.sets(st.sampled_from(GROUPS)))),
        devices=draw(st.sets(st.sampled_from(DEVICES))),
        icmp_error=draw(st.booleans()),
        nw_dst_rewritten=draw(st.booleans()),
    )
    if draw(st.booleans()):  # a return flow: its key is in conntrack
        key = (ctx.nw_src, ctx.src_port, ctx.nw_dst, ctx.dst_port, ctx.nw_proto, None)
        ctx.state.connections.add(key)  # type: ignore[attr-defined]
    return ctx


@settings(max_examples=600, deadline=None)
@given(conditions(), packets())
def test_compiled_condition_agrees_with_the_reference(cond: Condition, ctx: PacketContext) -> None:
    assert compile_condition(cond, TOPOLOGY)(ctx) == reference(cond, ctx)


def _udp(**fields: Any) -> PacketContext:
    base = {"ethertype": 0x0800, "nw_proto": 17, "nw_src": V4[0], "nw_dst": V4[2]}
    return context(FlowMatch(**{**base, **fields}))


def test_cond_invert_does_not_invert_the_fragment_policy() -> None:
    cond = Condition(nw_proto=6, cond_invert=True, fragment_policy=FragmentPolicy.UNFRAGMENTED)
    predicate = compile_condition(cond, TOPOLOGY)
    assert predicate(_udp()) is True  # not TCP, inverted
    assert predicate(_udp(frag_type=IPFragmentType.LATER)) is False  # policy still applies


def test_an_empty_condition_matches_everything_and_inverted_nothing() -> None:
    assert compile_condition(Condition(), TOPOLOGY)(_udp()) is True
    assert compile_condition(Condition(cond_invert=True), TOPOLOGY)(_udp()) is False


def test_an_ipv4_prefix_never_matches_ipv6_even_inverted_only_by_its_flag() -> None:
    cond = Condition(nw_src_address=ipaddress.ip_address("0.0.0.0"), nw_src_length=0)
    predicate = compile_condition(cond, TOPOLOGY)
    assert predicate(_udp()) is True
    assert predicate(context(FlowMatch(ethertype=0x86DD, nw_src=1))) is False


def test_header_policy_is_the_default_with_ports_and_any_without() -> None:
    with_ports = Condition(tp_dst=PortRange.single(80)).resolved()
    assert with_ports.fragment_policy is FragmentPolicy.HEADER
    later = _udp(frag_type=IPFragmentType.LATER)
    assert compile_condition(Condition(nw_proto=17).resolved(), TOPOLOGY)(later) is True
    assert compile_condition(with_ports, TOPOLOGY)(later) is False
