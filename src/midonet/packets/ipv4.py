"""IPv4 (RFC 791): options kept opaque, fragments left undecoded."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import gre, icmp, tcp, udp
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import ChecksumStatus, checksum, ones_sum, pseudo_sum
from midonet.packets.constants import (
    IP_PROTO_GRE,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    IPV4_FLAG_DF,
    IPV4_FLAG_MF,
)

if TYPE_CHECKING:
    from midonet.packets.gre import GRE
    from midonet.packets.icmp import ICMP
    from midonet.packets.tcp import TCP
    from midonet.packets.udp import UDP

# version/IHL, TOS, total length, id, flags/fragment offset, TTL, protocol, checksum,
# source, destination
_HEADER = struct.Struct("!BBHHHBBHII")
HEADER_LEN = 20
_PORTS = struct.Struct("!HH")
_VALID = ChecksumStatus.VALID
_INVALID = ChecksumStatus.INVALID
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class IPv4:
    """An IPv4 packet. Lengths and the header checksum are computed by `serialize`;
    `checksum` and `checksum_status` describe what was received and take no part in
    equality. A fragment's payload stays raw bytes: only whole datagrams are decoded
    (`l4_ports` still reads a first fragment's ports)."""

    src: int
    dst: int
    proto: int
    payload: TCP | UDP | ICMP | GRE | bytes = b""
    ttl: int = 64
    tos: int = 0
    ident: int = 0
    flags: int = 0  # the 3 flag bits: reserved, DF, MF
    frag_offset: int = 0  # in 8-byte units, as on the wire
    options: bytes = b""  # raw, padded to a multiple of 4 bytes
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    @property
    def df(self) -> bool:
        return bool(self.flags & IPV4_FLAG_DF)

    @property
    def mf(self) -> bool:
        return bool(self.flags & IPV4_FLAG_MF)

    @property
    def is_fragment(self) -> bool:
        return bool(self.flags & IPV4_FLAG_MF or self.frag_offset)

    @property
    def header_length(self) -> int:
        return HEADER_LEN + len(self.options)

    def l4_ports(self) -> tuple[int, int] | None:
        """(source, destination) port of a TCP or UDP payload, read from the raw bytes
        of a first fragment too; None for other protocols and later fragments."""
        p = self.payload
        if isinstance(p, (tcp.TCP, udp.UDP)):
            return p.src_port, p.dst_port
        if (
            isinstance(p, bytes)
            and self.proto in (IP_PROTO_TCP, IP_PROTO_UDP)
            and not self.frag_offset
            and len(p) >= 4
        ):
            ports: tuple[int, int] = _PORTS.unpack_from(p)
            return ports
        return None

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> IPv4:
        """Decode a packet; bytes after its total length are ignored."""
        return decode(bytes(buf), 0, len(buf), verify)[0]

    def serialize(self) -> bytes:
        p = self.payload
        if isinstance(p, bytes):
            body = p
        elif isinstance(p, (tcp.TCP, udp.UDP)):
            body = p.serialize(pseudo_sum(self.src, self.dst, self.proto))
        else:
            body = p.serialize()
        return b"".join((self.header_bytes(self.header_length + len(body)), body))

    def header_bytes(self, total_length: int) -> bytearray:
        """The header with `total_length` and a fresh checksum. An ICMP quote passes
        the original datagram's length, longer than what it carries."""
        opts = self.options
        if len(opts) % 4 or len(opts) > 40:
            raise MalformedPacket("IPv4", f"options are {len(opts)} bytes, not 4n <= 40")
        if not (0 <= self.flags <= 7 and 0 <= self.frag_offset <= 0x1FFF):
            raise MalformedPacket("IPv4", "flags or fragment offset out of range")
        hl = HEADER_LEN + len(opts)
        head = bytearray(hl)
        try:
            _HEADER.pack_into(
                head,
                0,
                0x40 | hl >> 2,
                self.tos,
                total_length,
                self.ident,
                self.flags << 13 | self.frag_offset,
                self.ttl,
                self.proto,
                0,
                self.src,
                self.dst,
            )
        except struct.error as e:
            raise MalformedPacket("IPv4", str(e)) from None
        head[HEADER_LEN:] = opts
        head[10:12] = checksum(head).to_bytes(2, "big")
        return head


def _header(
    buf: bytes, off: int, end: int, verify: bool
) -> tuple[int, int, tuple[int, int, int, int, int, int, int, int, bytes, int, ChecksumStatus]]:
    """Validate and decode the header at `off`: (header length, total length, the
    IPv4 constructor's arguments after `payload`, with src, dst, proto first)."""
    if end - off < HEADER_LEN:
        raise MalformedPacket("IPv4", f"{end - off} bytes, the header needs {HEADER_LEN}")
    vihl, tos, total, ident, frag, ttl, proto, csum, src, dst = _HEADER.unpack_from(buf, off)
    if vihl >> 4 != 4:
        raise MalformedPacket("IPv4", f"version is {vihl >> 4}")
    hl = (vihl & 0xF) << 2
    if hl < HEADER_LEN:
        raise MalformedPacket("IPv4", f"IHL {vihl & 0xF} is below 5")
    if hl > end - off:
        raise MalformedPacket("IPv4", f"header of {hl} bytes truncated to {end - off}")
    if total < hl:
        raise MalformedPacket("IPv4", f"total length {total} is shorter than the header")
    status = _NOT_CHECKED
    if verify:
        status = _VALID if ones_sum(buf[off : off + hl]) == 0xFFFF else _INVALID
    opts = buf[off + HEADER_LEN : off + hl] if hl > HEADER_LEN else b""
    return (
        hl,
        total,
        (src, dst, proto, ttl, tos, ident, frag >> 13, frag & 0x1FFF, opts, csum, status),
    )


_new_ipv4 = fast_constructor(IPv4)


def decode(buf: bytes, off: int, end: int, verify: bool) -> tuple[IPv4, int]:
    """Decode the packet at `buf[off:end]`; returns it and where it ends."""
    hl, total, (src, dst, proto, ttl, tos, ident, flags, frag, opts, csum, status) = _header(
        buf, off, end, verify
    )
    stop = off + total
    if stop > end:
        raise MalformedPacket("IPv4", f"total length {total} exceeds the {end - off} bytes")
    start = off + hl
    payload: TCP | UDP | ICMP | GRE | bytes
    if flags & IPV4_FLAG_MF or frag:
        payload = buf[start:stop]
    elif proto == IP_PROTO_TCP:
        payload = tcp.decode(buf, start, stop, verify, pseudo_sum(src, dst, proto) if verify else 0)
    elif proto == IP_PROTO_UDP:
        payload = udp.decode(buf, start, stop, verify, pseudo_sum(src, dst, proto) if verify else 0)
    elif proto == IP_PROTO_ICMP:
        payload = icmp.decode(buf, start, stop, verify)
    elif proto == IP_PROTO_GRE:
        payload = gre.decode(buf, start, stop, verify)
    else:
        payload = buf[start:stop]
    ip = _new_ipv4(src, dst, proto, payload, ttl, tos, ident, flags, frag, opts, csum, status)
    return ip, stop


def decode_quote(buf: bytes, off: int, end: int, verify: bool) -> tuple[IPv4, int]:
    """Decode the head of a datagram quoted by an ICMP error: its header is whole but
    its payload (kept raw: usually 8 bytes) is cut short of the total length, which is
    returned alongside."""
    hl, total, fields = _header(buf, off, end, verify)
    src, dst, proto, ttl, tos, ident, flags, frag, opts, csum, status = fields
    ip = IPv4(
        src, dst, proto, buf[off + hl : end], ttl, tos, ident, flags, frag, opts, csum, status
    )
    return ip, total
