"""The IPv4 router: ARP, pre-routing filter, route lookup, TTL, post-routing
filter, next-hop MAC, with MidoNet's ICMP answers (RouterBase.scala, Router.scala).

Order for a frame entering by router port P:
1. drop VLAN-tagged frames and ethertypes other than IPv4/ARP; a router that is
   administratively down answers ICMP prohibited;
2. a broadcast frame is handled only if it is ARP; a unicast frame must be for P's
   MAC; ARP is answered/learned (P's own address; requests, replies and gratuitous
   ARP teach the ARP table) and never forwarded;
3. the load balancer (a packet to a VIP is DNATed to a pool member and skips the
   inbound filter), then the inbound filter: drop (a first fragment dropped here
   answers ICMP frag-needed), reject (ICMP admin prohibited);
4. route lookup: none → ICMP net unreachable; BLACKHOLE → drop; REJECT → ICMP admin
   prohibited; LOCAL → answer an echo request, drop anything else; NORMAL → TTL
   (≤ 1: ICMP time exceeded, else decrement);
5. egress port checks, `out_port` set, the load balancer (a backend's reply is
   translated back to the VIP and skips the outbound filter), outbound filter;
6. next-hop MAC: the peer router port's MAC, the peer bridge's knowledge of the
   address, else the ARP table (stale: used and refreshed; expired or unknown: an
   ARP request is sent and the packet parked; unresolved past ARP_TIMEOUT: ICMP host
   unreachable for a direct host, net unreachable for a gateway);
7. Ethernet source := egress port MAC, destination := next-hop MAC; egress.
"""

from __future__ import annotations

import struct
import uuid
from typing import TYPE_CHECKING

from midonet.agent.simulation import icmp, loadbalancer, mirror, port
from midonet.agent.simulation.chain import ACCEPT, CONTINUE, DROP, run_filter
from midonet.agent.simulation.compiled import RouterInfo, RouterPortInfo, mac_bytes
from midonet.agent.simulation.result import (
    ArpLearned,
    ArpRequested,
    DropReason,
    GeneratedPacket,
    Parked,
)
from midonet.agent.simulation.state import ARP_TIMEOUT
from midonet.agent.simulation.tags import arp_tag, bridge_arp_tag
from midonet.model import Port, Route, Router, RouteType
from midonet.packets import builder
from midonet.packets.address import BROADCAST_MAC, ZERO_MAC
from midonet.packets.constants import (
    ARP_OP_REPLY,
    ARP_OP_REQUEST,
    ETH_TYPE_ARP,
    ETH_TYPE_IPV4,
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REQUEST,
    ICMP_TIME_EXCEEDED,
    ICMP_TIME_EXCEEDED_TTL,
    ICMP_UNREACH_ADMIN_PROHIBITED,
    ICMP_UNREACH_FRAG_NEEDED,
    ICMP_UNREACH_HOST,
    ICMP_UNREACH_NET,
    IP_PROTO_ICMP,
)
from midonet.packets.match import IPFragmentType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from midonet.agent.simulation.context import PacketContext

_ARP_HW = struct.Struct("!6s4x6s")  # sha, (spa), tha


def process(ctx: PacketContext, in_port: Port) -> None:
    router_id = in_port.router_id
    assert router_id is not None
    info = ctx.sim.router(router_id)
    if info is None or in_port.id not in info.ports:
        ctx.tags.add(router_id)
        ctx.drop(DropReason.UNKNOWN_OBJECT, router_id)
        return
    ctx.tags.update(info.tags)
    ctx.meters.append(info.meter)
    found, ports = info.router, info.ports
    ctx.devices.add(router_id)
    ctx.received_ttl = ctx.nw_ttl
    if ctx.trace is not None:
        ctx.step("router", router_id, in_port.id)
    if ctx.vlan_ids:
        ctx.drop(DropReason.VLAN_TAGGED, router_id)
        return
    if ctx.ethertype not in (ETH_TYPE_IPV4, ETH_TYPE_ARP):
        ctx.drop(DropReason.NOT_IPV4, router_id)
        return
    me = ports[in_port.id]
    if not found.admin_state_up:
        _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_ADMIN_PROHIBITED)
        ctx.drop(DropReason.DEVICE_DOWN, router_id)
        return
    if found.inbound_mirror_ids:
        mirror.apply(ctx, found.inbound_mirror_ids)
    if ctx.eth_dst not in (me.mac, BROADCAST_MAC):
        ctx.drop(DropReason.NOT_FOR_US, router_id)
        return
    if ctx.ethertype == ETH_TYPE_ARP:
        _arp(ctx, router_id, me)
        return
    if ctx.eth_dst == BROADCAST_MAC:
        ctx.drop(DropReason.NOT_FOR_US, router_id)
        return
    ctx.out_port_id = None
    ctx.out_port_groups = ()
    balanced = CONTINUE
    if found.load_balancer_id is not None:
        balanced = loadbalancer.inbound(ctx, found.load_balancer_id)
        if balanced == DROP:
            ctx.drop(DropReason.NO_POOL_MEMBER, router_id)
            return
    if found.inbound_filter_id is not None and balanced == CONTINUE:  # not LB traffic
        verdict = run_filter(ctx, found.inbound_filter_id, router_id)
        if verdict != ACCEPT:
            _filtered_in(ctx, me, verdict)
            return
    _route(ctx, info, me, balanced == ACCEPT)


