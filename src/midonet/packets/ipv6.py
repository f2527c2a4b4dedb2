"""IPv6 (RFC 8200): the fixed header, the fragment header, and other extension headers
walked structurally and kept opaque."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import gre, icmpv6, tcp, udp
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import pseudo_sum
from midonet.packets.constants import (
    IP_PROTO_AH,
    IP_PROTO_GRE,
    IP_PROTO_HOPOPT,
    IP_PROTO_ICMPV6,
    IP_PROTO_IPV6_FRAG,
    IP_PROTO_IPV6_OPTS,
    IP_PROTO_IPV6_ROUTE,
    IP_PROTO_MOBILITY,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)

if TYPE_CHECKING:
    from midonet.packets.gre import GRE
    from midonet.packets.icmpv6 import ICMPv6
    from midonet.packets.tcp import TCP
    from midonet.packets.udp import UDP

# version/traffic class/flow label, payload length, next header, hop limit, then the
# two addresses as 64-bit halves
_HEADER = struct.Struct("!IHBBQQQQ")
HEADER_LEN = 40
_FRAGMENT = struct.Struct("!BBHI")  # next header, reserved, offset/flags, identification
_PORTS = struct.Struct("!HH")
_M64 = (1 << 64) - 1
# Extension headers in the (length + 1) * 8 layout; HIP (139), Shim6 (140) and the
# experimental 253/254 share it. ESP (50) cannot be walked and ends the chain.
_OPTION_LIKE = frozenset(
    {
        IP_PROTO_HOPOPT,
        IP_PROTO_IPV6_ROUTE,
        IP_PROTO_IPV6_OPTS,
        IP_PROTO_MOBILITY,
        139,
        140,
        253,
        254,
    }
)
_EXTENSIONS = _OPTION_LIKE | {IP_PROTO_IPV6_FRAG, IP_PROTO_AH}


@dataclass(frozen=True, slots=True)
class IPv6Ext:
    """An extension header kept opaque: `kind` is its own protocol number, `data`
    everything after its next-header and length bytes (6 + 8n bytes; AH: 2 + 4n)."""

    kind: int
    data: bytes

    def encode(self, next_header: int) -> bytes:
        size = 2 + len(self.data)
        if self.kind == IP_PROTO_AH:
            units, ok = size // 4 - 2, size % 4 == 0 and size >= 8
        else:
            units, ok = size // 8 - 1, size % 8 == 0
        if not ok or units > 255 or self.kind not in _EXTENSIONS - {IP_PROTO_IPV6_FRAG}:
            raise MalformedPacket("IPv6", f"bad extension header {self.kind} of {size} bytes")
        return bytes((next_header, units)) + self.data


@dataclass(frozen=True, slots=True)
class IPv6Fragment:
    """The fragment header. `offset` is in 8-byte units, as on the wire."""

    ident: int
    offset: int = 0
    more: bool = False

    kind = IP_PROTO_IPV6_FRAG

    def encode(self, next_header: int) -> bytes:
        if not 0 <= self.offset <= 0x1FFF:
            raise MalformedPacket("IPv6", f"fragment offset {self.offset} exceeds 13 bits")
        try:
            return _FRAGMENT.pack(next_header, 0, self.offset << 3 | self.more, self.ident)
        except struct.error as e:
            raise MalformedPacket("IPv6", str(e)) from None


@dataclass(frozen=True, slots=True)
class IPv6:
    """An IPv6 packet. `proto` is the upper-layer protocol, the last next-header of the
    chain; `extensions` lists the extension headers in wire order, and each one's
    next-header value is derived from its successor. A fragment's payload (a fragment
    header with a non-zero offset or more-fragments) stays raw bytes. Jumbograms are
    not supported."""

    src: int
    dst: int
    proto: int
    payload: TCP | UDP | ICMPv6 | GRE | bytes = b""
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    extensions: tuple[IPv6Ext | IPv6Fragment, ...] = ()

    @property
    def next_header(self) -> int:
        """The fixed header's next-header value."""
        return self.extensions[0].kind if self.extensions else self.proto

    @property
    def fragment(self) -> IPv6Fragment | None:
        for ext in self.extensions:
            if isinstance(ext, IPv6Fragment):
                return ext
        return None

    @property
    def is_fragment(self) -> bool:
        frag = self.fragment
        return frag is not None and bool(frag.offset or frag.more)

    def l4_ports(self) -> tuple[int, int] | None:
        """(source, destination) port of a TCP or UDP payload, read from the raw bytes
        of a first fragment too; None for other protocols and later fragments."""
        p = self.payload
        if isinstance(p, (tcp.TCP, udp.UDP)):
            return p.src_port, p.dst_port
        frag = self.fragment
        if (
            isinstance(p, bytes)
            and self.proto in (IP_PROTO_TCP, IP_PROTO_UDP)
            and (frag is None or not frag.offset)
            and len(p) >= 4
        ):
            ports: tuple[int, int] = _PORTS.unpack_from(p)
            return ports
        return None

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> IPv6:
        """Decode a packet; bytes after its payload length are ignored."""
        return decode(bytes(buf), 0, len(buf), verify)[0]

    def serialize(self) -> bytes:
        p = self.payload
        if isinstance(p, bytes):
            body = p
        elif isinstance(p, (tcp.TCP, udp.UDP, icmpv6.ICMPv6)):
            # RFC 8200 8.1 wants the final destination of a routing header here; no
            # routing header is interpreted, so this is the header's destination.
            body = p.serialize(pseudo_sum(self.src, self.dst, self.proto))
        else:
            body = p.serialize()
        exts = self.extensions
        chain = [
            e.encode(exts[i + 1].kind if i + 1 < len(exts) else self.proto)
            for i, e in enumerate(exts)
        ]
        ext_bytes = b"".join(chain)
        return b"".join((self.header_bytes(len(ext_bytes) + len(body)), ext_bytes, body))

    def header_bytes(self, payload_length: int) -> bytes:
        """The fixed header. An ICMPv6 quote passes the original's payload length."""
        if not (0 <= self.traffic_class <= 0xFF and 0 <= self.flow_label <= 0xFFFFF):
            raise MalformedPacket("IPv6", "traffic class or flow label out of range")
        try:
            return _HEADER.pack(
                6 << 28 | self.traffic_class << 20 | self.flow_label,
                payload_length,
                self.next_header,
                self.hop_limit,
                self.src >> 64,
                self.src & _M64,
                self.dst >> 64,
                self.dst & _M64,
            )
        except struct.error as e:
            raise MalformedPacket("IPv6", str(e)) from None


