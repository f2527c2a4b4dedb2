"""Ports: ingress into a device, egress out of it.

MidoNet's order. Ingress: loop guard, admin state, pre-filter mirrors, inbound
filter, post-filter mirrors, then the device. Egress: pre-filter mirrors, outbound
filter, post-filter mirrors, then an interior port continues at its peer's ingress
and an exterior port ends the path with an output. A bridge port never sends a
frame back out of the port it came in by, and pops its VLAN on the way out.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import midonet.agent.simulation.bridge as bridge_device
import midonet.agent.simulation.router as router_device
from midonet.agent.simulation import conntrack, mirror
from midonet.agent.simulation.chain import ACCEPT, REJECT, run_filter
from midonet.agent.simulation.context import MAX_DEVICES_TRAVERSED
from midonet.agent.simulation.result import DropReason
from midonet.model import Port, PortType
from midonet.packets.constants import ETH_TYPE_IPV6

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext


def ingress(ctx: PacketContext, port_id: uuid.UUID) -> None:
    """The packet enters the virtual network, or the next device, by `port_id`."""
    if ctx.hops >= MAX_DEVICES_TRAVERSED:
        ctx.drop(DropReason.LOOP, port_id)
        return
    ctx.hops += 1
    sim = ctx.sim.port(port_id)
    if sim is None or sim.port.device_id is None:
        ctx.tags.add(port_id)
        ctx.drop(DropReason.UNKNOWN_OBJECT, port_id)
        return
    ctx.tags.update(sim.tags)
    ctx.meters.extend(sim.rx_meters)
    port = sim.port
    if ctx.trace is not None:
        ctx.step("port ingress", port.device_id, port_id)
    if not port.admin_state_up:
        ctx.drop(DropReason.PORT_DOWN, port_id)
        return
    if port.is_router_port and ctx.ethertype == ETH_TYPE_IPV6:
        ctx.drop(DropReason.NOT_IPV4, port_id)
        return
    ctx.in_port_id = port_id
    ctx.in_port_groups = port.port_group_ids
    if port.is_exterior:
        ctx.port_groups = port.port_group_ids
    ctx.out_port_id = None
    ctx.out_port_groups = ()
    ctx.nw_dst_rewritten = False
    if port.inbound_mirror_ids:
        mirror.apply(ctx, port.inbound_mirror_ids)
    if port.inbound_filter_id is not None:
        verdict = run_filter(ctx, port.inbound_filter_id, port_id)
        if verdict != ACCEPT:
            filtered(ctx, port, verdict)
            return
    if port.post_in_filter_mirror_ids:
        mirror.apply(ctx, port.post_in_filter_mirror_ids)
    if port.type is PortType.BRIDGE:
        bridge_device.process(ctx, port)
    else:
        router_device.process(ctx, port)


def egress(ctx: PacketContext, port_id: uuid.UUID, *, filters: bool = True) -> None:
    """The device sends the packet out of `port_id` (mirrors send copies unfiltered)."""
    sim = ctx.sim.port(port_id)
    if sim is None:
        ctx.tags.add(port_id)
        ctx.drop(DropReason.UNKNOWN_OBJECT, port_id)
        return
    ctx.tags.update(sim.tags)
    port = sim.port
    if port.is_bridge_port:
        if port_id == ctx.in_port_id:
            ctx.drop(DropReason.SAME_PORT, port_id)
            return
        if port.vlan_id and ctx.vlan_ids:
            ctx.vlan_ids = _without(ctx.vlan_ids, port.vlan_id)
    if ctx.trace is not None:
        ctx.step("port egress", port.device_id, port_id)
    ctx.meters.append(sim.tx_meter)
    if not port.admin_state_up:
        ctx.drop(DropReason.PORT_DOWN, port_id)
        return
    ctx.out_port_id = port_id
    ctx.out_port_groups = port.port_group_ids
    if filters:
        if port.pre_out_filter_mirror_ids:
            mirror.apply(ctx, port.pre_out_filter_mirror_ids)
        if port.outbound_filter_id is not None:
            verdict = run_filter(ctx, port.outbound_filter_id, port_id)
            if verdict != ACCEPT:
                filtered(ctx, port, verdict)
                return
    if port.outbound_mirror_ids:
        mirror.apply(ctx, port.outbound_mirror_ids)
    if port.peer_id is not None:
        ingress(ctx, port.peer_id)
    elif port.host_id is not None:
        if ctx.ct_key is not None and filters:  # a mirror's copy is not a connection
            conntrack.track_egress(ctx, port.device_id or port_id)
        ctx.output(port_id)
    else:
        ctx.drop(DropReason.DANGLING_PORT, port_id)


def filtered(ctx: PacketContext, port: Port, verdict: int) -> None:
    """A port filter dropped or rejected the packet; a router port answers a reject
    with ICMP administratively prohibited, as MidoNet's RouterPort does."""
    if verdict == REJECT:
        if port.is_router_port:
            router_device.reject(ctx, port)
        ctx.drop(DropReason.REJECTED, port.id)
    else:
        ctx.drop(DropReason.FILTERED, port.id)


def _without(vlans: tuple[int, ...], vid: int) -> tuple[int, ...]:
    if vid not in vlans:
        return vlans
    index = vlans.index(vid)
    return vlans[:index] + vlans[index + 1 :]