def _filtered_in(ctx: PacketContext, me: RouterPortInfo, verdict: int) -> None:
    if verdict == DROP:
        if ctx.frag_type == IPFragmentType.FIRST:  # MidoNet's RouterBase.dropIn
            _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_FRAG_NEEDED)
        ctx.drop(DropReason.FILTERED, me.port.router_id)
    else:
        _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_ADMIN_PROHIBITED)
        ctx.drop(DropReason.REJECTED, me.port.router_id)


def reject(ctx: PacketContext, from_port: Port) -> None:
    """A REJECT rule on a router port's filter: ICMP admin prohibited back by the
    router's ingress port (or `from_port` when the packet came in by it)."""
    info = ctx.sim.router(from_port.router_id) if from_port.router_id else None
    if info is None:
        return
    me = info.ports.get(ctx.in_port_id) if ctx.in_port_id is not None else None
    sender = me or info.ports.get(from_port.id)
    if sender is not None:
        _icmp(ctx, sender, ICMP_DEST_UNREACH, ICMP_UNREACH_ADMIN_PROHIBITED)


def _route(
    ctx: PacketContext, info: RouterInfo, me: RouterPortInfo, balanced: bool = False
) -> None:
    """Route the packet; `balanced`: the load balancer took it, which skips the
    outbound filter too (the guide: "these filters will be skipped")."""
    router = info.router
    flow_hash = hash((ctx.nw_src, ctx.nw_dst, ctx.nw_proto, ctx.src_port, ctx.dst_port))
    route = info.table.lookup(ctx.nw_src, ctx.nw_dst, flow_hash)
    if route is None:
        _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_NET)
        ctx.drop(DropReason.NO_ROUTE, router.id)
        return
    ctx.tags.add(route.id)
    if ctx.trace is not None:
        why = info.table.explain(ctx.nw_src, ctx.nw_dst, flow_hash)
        detail: tuple[tuple[str, object], ...] = (
            ("route", route.id),
            ("type", route.type.value),
            ("prefix", f"{route.dst_network_addr}/{route.dst_network_length}"),
            ("weight", route.weight),
            ("why", why.reason),
        )
        if len(why.candidates) > 1:
            detail += (("ecmp hash", flow_hash),)
        ctx.step("route", router.id, route.next_hop_port_id, detail)
    kind = route.type
    if kind is RouteType.NORMAL:
        _forward(ctx, router, me, route, info.ports, balanced)
    elif kind is RouteType.LOCAL:
        _local(ctx, info, me)
    elif kind is RouteType.BLACKHOLE:
        ctx.drop(DropReason.BLACKHOLE, router.id)
    else:
        _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_ADMIN_PROHIBITED)
        ctx.drop(DropReason.REJECT_ROUTE, router.id)


def _local(ctx: PacketContext, info: RouterInfo, me: RouterPortInfo) -> None:
    """A packet for one of the router's addresses: an echo request is answered (the
    reply routed back like MidoNet's sendIpPacket), anything else dropped."""
    if ctx.nw_proto != IP_PROTO_ICMP or ctx.src_port != ICMP_ECHO_REQUEST or ctx.dst_port:
        ctx.drop(DropReason.LOCAL_NOT_ECHO, info.router.id)
        return
    ctx.consumed = True
    hop = _reply_hop(ctx, info, me)
    frame = icmp.echo_reply_frame(ctx, hop[0].mac, hop[1]) if hop is not None else None
    if hop is not None and frame is not None:
        ctx.generate(hop[0].port.id, frame)
    elif ctx.trace is not None:
        ctx.step("echo reply not sent: no route or next hop", info.router.id)


