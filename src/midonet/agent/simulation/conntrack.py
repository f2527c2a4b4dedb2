"""Connection tracking: is this packet a forward flow, or the reply of one?

MidoNet's ConnTrackState, evaluated lazily: only a rule that asks (`match-forward-
flow` / `match-return-flow`) looks the packet up, so untracked traffic costs nothing.

- The key of a packet is (src ip, src port, dst ip, dst port, protocol, device) read
  from the packet *as it entered* the virtual network and the device of its ingress
  port; for ICMP both ports are the echo identifier.
- A packet is a return flow when its key is in the table; otherwise it is forward
  and its flow is tagged with the key, so the flow goes when the key appears.
- A tracked forward packet that leaves by an exterior port records the key its reply
  will have: addresses and ports swapped, as the packet leaves (after NAT), and the
  egress port's device (`ConnTrackAdded`).
- Packets the devices generate (ICMP errors, echo replies) count as return flows.

IPv4 TCP, UDP and ICMP are tracked; anything else is always a forward flow.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from midonet.agent.simulation.result import ConnTrackAdded
from midonet.agent.simulation.state_keys import ConnTrackKey
from midonet.packets.constants import ETH_TYPE_IPV4, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext

__all__ = ["ConnTrackKey", "ingress_key", "is_forward_flow", "is_tracked", "track_egress"]

TRACKED_PROTOCOLS = frozenset((IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP))


def is_tracked(ctx: PacketContext) -> bool:
    return ctx.ethertype == ETH_TYPE_IPV4 and ctx.nw_proto in TRACKED_PROTOCOLS


def ingress_key(ctx: PacketContext) -> ConnTrackKey | None:
    """The key of the packet as it entered (None: untracked, or no ingress device)."""
    match = ctx.match
    if ctx.ingress_device is None or not is_tracked(ctx):
        return None
    if match.nw_proto == IP_PROTO_ICMP:
        src_port = dst_port = match.icmp_id
    else:
        src_port, dst_port = match.src_port, match.dst_port
    return ConnTrackKey(
        match.nw_src, src_port, match.nw_dst, dst_port, match.nw_proto, ctx.ingress_device
    )


def is_forward_flow(ctx: PacketContext) -> bool:
    """Look the packet up once per simulation (the answer is kept in the context)."""
    if ctx.ct_forward is not None:
        return ctx.ct_forward
    if ctx.generated_packet:
        ctx.ct_forward = False
        if ctx.trace is not None:
            ctx.step("conntrack", detail=(("verdict", "return (generated packet)"),))
        return False
    key = ingress_key(ctx)
    if key is None:
        ctx.ct_forward = True
        return True
    forward = key not in ctx.state.conntrack
    ctx.ct_forward = forward
    if forward:
        ctx.ct_key = key
        ctx.tags.add(key)
    if ctx.trace is not None:
        verdict = "forward" if forward else "return"
        ctx.step("conntrack", detail=(("key", str(key)), ("verdict", verdict)))
    return forward


def track_egress(ctx: PacketContext, egress_device: uuid.UUID) -> None:
    """A packet leaves by an exterior port of `egress_device`: if it was looked up and
    is a forward flow, record the key of its reply."""
    if ctx.ct_key is None or not ctx.ct_forward:
        return
    if ctx.nw_proto == IP_PROTO_ICMP:
        src_port = dst_port = ctx.match.icmp_id
    else:
        src_port, dst_port = ctx.dst_port, ctx.src_port
    key = ConnTrackKey(ctx.nw_dst, src_port, ctx.nw_src, dst_port, ctx.nw_proto, egress_device)
    ctx.state_changes.append(ConnTrackAdded(key))
    ctx.tags.add(key)  # keeps the entry alive while this flow lives
    if ctx.trace is not None:
        ctx.step("conntrack recorded", egress_device, detail=(("return key", str(key)),))
