"""FlowMatch: the exact-match key of a packet, read straight from frame bytes.

The datapath computes a `FlowMatch` for every packet it receives and looks it up in
the flow table (a dict keyed by FlowMatch), so extraction does the least work it can:
precompiled `struct.Struct`s, no header objects, addresses kept as ints and bytes.
FlowMatch is a `NamedTuple`: hashing and equality are the C tuple code, and an
untagged IPv4 TCP/UDP frame is decoded by a single `unpack_from`.

Fields (absent ones are 0, b"\\0" * 6 or ()):

    in_port             int    datapath port the frame arrived on
    tunnel_key          int    tunnel key (VXLAN VNI) it arrived with, 0 if none
    eth_src, eth_dst    bytes  6-byte MACs
    ethertype           int    after the VLAN tags; 0x05FF (ETH_TYPE_NONE) for 802.3
                               frames, whose type field is a length (as OVS does)
    vlan_ids            tuple[int, ...]  VLAN ids of the 802.1Q/802.1ad tags,
                               outermost first
    nw_src, nw_dst      int    IPv4 or IPv6 address (the ethertype says which); ARP:
                               sender and target protocol addresses
    nw_proto            int    IP protocol (IPv6: of the upper layer, after the
                               extension headers; for a later fragment, its fragment
                               header's next header); ARP: the opcode
    nw_tos              int    IPv4 TOS byte / IPv6 traffic class (DSCP and ECN)
    nw_ttl              int    IPv4 TTL / IPv6 hop limit
    frag_type           int    IPFragmentType: NONE, FIRST or LATER
    src_port, dst_port  int    TCP/UDP ports; ICMP/ICMPv6 type and code (as MidoNet
                               and OVS keep them; see `icmp_type`, `icmp_code`)
    icmp_id             int    identifier of an ICMP/ICMPv6 echo request or reply
    icmp_data_src, icmp_data_dst       int  addresses of the datagram an ICMP/ICMPv6
    icmp_data_proto                    int  error quotes, its protocol (IPv6: the
    icmp_data_src_port, icmp_data_dst_port  fixed header's next header) and its
                                       TCP/UDP ports (a quoted echo: its id in both)

Constructors: `match_frame(frame, in_port, tunnel_key=0, offset=0)` (the hot path),
`FlowMatch.from_frame(frame, in_port, tunnel_key=0)`, `FlowMatch.from_vxlan(datagram,
in_port)` / `match_vxlan` (VNI as tunnel key), or keywords: `FlowMatch(nw_proto=6)`.
Derived keys: `m.replace(**fields)` (NAT rewrites), `m.reversed()` (the reply's key).
Views for humans: `str(m)`, `ip_version`, `nw_src_ip`, `icmp_type`, `is_icmp_error`...

Truncated or inconsistent input raises `midonet.errors.MalformedPacket`, and nothing
else, wherever a header whose fields the key holds is cut short: the Ethernet header,
a VLAN tag, the IPv4/IPv6 header (extension headers included), ARP, the TCP, UDP or
ICMP header of an unfragmented packet, the IP header an ICMP error quotes. Those are
the checks `midonet.packets.parse` makes, so a frame it accepts always has a match. A
first fragment too short for its ports, a quote too short for its ports, or an ARP
message of another address shape keeps those fields absent (parse keeps such bytes
raw). Fields a key does not hold (UDP length, TCP data offset, checksums) are not
checked: a flow-table hit forwards such a frame as OVS would.

Not in the key: VLAN priorities, the IPv6 flow label, ARP hardware addresses,
neighbour-discovery targets, TCP flags.
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from typing import Any, NamedTuple

from midonet.errors import MalformedPacket
from midonet.packets.address import ZERO_MAC, ipv4_to_str, ipv6_to_str, mac_to_str
from midonet.packets.constants import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV4,
    ETH_TYPE_IPV6,
    ETH_TYPE_MIN,
    ETH_TYPE_QINQ,
    ETH_TYPE_VLAN,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_ERROR_TYPES,
    ICMPV6_ECHO_REPLY,
    ICMPV6_ECHO_REQUEST,
    ICMPV6_ERROR_TYPES,
    IP_PROTO_AH,
    IP_PROTO_HOPOPT,
    IP_PROTO_ICMP,
    IP_PROTO_ICMPV6,
    IP_PROTO_IPV6_FRAG,
    IP_PROTO_IPV6_OPTS,
    IP_PROTO_IPV6_ROUTE,
    IP_PROTO_MOBILITY,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)

__all__ = ["ETH_TYPE_NONE", "FlowMatch", "IPFragmentType", "match_frame", "match_vxlan"]

# The key's ethertype for 802.3 frames, whose type field is a length (OVS's value).
ETH_TYPE_NONE = 0x05FF


class IPFragmentType(enum.IntEnum):
    NONE = 0  # not a fragment (or an atomic one: offset 0, no more fragments)
    FIRST = 1  # offset 0, more fragments follow: carries the L4 header
    LATER = 2  # non-zero offset: no L4 header


_NONE = IPFragmentType.NONE
_FIRST = IPFragmentType.FIRST
_LATER = IPFragmentType.LATER

# Ethernet + a 20-byte IPv4 header + the first 4 bytes of L4, for the common case:
# dst, src, ethertype, version/IHL, TOS, total length, flags/fragment offset, TTL,
# protocol, source, destination, L4 source port, L4 destination port.
_FAST = struct.Struct("!6s6sHBBHxxHBBxxIIHH")
_FAST_LEN = _FAST.size  # 38
_ETH = struct.Struct("!6s6sH")
_TAG = struct.Struct("!HH")  # TCI, next ethertype
# version/IHL, TOS, total length, flags/fragment offset, TTL, protocol, src, dst
_IPV4 = struct.Struct("!BBHxxHBBxxII")
# version/class/flow label, payload length, next header, hop limit, src and dst halves
_IPV6 = struct.Struct("!IHBBQQQQ")
_IPV6_FRAG = struct.Struct("!BxH")  # next header, offset/flags
_PORTS = struct.Struct("!HH")
_ICMP = struct.Struct("!BBxxH")  # type, code, identifier (for echo)
_ARP = struct.Struct("!4xBBH6xI6xI")  # hlen, plen, op, spa, tpa
_VXLAN = struct.Struct("!BxxxI")  # flags, VNI << 8

_VLAN_TPIDS = (ETH_TYPE_VLAN, ETH_TYPE_QINQ)
_TCP_UDP = (IP_PROTO_TCP, IP_PROTO_UDP)
_IPV4_ADDRESSED = (ETH_TYPE_IPV4, ETH_TYPE_ARP)
# Extension headers walked to reach the upper layer (the codec's set): those in the
# (length + 1) * 8 layout, the fragment header, AH. ESP ends the chain.
_IPV6_EXTENSIONS = frozenset(
    {
        IP_PROTO_HOPOPT,
        IP_PROTO_IPV6_ROUTE,
        IP_PROTO_IPV6_OPTS,
        IP_PROTO_MOBILITY,
        139,  # HIP
        140,  # Shim6
        253,
        254,
        IP_PROTO_IPV6_FRAG,
        IP_PROTO_AH,
    }
)
_ECHO_TYPES = frozenset({ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY})
_ECHO6_TYPES = frozenset({ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY})
_ECHO_REVERSE = {ICMP_ECHO_REQUEST: ICMP_ECHO_REPLY, ICMP_ECHO_REPLY: ICMP_ECHO_REQUEST}
_ECHO6_REVERSE = {ICMPV6_ECHO_REQUEST: ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REPLY: ICMPV6_ECHO_REQUEST}
_PROTO_NAMES = {
    IP_PROTO_TCP: "tcp",
    IP_PROTO_UDP: "udp",
    IP_PROTO_ICMP: "icmp",
    IP_PROTO_ICMPV6: "icmpv6",
}
_new = tuple.__new__


class FlowMatch(NamedTuple):
    """The key of a packet (fields in the module docstring). Build one from a frame
    with `from_frame` / `match_frame`, or by keywords for tests and simulations."""

    in_port: int = 0
    tunnel_key: int = 0
    eth_src: bytes = ZERO_MAC
    eth_dst: bytes = ZERO_MAC
    ethertype: int = 0
    vlan_ids: tuple[int, ...] = ()
    nw_src: int = 0
    nw_dst: int = 0
    nw_proto: int = 0
    nw_tos: int = 0
    nw_ttl: int = 0
    frag_type: int = _NONE
    src_port: int = 0
    dst_port: int = 0
    icmp_id: int = 0
    icmp_data_src: int = 0
    icmp_data_dst: int = 0
    icmp_data_proto: int = 0
    icmp_data_src_port: int = 0
    icmp_data_dst_port: int = 0

    # --- constructors ---------------------------------------------------------------

    @classmethod
    def from_frame(
        cls, frame: bytes | bytearray | memoryview, in_port: int, tunnel_key: int = 0
    ) -> FlowMatch:
        """The key of an Ethernet frame received on `in_port` (with `tunnel_key` when
        it came out of a tunnel). Raises only MalformedPacket."""
        return match_frame(frame, in_port, tunnel_key)

    @classmethod
    def from_vxlan(cls, datagram: bytes | bytearray | memoryview, in_port: int) -> FlowMatch:
        """The key of the frame a VXLAN datagram (a UDP payload, as read from the
        tunnel's socket) carries; its VNI becomes the tunnel key."""
        return match_vxlan(datagram, in_port)

    # --- derived matches ------------------------------------------------------------

    def replace(self, **fields: Any) -> FlowMatch:
        """This match with some fields changed, e.g. by a NAT rule's rewrite. An
        unknown field name raises ValueError."""
        return self._replace(**fields)

    def reversed(self) -> FlowMatch:
        """The key a reply would have: MACs, addresses and TCP/UDP ports swapped, an
        ICMP echo request turned into a reply (and vice versa). The ingress port and
        tunnel key stay as they are; a reply's are not known from the request."""
        src_port, dst_port = self.src_port, self.dst_port
        if self.ethertype == ETH_TYPE_ARP:
            pass  # nw_proto is the opcode here, not an IP protocol
        elif self.nw_proto in _TCP_UDP:
            src_port, dst_port = dst_port, src_port
        elif self.is_icmp and self.frag_type != _LATER:
            echo = _ECHO_REVERSE if self.ethertype == ETH_TYPE_IPV4 else _ECHO6_REVERSE
            src_port = echo.get(src_port, src_port)
        return self._replace(
            eth_src=self.eth_dst,
            eth_dst=self.eth_src,
            nw_src=self.nw_dst,
            nw_dst=self.nw_src,
            src_port=src_port,
            dst_port=dst_port,
        )

    # --- views for code off the hot path and for humans -----------------------------

    @property
    def ip_version(self) -> int | None:
        """4 for IPv4 and ARP (whose addresses are IPv4), 6 for IPv6, else None."""
        et = self.ethertype
        if et in _IPV4_ADDRESSED:
            return 4
        return 6 if et == ETH_TYPE_IPV6 else None

    @property
    def is_icmp(self) -> bool:
        et, proto = self.ethertype, self.nw_proto
        return (et == ETH_TYPE_IPV4 and proto == IP_PROTO_ICMP) or (
            et == ETH_TYPE_IPV6 and proto == IP_PROTO_ICMPV6
        )

    @property
    def icmp_type(self) -> int | None:
        return self.src_port if self.is_icmp and self.frag_type != _LATER else None

    @property
    def icmp_code(self) -> int | None:
        return self.dst_port if self.is_icmp and self.frag_type != _LATER else None

    @property
    def is_icmp_error(self) -> bool:
        """An ICMP/ICMPv6 error, whose icmp_data_* fields describe the quoted datagram."""
        if not self.is_icmp or self.frag_type != _NONE:
            return False
        errors = ICMP_ERROR_TYPES if self.ethertype == ETH_TYPE_IPV4 else ICMPV6_ERROR_TYPES
        return self.src_port in errors

    @property
    def nw_src_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return _ip(self.nw_src, self.ip_version)

    @property
    def nw_dst_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return _ip(self.nw_dst, self.ip_version)

    @property
    def icmp_data_src_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return _ip(self.icmp_data_src, self.ip_version) if self.is_icmp_error else None

    @property
    def icmp_data_dst_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return _ip(self.icmp_data_dst, self.ip_version) if self.is_icmp_error else None

    def __str__(self) -> str:
        parts = [f"in_port={self.in_port}"]
        if self.tunnel_key:
            parts.append(f"tunnel_key={self.tunnel_key}")
        parts.append(f"eth {mac_to_str(self.eth_src)} > {mac_to_str(self.eth_dst)}")
        if self.vlan_ids:
            parts.append("vlan=" + ",".join(map(str, self.vlan_ids)))
        et = self.ethertype
        version = self.ip_version
        if version is None:
            parts.append(f"type=0x{et:04x}")
            return " ".join(parts)
        text = ipv4_to_str if version == 4 else ipv6_to_str
        src, dst = text(self.nw_src), text(self.nw_dst)
        if et == ETH_TYPE_ARP:
            parts.append(f"arp op={self.nw_proto} {src} > {dst}")
            return " ".join(parts)
        proto = _PROTO_NAMES.get(self.nw_proto, str(self.nw_proto))
        parts.append(f"ipv{version} {src} > {dst} proto={proto}")
        parts.append(f"tos=0x{self.nw_tos:02x} ttl={self.nw_ttl}")
        if self.frag_type:
            parts.append(f"frag={IPFragmentType(self.frag_type).name.lower()}")
        if self.is_icmp:
            if self.frag_type != _LATER:
                parts.append(f"type={self.src_port} code={self.dst_port}")
            if self.icmp_id:
                parts.append(f"id={self.icmp_id}")
            if self.is_icmp_error:
                quoted = _PROTO_NAMES.get(self.icmp_data_proto, str(self.icmp_data_proto))
                parts.append(
                    f"quoting {quoted} {text(self.icmp_data_src)}:{self.icmp_data_src_port}"
                    f" > {text(self.icmp_data_dst)}:{self.icmp_data_dst_port}"
                )
        elif self.nw_proto in _TCP_UDP and self.frag_type != _LATER:
            parts.append(f"ports {self.src_port} > {self.dst_port}")
        return " ".join(parts)


def _ip(addr: int, version: int | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if version == 4:
        return ipaddress.IPv4Address(addr)
    return ipaddress.IPv6Address(addr) if version == 6 else None


# --- extraction -------------------------------------------------------------------


def match_frame(
    frame: bytes | bytearray | memoryview, in_port: int, tunnel_key: int = 0, offset: int = 0
) -> FlowMatch:
    """The key of the Ethernet frame in `frame[offset:]` (see FlowMatch.from_frame)."""
    end = len(frame)
    if end - offset >= _FAST_LEN:
        dst, src, et, vihl, tos, total, frag, ttl, proto, nw_src, nw_dst, sp, dp = (
            _FAST.unpack_from(frame, offset)
        )
        # Untagged IPv4 without options, not a fragment, carrying a whole TCP or UDP
        # header: everything the key needs is in hand.
        if (
            et == ETH_TYPE_IPV4
            and vihl == 0x45
            and not frag & 0x3FFF
            and total <= end - offset - 14
            and ((proto == IP_PROTO_UDP and total >= 28) or (proto == IP_PROTO_TCP and total >= 40))
        ):
            return _new(
                FlowMatch,
                (
                    in_port,
                    tunnel_key,
                    src,
                    dst,
                    et,
                    (),
                    nw_src,
                    nw_dst,
                    proto,
                    tos,
                    ttl,
                    _NONE,
                    sp,
                    dp,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ),
            )
    try:
        return _match_slow(frame, offset, end, in_port, tunnel_key)
    except (struct.error, IndexError) as e:  # a bounds check missed: still bad input
        raise MalformedPacket("frame", str(e)) from None


def match_vxlan(datagram: bytes | bytearray | memoryview, in_port: int) -> FlowMatch:
    """The key of the frame in a VXLAN datagram (see FlowMatch.from_vxlan). A header
    without the I flag carries no valid VNI (RFC 7348) and is refused."""
    if len(datagram) < 8:
        raise MalformedPacket("VXLAN", f"{len(datagram)} bytes, the header needs 8")
    flags, word = _VXLAN.unpack_from(datagram, 0)
    if not flags & 0x08:
        raise MalformedPacket("VXLAN", "the I flag is clear: no valid VNI")
    return match_frame(datagram, in_port, word >> 8, 8)


def _match_slow(
    buf: bytes | bytearray | memoryview, off: int, end: int, in_port: int, tunnel_key: int
) -> FlowMatch:
    # Each L3 decoder builds the whole FlowMatch itself: splicing partial tuples
    # (`(*head, *fields)`) would cost some 100 ns per splice.
    if end - off < 14:
        raise MalformedPacket("Ethernet", f"{end - off} bytes, the header needs 14")
    dst, src, et = _ETH.unpack_from(buf, off)
    pos = off + 14
    vlans: tuple[int, ...] = ()
    if et in _VLAN_TPIDS:
        ids = []
        while et in _VLAN_TPIDS:
            if end - pos < 4:
                raise MalformedPacket("Ethernet", "VLAN tag truncated")
            tci, et = _TAG.unpack_from(buf, pos)
            ids.append(tci & 0xFFF)
            pos += 4
        vlans = tuple(ids)
    if et == ETH_TYPE_IPV4:
        return _ipv4(buf, pos, end, in_port, tunnel_key, src, dst, vlans)
    if et == ETH_TYPE_IPV6:
        return _ipv6(buf, pos, end, in_port, tunnel_key, src, dst, vlans)
    nw_src = nw_dst = op = 0
    if et == ETH_TYPE_ARP:
        if end - pos < 8:
            raise MalformedPacket("ARP", f"{end - pos} bytes, the fixed header needs 8")
        # Other address shapes than Ethernet/IPv4 leave nothing the key can hold.
        if buf[pos + 4] == 6 and buf[pos + 5] == 4:
            if end - pos < 28:
                raise MalformedPacket("ARP", f"{end - pos} bytes, the message needs 28")
            _, _, op, nw_src, nw_dst = _ARP.unpack_from(buf, pos)
    elif et < ETH_TYPE_MIN:
        et = ETH_TYPE_NONE
    return _new(
        FlowMatch,
        (
            in_port,
            tunnel_key,
            src,
            dst,
            et,
            vlans,
            nw_src,
            nw_dst,
            op,
            0,
            0,
            _NONE,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ),
    )


def _ipv4(
    buf: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    in_port: int,
    tunnel_key: int,
    eth_src: bytes,
    eth_dst: bytes,
    vlans: tuple[int, ...],
) -> FlowMatch:
    if end - pos < 20:
        raise MalformedPacket("IPv4", f"{end - pos} bytes, the header needs 20")
    vihl, tos, total, frag, ttl, proto, src, dst = _IPV4.unpack_from(buf, pos)
    if vihl >> 4 != 4:
        raise MalformedPacket("IPv4", f"version is {vihl >> 4}")
    hl = (vihl & 0xF) << 2
    if hl < 20:
        raise MalformedPacket("IPv4", f"IHL {vihl & 0xF} is below 5")
    if hl > end - pos:
        raise MalformedPacket("IPv4", f"header of {hl} bytes truncated to {end - pos}")
    if total < hl:
        raise MalformedPacket("IPv4", f"total length {total} is shorter than the header")
    if total > end - pos:
        raise MalformedPacket("IPv4", f"total length {total} exceeds the {end - pos} bytes")
    sp = dp = icmp_id = q_src = q_dst = q_proto = q_sp = q_dp = 0
    if frag & 0x1FFF:
        ftype = _LATER  # the L4 header is in the first fragment
    else:
        ftype = _FIRST if frag & 0x2000 else _NONE
        l4, room = pos + hl, total - hl
        if proto in _TCP_UDP:
            if room >= 4:
                sp, dp = _PORTS.unpack_from(buf, l4)
            need = 20 if proto == IP_PROTO_TCP else 8
            if room < need and ftype is _NONE:
                name = "TCP" if proto == IP_PROTO_TCP else "UDP"
                raise MalformedPacket(name, f"{room} bytes, the header needs {need}")
        elif proto == IP_PROTO_ICMP:
            if room >= 8:
                sp, dp, ident = _ICMP.unpack_from(buf, l4)
                if sp in _ECHO_TYPES:
                    icmp_id = ident
                elif sp in ICMP_ERROR_TYPES and ftype is _NONE:
                    q_src, q_dst, q_proto, q_sp, q_dp = _ipv4_quote(buf, l4 + 8, pos + total)
            elif ftype is _NONE:
                raise MalformedPacket("ICMP", f"{room} bytes, the header needs 8")
    return _new(
        FlowMatch,
        (
            in_port,
            tunnel_key,
            eth_src,
            eth_dst,
            ETH_TYPE_IPV4,
            vlans,
            src,
            dst,
            proto,
            tos,
            ttl,
            ftype,
            sp,
            dp,
            icmp_id,
            q_src,
            q_dst,
            q_proto,
            q_sp,
            q_dp,
        ),
    )


def _ipv4_quote(
    buf: bytes | bytearray | memoryview, pos: int, end: int
) -> tuple[int, int, int, int, int]:
    """The addresses, protocol and ports of the datagram an ICMP error quotes."""
    if end - pos < 20:
        raise MalformedPacket("ICMP", f"quoted datagram: {end - pos} bytes, the header needs 20")
    vihl, _, total, frag, _, proto, src, dst = _IPV4.unpack_from(buf, pos)
    hl = (vihl & 0xF) << 2
    if vihl >> 4 != 4 or hl < 20 or hl > end - pos or total < hl:
        raise MalformedPacket("ICMP", "quoted datagram: bad IPv4 header")
    l4 = pos + hl
    sp = dp = 0
    if frag & 0x1FFF:
        pass  # a later fragment was quoted: its data holds no ports
    elif proto in _TCP_UDP:
        if end - l4 >= 4:
            sp, dp = _PORTS.unpack_from(buf, l4)
    elif proto == IP_PROTO_ICMP and end - l4 >= 6 and buf[l4] in _ECHO_TYPES:
        sp = dp = _ICMP.unpack_from(buf, l4)[2]
    return (src, dst, proto, sp, dp)


def _ipv6(
    buf: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    in_port: int,
    tunnel_key: int,
    eth_src: bytes,
    eth_dst: bytes,
    vlans: tuple[int, ...],
) -> FlowMatch:
    if end - pos < 40:
        raise MalformedPacket("IPv6", f"{end - pos} bytes, the header needs 40")
    vtf, plen, nh, hlim, sh, sl, dh, dl = _IPV6.unpack_from(buf, pos)
    if vtf >> 28 != 6:
        raise MalformedPacket("IPv6", f"version is {vtf >> 28}")
    stop = pos + 40 + plen
    if stop > end:
        raise MalformedPacket("IPv6", f"payload length {plen} exceeds the {end - pos - 40} bytes")
    l4 = pos + 40
    ftype = _NONE
    sp = dp = icmp_id = q_src = q_dst = q_proto = q_sp = q_dp = 0
    while nh in _IPV6_EXTENSIONS:
        if stop - l4 < 8:
            raise MalformedPacket("IPv6", f"extension header {nh} truncated")
        if nh == IP_PROTO_IPV6_FRAG:
            nxt, frag = _IPV6_FRAG.unpack_from(buf, l4)
            if frag & 0xFFF8:
                # What follows is fragment data, not headers: its next header is the
                # protocol (as OVS keys it), even when an extension header.
                ftype = _LATER
                nh = nxt
                break
            if frag & 1:
                ftype = _FIRST
            size = 8
        else:
            nxt, units = buf[l4], buf[l4 + 1]
            size = (units + 2) * 4 if nh == IP_PROTO_AH else (units + 1) * 8
            if size > stop - l4:
                raise MalformedPacket("IPv6", f"extension header {nh} truncated")
        l4 += size
        nh = nxt
    room = stop - l4
    if ftype is _LATER:
        pass
    elif nh in _TCP_UDP:
        if room >= 4:
            sp, dp = _PORTS.unpack_from(buf, l4)
        need = 20 if nh == IP_PROTO_TCP else 8
        if room < need and ftype is _NONE:
            name = "TCP" if nh == IP_PROTO_TCP else "UDP"
            raise MalformedPacket(name, f"{room} bytes, the header needs {need}")
    elif nh == IP_PROTO_ICMPV6:
        if room >= 8:
            sp, dp, ident = _ICMP.unpack_from(buf, l4)
            if sp in _ECHO6_TYPES:
                icmp_id = ident
            elif sp in ICMPV6_ERROR_TYPES and ftype is _NONE:
                q_src, q_dst, q_proto, q_sp, q_dp = _ipv6_quote(buf, l4 + 8, stop)
        elif ftype is _NONE:
            raise MalformedPacket("ICMPv6", f"{room} bytes, the header needs 8")
    tclass = (vtf >> 20) & 0xFF
    return _new(
        FlowMatch,
        (
            in_port,
            tunnel_key,
            eth_src,
            eth_dst,
            ETH_TYPE_IPV6,
            vlans,
            sh << 64 | sl,
            dh << 64 | dl,
            nh,
            tclass,
            hlim,
            ftype,
            sp,
            dp,
            icmp_id,
            q_src,
            q_dst,
            q_proto,
            q_sp,
            q_dp,
        ),
    )


def _ipv6_quote(
    buf: bytes | bytearray | memoryview, pos: int, end: int
) -> tuple[int, int, int, int, int]:
    """The addresses, next header and ports of the datagram an ICMPv6 error quotes;
    ports only when no extension header precedes them."""
    if end - pos < 40:
        raise MalformedPacket("ICMPv6", f"quoted datagram: {end - pos} bytes, the header needs 40")
    vtf, _, nh, _, sh, sl, dh, dl = _IPV6.unpack_from(buf, pos)
    if vtf >> 28 != 6:
        raise MalformedPacket("ICMPv6", f"quoted datagram: version is {vtf >> 28}")
    l4 = pos + 40
    sp = dp = 0
    if nh in _TCP_UDP:
        if end - l4 >= 4:
            sp, dp = _PORTS.unpack_from(buf, l4)
    elif nh == IP_PROTO_ICMPV6 and end - l4 >= 6 and buf[l4] in _ECHO6_TYPES:
        sp = dp = _ICMP.unpack_from(buf, l4)[2]
    return (sh << 64 | sl, dh << 64 | dl, nh, sp, dp)