def _reply_hop(
    ctx: PacketContext, info: RouterInfo, me: RouterPortInfo
) -> tuple[RouterPortInfo, bytes] | None:
    """The port and next-hop MAC of a reply to the current packet's sender, known
    without asking ARP (a reply is not parked)."""
    route = info.table.lookup(ctx.nw_dst, ctx.nw_src, 0)
    if route is None or route.type is not RouteType.NORMAL or route.next_hop_port_id is None:
        return None
    out = info.ports.get(route.next_hop_port_id)
    if out is None:
        return None
    if out is me:
        return out, ctx.eth_src  # back the way the request came: to its previous hop
    ip = int(route.next_hop_gateway) if route.next_hop_gateway else ctx.nw_src
    peer = ctx.topology.get(Port, out.port.peer_id)
    if peer is not None and peer.router_id is not None:
        return out, mac_bytes(peer.port_mac)
    entry = ctx.state.router_arp(info.router.id, ip)
    if entry is None or entry.is_expired(ctx.now):
        return None
    return out, entry.mac


def _forward(
    ctx: PacketContext,
    router: Router,
    me: RouterPortInfo,
    route: Route,
    ports: Mapping[uuid.UUID, RouterPortInfo],
    balanced: bool = False,
) -> None:
    out = ports.get(route.next_hop_port_id) if route.next_hop_port_id else None
    if out is None:
        ctx.drop(DropReason.UNKNOWN_OBJECT, router.id)
        return
    if ctx.nw_ttl <= 1:
        _icmp(ctx, me, ICMP_TIME_EXCEEDED, ICMP_TIME_EXCEEDED_TTL)
        ctx.drop(DropReason.TTL_EXPIRED, router.id)
        return
    ctx.nw_ttl -= 1
    if out.address is None or ctx.nw_dst == out.address:
        ctx.drop(DropReason.NO_PORT_ADDRESS, router.id)
        return
    ctx.out_port_id = out.port.id
    ctx.out_port_groups = out.port.port_group_ids
    if router.load_balancer_id is not None and not balanced:
        reply = loadbalancer.outbound(ctx, router.load_balancer_id)
        if reply == DROP:
            ctx.drop(DropReason.LB_BACKEND_GONE, router.id)
            return
        balanced = reply == ACCEPT
    if router.outbound_filter_id is not None and not balanced:
        verdict = run_filter(ctx, router.outbound_filter_id, router.id)
        if verdict != ACCEPT:
            if verdict == DROP:
                ctx.drop(DropReason.FILTERED, router.id)
            else:
                _icmp(ctx, me, ICMP_DEST_UNREACH, ICMP_UNREACH_ADMIN_PROHIBITED)
                ctx.drop(DropReason.REJECTED, router.id)
            return
    gateway = int(route.next_hop_gateway) if route.next_hop_gateway else 0
    mac = _next_hop_mac(ctx, router, me, out, gateway or ctx.nw_dst, bool(gateway))
    if mac is None:
        return
    if ctx.trace is not None:
        hop = (("ip", _ip_text(gateway or ctx.nw_dst)), ("mac", mac.hex(":")))
        ctx.step("next hop", router.id, out.port.id, hop)
    ctx.eth_src = out.mac
    ctx.eth_dst = mac
    if router.outbound_mirror_ids:
        mirror.apply(ctx, router.outbound_mirror_ids)
    port.egress(ctx, out.port.id)


def _next_hop_mac(
    ctx: PacketContext,
    router: Router,
    me: RouterPortInfo,
    out: RouterPortInfo,
    ip: int,
    via_gateway: bool,
) -> bytes | None:
    peer_id = out.port.peer_id
    if peer_id is not None:
        peer = ctx.topology.get(Port, peer_id)
        if peer is None:
            ctx.drop(DropReason.DANGLING_PORT, router.id)
            return None
        if peer.router_id is not None:
            return mac_bytes(peer.port_mac)
        if peer.bridge_id is not None:
            mac = _bridge_knows(ctx, peer.bridge_id, ip)
            if mac is not None:
                return mac
    elif not out.contains(ip):
        _unreachable(ctx, me, via_gateway)
        return None
    return _arp_table(ctx, router, me, out, ip, via_gateway)


def _bridge_knows(ctx: PacketContext, bridge_id: uuid.UUID, ip: int) -> bytes | None:
    info = ctx.sim.bridge(bridge_id)
    if info is None:
        return None
    mac = info.router_mac_by_ip.get(ip)
    if mac is None:
        ctx.tags.add(bridge_arp_tag(bridge_id, ip))
        mac = ctx.state.bridge_arp(bridge_id, ip)
    return mac


