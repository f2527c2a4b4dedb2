"""ICMP a router sends: errors about a packet it cannot forward, echo replies.

An error is never sent about an ICMP error, a non-first fragment, a frame to a
link-layer broadcast or multicast address, a packet to an IP broadcast or multicast
address, or a packet whose source is not a unicast host (MidoNet's Icmp.scala, after
RFC 1812 4.3.2.7). The error goes back to the packet's sender by the router port the
packet came in by, quoting the packet as the router received it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from midonet.packets import Ethernet, IPv4, builder, parse
from midonet.packets.checksum import update16
from midonet.packets.constants import (
    ETH_TYPE_IPV4,
    ICMP_ECHO_REPLY,
    ICMP_ERROR_TYPES,
    IP_PROTO_ICMP,
)
from midonet.packets.icmp import ICMP
from midonet.packets.match import IPFragmentType

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext

_MULTICAST_NET = 0xE0000000  # 224.0.0.0/4
_LOOPBACK_NET = 0x7F000000  # 127.0.0.0/8
_ALL_ONES = 0xFFFFFFFF


def may_answer(ctx: PacketContext, port_network: int, port_mask: int) -> bool:
    """Whether an ICMP error may be sent about the current packet."""
    if ctx.ethertype != ETH_TYPE_IPV4 or ctx.frag_type == IPFragmentType.LATER:
        return False
    if ctx.nw_proto == IP_PROTO_ICMP and ctx.src_port in ICMP_ERROR_TYPES:
        return False
    if ctx.eth_dst[0] & 1:
        return False
    dst, src = ctx.nw_dst, ctx.nw_src
    if dst == _ALL_ONES or dst & 0xF0000000 == _MULTICAST_NET:
        return False
    if port_mask and port_mask != _ALL_ONES and dst == port_network | (~port_mask & _ALL_ONES):
        return False  # the ingress subnet's broadcast address
    return not (
        src in (0, _ALL_ONES)
        or src & 4026531840 >= _MULTICAST_NET
        or src & 4278190080 == _LOOPBACK_NET
    )


def received_ip(ctx: PacketContext) -> bytes:
    """The IPv4 packet as the current router received it: the original bytes with the
    TTL the packet had on arrival (earlier routers decremented it)."""
    start = 14 + 4 * len(ctx.match.vlan_ids)
    ip = bytearray(ctx.frame[start:])
    if ip[8] != ctx.received_ttl:
        old_word = (ip[8] << 8) | ip[9]
        ip[8] = ctx.received_ttl
        checksum = update16((ip[10] << 8) | ip[11], old_word, (ip[8] << 8) | ip[9])
        ip[10:12] = checksum.to_bytes(2, "big")
    return bytes(ip)


def error_frame(
    ctx: PacketContext, port_mac: bytes, port_address: int, icmp_type: int, code: int
) -> bytes:
    """The frame of an ICMP error from the router port (`port_mac`, `port_address`)
    back to the sender of the current packet."""
    packet = builder.icmp_error(
        received_ip(ctx), icmp_type=icmp_type, code=code, src_ip=port_address
    )
    return Ethernet(ctx.eth_src, port_mac, ETH_TYPE_IPV4, packet).serialize()


def echo_reply_frame(ctx: PacketContext, port_mac: bytes, next_hop: bytes) -> bytes | None:
    """The reply to an ICMP echo request addressed to the router, from `port_mac` to
    `next_hop` (None if the request's bytes hold no echo, e.g. a fragment)."""
    frame = parse(ctx.frame, verify_checksums=False)
    ip = frame.payload
    if not isinstance(ip, IPv4) or not isinstance(ip.payload, ICMP):
        return None
    request = ip.payload
    payload = request.payload if isinstance(request.payload, bytes) else b""
    reply = ICMP(ICMP_ECHO_REPLY, 0, request.rest, payload)
    packet = IPv4(ctx.nw_dst, ctx.nw_src, IP_PROTO_ICMP, reply)
    return Ethernet(next_hop, port_mac, ETH_TYPE_IPV4, packet).serialize()