def _fixed(buf: bytes, off: int, end: int) -> tuple[int, int, int, int, int, int, int]:
    """(traffic class, flow label, payload length, next header, hop limit, src, dst)."""
    if end - off < HEADER_LEN:
        raise MalformedPacket("IPv6", f"{end - off} bytes, the header needs {HEADER_LEN}")
    vtf, plen, nh, hlim, sh, sl, dh, dl = _HEADER.unpack_from(buf, off)
    if vtf >> 28 != 6:
        raise MalformedPacket("IPv6", f"version is {vtf >> 28}")
    return (vtf >> 20) & 0xFF, vtf & 0xFFFFF, plen, nh, hlim, sh << 64 | sl, dh << 64 | dl


_new_ipv6 = fast_constructor(IPv6)


def decode(buf: bytes, off: int, end: int, verify: bool) -> tuple[IPv6, int]:
    """Decode the packet at `buf[off:end]`; returns it and where it ends."""
    tc, fl, plen, nh, hlim, src, dst = _fixed(buf, off, end)
    stop = off + HEADER_LEN + plen
    if stop > end:
        raise MalformedPacket("IPv6", f"payload length {plen} exceeds the {end - off - 40} bytes")
    pos = off + HEADER_LEN
    exts: tuple[IPv6Ext | IPv6Fragment, ...] = ()
    fragmented = False
    if nh in _EXTENSIONS:
        chain: list[IPv6Ext | IPv6Fragment] = []
        while nh in _EXTENSIONS:
            if stop - pos < 8:
                raise MalformedPacket("IPv6", f"extension header {nh} truncated")
            if nh == IP_PROTO_IPV6_FRAG:
                nxt, _, frag, ident = _FRAGMENT.unpack_from(buf, pos)
                ext: IPv6Ext | IPv6Fragment = IPv6Fragment(ident, frag >> 3, bool(frag & 1))
                fragmented = fragmented or bool(frag & 0xFFF9)
                size = 8
            else:
                nxt, units = buf[pos], buf[pos + 1]
                size = (units + 2) * 4 if nh == IP_PROTO_AH else (units + 1) * 8
                if size > stop - pos:
                    raise MalformedPacket("IPv6", f"extension header {nh} truncated")
                ext = IPv6Ext(nh, buf[pos + 2 : pos + size])
            chain.append(ext)
            pos += size
            nh = nxt
            if isinstance(ext, IPv6Fragment) and ext.offset:
                # A later fragment: what follows is fragment data, not more headers.
                break
        exts = tuple(chain)
    payload: TCP | UDP | ICMPv6 | GRE | bytes
    pseudo = pseudo_sum(src, dst, nh) if verify else 0
    if fragmented:
        payload = buf[pos:stop]
    elif nh == IP_PROTO_TCP:
        payload = tcp.decode(buf, pos, stop, verify, pseudo)
    elif nh == IP_PROTO_UDP:
        payload = udp.decode(buf, pos, stop, verify, pseudo)
    elif nh == IP_PROTO_ICMPV6:
        payload = icmpv6.decode(buf, pos, stop, verify, pseudo)
    elif nh == IP_PROTO_GRE:
        payload = gre.decode(buf, pos, stop, verify)
    else:
        payload = buf[pos:stop]
    return _new_ipv6(src, dst, nh, payload, hlim, tc, fl, exts), stop


def decode_quote(buf: bytes, off: int, end: int) -> tuple[IPv6, int]:
    """Decode the head of a datagram quoted by an ICMPv6 error: the fixed header, and
    the rest (extension headers included) as raw payload, usually cut short of the
    payload length, which is returned alongside."""
    tc, fl, plen, nh, hlim, src, dst = _fixed(buf, off, end)
    return IPv6(src, dst, nh, buf[off + HEADER_LEN : end], hlim, tc, fl), plen