def _arp_table(
    ctx: PacketContext,
    router: Router,
    me: RouterPortInfo,
    out: RouterPortInfo,
    ip: int,
    via_gateway: bool,
) -> bytes | None:
    ctx.tags.add(arp_tag(router.id, ip))
    now = ctx.now
    entry = ctx.state.router_arp(router.id, ip)
    if entry is not None and not entry.is_expired(now):
        if entry.is_stale(now):
            _request(ctx, router, out, ip, now)  # refresh, keep forwarding meanwhile
        return entry.mac
    first = ctx.state.arp_requested(router.id, ip)
    if first is not None and now - first >= ARP_TIMEOUT:
        _unreachable(ctx, me, via_gateway)
        return None
    request = GeneratedPacket(out.port.id, _request_frame(out, ip))
    if first is None:
        ctx.generated.append(request)
        ctx.state_changes.append(ArpRequested(router.id, ip, now))
    code = ICMP_UNREACH_NET if via_gateway else ICMP_UNREACH_HOST
    give_up = None
    if me.address is not None and icmp.may_answer(ctx, me.network, me.mask):
        frame = icmp.error_frame(ctx, me.mac, me.address, ICMP_DEST_UNREACH, code)
        give_up = GeneratedPacket(me.port.id, frame)
    ctx.parked = Parked(router.id, out.port.id, ip, request, first or now, give_up, entry)
    if ctx.trace is not None:
        ctx.step("parked for ARP", router.id, out.port.id, (("ip", _ip_text(ip)),))
    return None


def _request_frame(out: RouterPortInfo, ip: int) -> bytes:
    assert out.address is not None
    return builder.arp_request(sha=out.mac, spa=out.address, tpa=ip).serialize()


def _request(ctx: PacketContext, router: Router, out: RouterPortInfo, ip: int, now: float) -> None:
    if ctx.state.arp_requested(router.id, ip) is None:
        ctx.generate(out.port.id, _request_frame(out, ip))
        ctx.state_changes.append(ArpRequested(router.id, ip, now))


def _unreachable(ctx: PacketContext, me: RouterPortInfo, via_gateway: bool) -> None:
    code = ICMP_UNREACH_NET if via_gateway else ICMP_UNREACH_HOST
    _icmp(ctx, me, ICMP_DEST_UNREACH, code)
    ctx.drop(DropReason.ARP_UNRESOLVED, me.port.router_id)


def _icmp(ctx: PacketContext, me: RouterPortInfo, icmp_type: int, code: int) -> None:
    if me.address is None or not icmp.may_answer(ctx, me.network, me.mask):
        return
    ctx.generate(me.port.id, icmp.error_frame(ctx, me.mac, me.address, icmp_type, code))
    if ctx.trace is not None:
        ctx.step("icmp", me.port.router_id, me.port.id, (("type", icmp_type), ("code", code)))


# --- ARP -----------------------------------------------------------------------------


def _arp(ctx: PacketContext, router_id: uuid.UUID, me: RouterPortInfo) -> None:
    """Answer requests for the port's address and learn from ARP; never forward."""
    ctx.consumed = True
    op = ctx.nw_proto
    if me.address is None or op not in (ARP_OP_REQUEST, ARP_OP_REPLY):
        return
    spa, tpa = ctx.nw_src, ctx.nw_dst
    sha, tha = _ARP_HW.unpack_from(ctx.frame, 14 + 4 * len(ctx.match.vlan_ids) + 8)
    if op == ARP_OP_REQUEST:
        if not me.contains(spa):
            return
        if tpa == spa and tha == ZERO_MAC:  # gratuitous
            _learn(ctx, router_id, spa, sha)
            return
        if tpa != me.address:
            return
        _learn(ctx, router_id, spa, sha)
        reply = builder.arp_reply(sha=me.mac, spa=me.address, tha=sha, tpa=spa)
        ctx.generate(me.port.id, reply.serialize())
        return
    gratuitous = tpa == spa and tha == sha
    if (gratuitous or (tpa == me.address and tha == me.mac)) and me.contains(spa):
        _learn(ctx, router_id, spa, sha)


def _learn(ctx: PacketContext, router_id: uuid.UUID, ip: int, mac: bytes) -> None:
    ctx.state_changes.append(ArpLearned(router_id, ip, mac, ctx.now))
    if ctx.trace is not None:
        ctx.step("arp learned", router_id, detail=(("ip", _ip_text(ip)), ("mac", mac.hex(":"))))


def _ip_text(ip: int) -> str:
    return ".".join(str((ip >> s) & 0xFF) for s in (24, 16, 8, 0))
