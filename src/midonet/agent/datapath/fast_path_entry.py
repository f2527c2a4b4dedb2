"""A flow as the kernel fast path holds it: the key and value bytes of its map entry.

The kernel programs (`fast_path`) read a packet's first 40 bytes — Ethernet, a
20-byte IPv4 header, the TCP/UDP ports or an ICMP echo's type, code, checksum and
identifier — and look them up, with the interface the packet came in on, in a hash
map. The key keeps the frame's layout, with the bytes that differ from packet to
packet of one flow zeroed (IP total length, id, fragment field, header checksum, an
echo's checksum, what follows the ports), so it is exactly the `FlowMatch` of an
untagged, unfragmented IPv4 TCP, UDP or ICMP echo packet. The value is what the
flow's actions do to every such packet: the MACs, TOS, TTL, addresses and ports it
leaves with, the constant change to each checksum (RFC 1624), and the interface it
goes out of — or none, to drop it. The kernel adds each packet to the value's
counters.

Only flows whose whole effect fits that are offloaded: one output to a local
interface (or none), header rewrites of those fields (an echo keeps its type, code
and identifier), no VLANs, no tunnels, no ICMP errors (they quote a datagram).
Everything else stays with the user-space datapath.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Sequence

from midonet.agent.simulation.result import Action, Output, SetField
from midonet.packets.constants import (
    ETH_TYPE_IPV4,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)
from midonet.packets.match import FlowMatch, IPFragmentType

KEY_SIZE = 44
VALUE_SIZE = 72
HEADER_BYTES = 40
"""Ethernet (14) + IPv4 without options (20) + the two ports (4), and for an ICMP
echo its type, code, checksum and identifier."""

# Value layout (offsets the kernel program reads).
V_OUT_IFINDEX = 0  # u32: 0 drops the packet
V_L4_CSUM_AT = 4  # u32: the TCP/UDP checksum's offset in the frame (unused for ICMP)
V_MACS = 8  # 12 bytes: destination, source
V_TOS = 20  # u8
V_TTL = 21  # u8
V_ADDRS_PORTS = 24  # 12 bytes: source, destination address; source, destination port
V_IP_DIFF = 36  # u32: change to the IPv4 header checksum
V_PSEUDO_DIFF = 40  # u32: change to the L4 checksum from the addresses (pseudo-header)
V_PORTS_DIFF = 44  # u32: change to the L4 checksum from the ports
V_PSEUDO_FLAGS = 48  # u32: bpf_l4_csum_replace flags for the first
V_PORTS_FLAGS = 52  # u32: and for the second
V_PACKETS = 56  # u64, counted by the kernel
V_BYTES = 64  # u64

# bpf_l4_csum_replace flags (linux/bpf.h).
F_PSEUDO_HDR = 1 << 4
F_MARK_MANGLED_0 = 1 << 5  # UDP: a zero checksum means none, and stays so

# Numbers the program reads as integers are in host order; header bytes in network order.
_KEY_IFINDEX = struct.Struct("=I")
_KEY_HEADER = struct.Struct("!6s6sHBB6xBB2xIIHHH")
_VALUE_OUT = struct.Struct("=II")
_VALUE_HEADER = struct.Struct("!6s6sBB2xIIHH")
_VALUE_CSUM = struct.Struct("=IIIII")
_COUNTERS = struct.Struct("=QQ")
_COUNTERS_ZERO = bytes(_COUNTERS.size)
_L4_CSUM_AT = {IP_PROTO_TCP: 50, IP_PROTO_UDP: 40, IP_PROTO_ICMP: 36}  # 14 + 20 + ...
_ECHO_TYPES = (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY)
_VERSION_IHL = 0x45


def entry_key(match: FlowMatch, ifindex: int) -> bytes | None:
    """The map key of packets with `match` arriving on interface `ifindex`, or None if
    the kernel programs do not handle such packets."""
    if (
        match.ethertype != ETH_TYPE_IPV4
        or match.vlan_ids
        or match.tunnel_key
        or match.frag_type != IPFragmentType.NONE
        or match.nw_proto not in _L4_CSUM_AT
    ):
        return None
    if match.nw_proto == IP_PROTO_ICMP:
        if match.src_port not in _ECHO_TYPES:
            return None  # an error: it quotes a datagram, which the agent reads
        # type and code, the checksum (zeroed), the identifier
        l4 = ((match.src_port << 8) | match.dst_port, 0, match.icmp_id)
    else:
        l4 = (match.src_port, match.dst_port, 0)
    return _KEY_IFINDEX.pack(ifindex) + _KEY_HEADER.pack(
        match.eth_dst, match.eth_src, ETH_TYPE_IPV4, _VERSION_IHL, match.nw_tos,
        match.nw_ttl, match.nw_proto, match.nw_src, match.nw_dst, *l4,
    )  # fmt: skip


def entry_value(
    match: FlowMatch,
    actions: Sequence[Action],
    ifindex_of: Callable[[uuid.UUID], int | None],
) -> bytes | None:
    """What the kernel does to packets of `match` for `actions`, or None if it cannot
    do all of it. `ifindex_of` gives the local interface a virtual port is bound to.
    (Written flat: it runs for every new flow.)"""
    eth_dst, eth_src = match.eth_dst, match.eth_src
    tos, ttl, src, dst = match.nw_tos, match.nw_ttl, match.nw_src, match.nw_dst
    sport, dport = match.src_port, match.dst_port
    out_ifindex = 0
    for action in actions:
        if out_ifindex:
            return None  # anything after the output: a second output or a rewrite for it
        if type(action) is SetField:
            name, value = action.field, action.value
            if name == "eth_dst":
                eth_dst = _bytes(value)
            elif name == "eth_src":
                eth_src = _bytes(value)
            elif name == "nw_src":
                src = _int(value)
            elif name == "nw_dst":
                dst = _int(value)
            elif name == "src_port" and match.nw_proto != IP_PROTO_ICMP:
                sport = _int(value)
            elif name == "dst_port" and match.nw_proto != IP_PROTO_ICMP:
                dport = _int(value)
            elif name == "nw_ttl":
                ttl = _int(value)
            elif name == "nw_tos":
                tos = _int(value)
            else:
                return None
        elif type(action) is Output:
            out_ifindex = ifindex_of(action.port_id) or 0
            if not out_ifindex:
                return None  # a tunnel, or a port not bound here
        else:
            return None
    if not out_ifindex and actions:
        return None  # rewrites and no output: the generic path knows what that means
    proto = match.nw_proto
    pseudo = _changed32(match.nw_src, src, 0)
    pseudo = _changed32(match.nw_dst, dst, pseudo)
    ip = _changed16((_VERSION_IHL << 8) | match.nw_tos, (_VERSION_IHL << 8) | tos, pseudo)
    ip = _changed16((match.nw_ttl << 8) | proto, (ttl << 8) | proto, ip)
    ports = _changed16(match.src_port, sport, 0)
    ports = _changed16(match.dst_port, dport, ports)
    mangled = F_MARK_MANGLED_0 if proto == IP_PROTO_UDP else 0
    sums = (_fold(ip), _fold(pseudo), _fold(ports), F_PSEUDO_HDR | mangled, mangled)
    return (
        _VALUE_OUT.pack(out_ifindex, _L4_CSUM_AT[proto])
        + _VALUE_HEADER.pack(eth_dst, eth_src, tos, ttl, src, dst, sport, dport)
        + _VALUE_CSUM.pack(*sums)
        + _COUNTERS_ZERO
    )


def counters(value: bytes) -> tuple[int, int]:
    """(packets, bytes) the kernel counted in a map value."""
    packets, size = _COUNTERS.unpack_from(value, V_PACKETS)
    return int(packets), int(size)


def _changed16(old: int, new: int, total: int) -> int:
    """`total` plus the one's-complement change of one 16-bit word (RFC 1624)."""
    return total if old == new else total + (~old & 0xFFFF) + new


def _changed32(old: int, new: int, total: int) -> int:
    """The same for a 32-bit field: its two words."""
    if old == new:
        return total
    total = _changed16(old >> 16, new >> 16, total)
    return _changed16(old & 0xFFFF, new & 0xFFFF, total)


def _fold(total: int) -> int:
    """A change folded to 16 bits and byte-swapped: the kernel sums the checksum
    field as it lies in memory, which on a little-endian CPU is the byte-swapped
    network-order word."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ((total & 0xFF) << 8) | (total >> 8) if _LITTLE_ENDIAN else total


def _int(value: int | bytes) -> int:
    return value if isinstance(value, int) else int.from_bytes(value, "big")


def _bytes(value: int | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.to_bytes(6, "big")


_LITTLE_ENDIAN = struct.pack("=H", 1) == b"\x01\x00"
