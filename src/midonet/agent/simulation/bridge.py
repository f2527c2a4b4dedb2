"""The bridge: MAC learning, unicast, flooding, ARP proxying and VLANs.

MidoNet's Bridge.scala, with state read from `ctx.state` and learned entries
returned as state changes:

- a multicast source MAC is dropped; the source MAC is learned on the ingress port
  (per VLAN), except the MACs of peered router ports, which are known;
- a unicast destination goes to the peered router port that owns the MAC, else to
  the port the MAC was learned on (dropped if that is the ingress port), else the
  frame is flooded to every exterior port but the ingress one;
- a broadcast ARP request for an address the bridge knows (a peered router port's,
  or its ARP table's) is answered by the bridge; other ARP for a peered router port
  goes to that port only; a gratuitous ARP updates the bridge's ARP table;
- VLANs: an interior port with a `vlan_id` (of a VLAN-aware bridge) pushes its VLAN
  on frames it brings in and pops it on frames it takes out; exterior ports of such
  a bridge are trunks carrying tagged frames; an access bridge floods to its
  interior port peered with such a VLAN port too;
- bridge filters apply to untagged frames only (inbound before learning,
  outbound after the forwarding decision), as MidoNet does.
"""

from __future__ import annotations

import struct
import uuid
from typing import TYPE_CHECKING

from midonet.agent.simulation import mirror, port
from midonet.agent.simulation.chain import ACCEPT, REJECT, run_filter
from midonet.agent.simulation.compiled import BridgeInfo
from midonet.agent.simulation.result import (
    ArpLearned,
    BridgeArpLearned,
    DropReason,
    MacLearned,
)
from midonet.agent.simulation.state import UNTAGGED_VLAN
from midonet.agent.simulation.tags import bridge_arp_tag, mac_tag
from midonet.model import Port
from midonet.packets import builder
from midonet.packets.address import BROADCAST_MAC
from midonet.packets.constants import ARP_OP_REQUEST, ETH_TYPE_ARP

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext

_ARP_SHA = struct.Struct("!6s")


def process(ctx: PacketContext, in_port: Port) -> None:
    bridge_id = in_port.bridge_id
    assert bridge_id is not None
    info = ctx.sim.bridge(bridge_id)
    if info is None:
        ctx.tags.add(bridge_id)
        ctx.drop(DropReason.UNKNOWN_OBJECT, bridge_id)
        return
    ctx.tags.update(info.tags)
    ctx.meters.append(info.meter)
    ctx.devices.add(bridge_id)
    if ctx.trace is not None:
        ctx.step("bridge", bridge_id, in_port.id)
    if ctx.eth_src[0] & 1:
        ctx.drop(DropReason.MULTICAST_SOURCE, bridge_id)
        return
    bridge = info.bridge
    if not bridge.admin_state_up:
        ctx.drop(DropReason.DEVICE_DOWN, bridge_id)
        return
    if bridge.inbound_mirror_ids:
        mirror.apply(ctx, bridge.inbound_mirror_ids)
    if bridge.inbound_filter_id is not None and not ctx.vlan_ids:
        verdict = run_filter(ctx, bridge.inbound_filter_id, bridge_id)
        if verdict != ACCEPT:
            _learn(ctx, info, in_port.id)
            reason = DropReason.REJECTED if verdict == REJECT else DropReason.FILTERED
            ctx.drop(reason, bridge_id)
            return
    _learn(ctx, info, in_port.id)
    if ctx.eth_dst == BROADCAST_MAC and ctx.ethertype == ETH_TYPE_ARP:
        targets = _arp(ctx, info, in_port)
    elif ctx.eth_dst[0] & 1:
        targets = _flood(ctx, info, in_port)
    else:
        targets = _unicast(ctx, info, in_port)
    if targets is not None:
        _post_bridging(ctx, info, targets)


def _src_vlan(ctx: PacketContext, info: BridgeInfo, in_port_id: uuid.UUID) -> int:
    """The VLAN whose MAC table serves this frame (MidoNet's srcVlanTag)."""
    if not info.vlan_aware:
        return UNTAGGED_VLAN
    vlan = info.vlan_of_port.get(in_port_id)
    if vlan is not None:
        return vlan
    return ctx.vlan_ids[0] if ctx.vlan_ids else UNTAGGED_VLAN


def _learn(ctx: PacketContext, info: BridgeInfo, in_port_id: uuid.UUID) -> None:
    src = ctx.eth_src
    if src in info.router_port_by_mac:
        return
    bridge_id = info.bridge.id
    vlan = _src_vlan(ctx, info, in_port_id)
    ctx.tags.add(mac_tag(bridge_id, vlan, src))
    known = ctx.state.mac_port(bridge_id, vlan, src)
    if known == in_port_id:
        return
    ctx.state_changes.append(MacLearned(bridge_id, vlan, src, in_port_id, known))
    if ctx.trace is not None:
        detail = (("mac", src.hex(":")), ("vlan", vlan), ("previous", known))
        ctx.step("mac learned", bridge_id, in_port_id, detail)


def _unicast(ctx: PacketContext, info: BridgeInfo, in_port: Port) -> list[uuid.UUID] | None:
    dst = ctx.eth_dst
    router_port = info.router_port_by_mac.get(dst)
    if router_port is not None:
        return _to_port(ctx, info, router_port)
    bridge_id = info.bridge.id
    vlan = _src_vlan(ctx, info, in_port.id)
    ctx.tags.add(mac_tag(bridge_id, vlan, dst))
    learned = in_port.id if dst == ctx.eth_src else ctx.state.mac_port(bridge_id, vlan, dst)
    if learned is None:
        if ctx.trace is not None:
            ctx.step("unknown destination", bridge_id, detail=(("mac", dst.hex(":")),))
        return _flood(ctx, info, in_port)
    if ctx.trace is not None:
        ctx.step("mac lookup", bridge_id, learned, (("mac", dst.hex(":")), ("vlan", vlan)))
    if learned == in_port.id:
        ctx.drop(DropReason.SAME_PORT, bridge_id)
        return None
    return _to_port(ctx, info, learned)


def _to_port(ctx: PacketContext, info: BridgeInfo, to_port: uuid.UUID) -> list[uuid.UUID] | None:
    """Unicast with MidoNet's VLAN handling (push from a VLAN port, pop to one)."""
    in_vlan = info.vlan_of_port.get(ctx.in_port_id) if ctx.in_port_id else None
    if in_vlan is not None:
        ctx.vlan_ids = (in_vlan, *ctx.vlan_ids)
        return [to_port]
    out_vlan = info.vlan_of_port.get(to_port)
    if out_vlan is None:
        return [to_port]
    if ctx.vlan_ids and ctx.vlan_ids[0] == out_vlan:
        return [to_port]  # the VLAN port pops the tag on egress
    ctx.drop(DropReason.VLAN_MISMATCH, info.bridge.id)
    return None


def _flood(ctx: PacketContext, info: BridgeInfo, in_port: Port) -> list[uuid.UUID] | None:
    targets = [p for p in info.exterior if p != in_port.id]
    extra = [p for p in info.vlan_peers if p != in_port.id]
    if extra:
        targets += extra
    elif info.vlan_aware:
        vlan = info.vlan_of_port.get(in_port.id)
        if vlan is not None:  # from a VLAN port to the trunks: tag it
            ctx.vlan_ids = (vlan, *ctx.vlan_ids)
        elif ctx.vlan_ids:  # from a trunk: also to the port of its VLAN
            vlan_port = info.port_of_vlan.get(ctx.vlan_ids[0])
            if vlan_port is not None:
                targets.append(vlan_port)
    if not targets:
        ctx.drop(DropReason.NO_FLOOD_PORTS, info.bridge.id)
        return None
    if ctx.trace is not None:
        ctx.step("flood", info.bridge.id, detail=(("ports", len(targets)),))
    return targets


def _arp(ctx: PacketContext, info: BridgeInfo, in_port: Port) -> list[uuid.UUID] | None:
    tagged = bool(ctx.vlan_ids)
    gratuitous = ctx.nw_src == ctx.nw_dst
    if ctx.nw_proto == ARP_OP_REQUEST and not tagged and not gratuitous:
        mac = info.router_mac_by_ip.get(ctx.nw_dst)
        if mac is None:  # a flooded request must go when the bridge learns the answer
            ctx.tags.add(bridge_arp_tag(info.bridge.id, ctx.nw_dst))
            mac = ctx.state.bridge_arp(info.bridge.id, ctx.nw_dst)
        if mac is not None:
            _answer_arp(ctx, info, in_port, mac)
            _router_learns_sender(ctx, info, mac)
            return None
    mac = info.router_mac_by_ip.get(ctx.nw_dst)
    if mac is not None and not tagged:
        return _to_port(ctx, info, info.router_port_by_mac[mac])
    if gratuitous:
        ctx.state_changes.append(BridgeArpLearned(info.bridge.id, ctx.nw_src, ctx.eth_src))
        ctx.userspace_only = True
    return _flood(ctx, info, in_port)


def _answer_arp(ctx: PacketContext, info: BridgeInfo, in_port: Port, mac: bytes) -> None:
    (sha,) = _ARP_SHA.unpack_from(ctx.frame, 14 + 4 * len(ctx.match.vlan_ids) + 8)
    reply = builder.arp_reply(sha=mac, spa=ctx.nw_dst, tha=sha, tpa=ctx.nw_src)
    ctx.generate(in_port.id, reply.serialize())
    ctx.consumed = True
    if ctx.trace is not None:
        ctx.step("arp answered", info.bridge.id, in_port.id, (("mac", mac.hex(":")),))


def _router_learns_sender(ctx: PacketContext, info: BridgeInfo, mac: bytes) -> None:
    """A request the bridge answered for a peered router port was addressed to that
    router: it learns the sender, as it would had it seen the request itself (the
    reply to what the sender sends next then needs no ARP round trip of its own)."""
    bridge_port = info.router_port_by_mac.get(mac)
    found = ctx.sim.port(bridge_port) if bridge_port is not None else None
    router_port_id = found.port.peer_id if found is not None else None
    peer = ctx.sim.port(router_port_id) if router_port_id is not None else None
    router_id = peer.port.router_id if peer is not None else None
    router = ctx.sim.router(router_id) if router_id is not None else None
    if router is None or router_port_id is None:
        return
    me = router.ports.get(router_port_id)
    if me is not None and me.contains(ctx.nw_src) and ctx.nw_src != me.address:
        (sha,) = _ARP_SHA.unpack_from(ctx.frame, 14 + 8)
        ctx.state_changes.append(ArpLearned(router.router.id, ctx.nw_src, sha, ctx.now))


def _post_bridging(ctx: PacketContext, info: BridgeInfo, targets: list[uuid.UUID]) -> None:
    bridge = info.bridge
    if bridge.outbound_filter_id is not None and not ctx.vlan_ids:
        ctx.out_port_id = targets[0] if len(targets) == 1 else None
        verdict = run_filter(ctx, bridge.outbound_filter_id, bridge.id)
        if verdict != ACCEPT:
            reason = DropReason.REJECTED if verdict == REJECT else DropReason.FILTERED
            ctx.drop(reason, bridge.id)
            return
    if bridge.outbound_mirror_ids:
        mirror.apply(ctx, bridge.outbound_mirror_ids)
    if len(targets) == 1:
        port.egress(ctx, targets[0])
        return
    saved = ctx.save()
    for target in targets:
        port.egress(ctx, target)
        ctx.restore(saved)
