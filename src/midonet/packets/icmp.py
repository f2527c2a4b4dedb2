"""ICMP for IPv4 (RFC 792), with the datagram an error message quotes decoded."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import ipv4
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import (
    ChecksumStatus,
    checksum,
    ones_sum,
    udp_field,
    update16,
    update32,
)
from midonet.packets.constants import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_ERROR_TYPES,
    ICMP_UNREACH_FRAG_NEEDED,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)

if TYPE_CHECKING:
    from midonet.packets.ipv4 import IPv4

_HEADER = struct.Struct("!BBHI")  # type, code, checksum, rest of header
HEADER_LEN = 8
_PORTS = struct.Struct("!HH")
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED
# Where a quoted transport header keeps its checksum (TCP's lies beyond the usual
# 8 quoted bytes and is only updated when a router quoted more).
_QUOTED_CSUM_AT = {IP_PROTO_TCP: 16, IP_PROTO_UDP: 6, IP_PROTO_ICMP: 2}


@dataclass(frozen=True, slots=True)
class ICMPQuote:
    """The head of the datagram an ICMP error is about: its IP header, and in
    `ip.payload` (raw bytes) the start of its payload: 8 bytes by RFC 792, more from
    RFC 1812 routers. `total_length` is the original's, which the quote cuts short."""

    ip: IPv4
    total_length: int

    @property
    def src(self) -> int:
        return self.ip.src

    @property
    def dst(self) -> int:
        return self.ip.dst

    @property
    def proto(self) -> int:
        return self.ip.proto

    @property
    def data(self) -> bytes:
        p = self.ip.payload
        if not isinstance(p, bytes):
            raise MalformedPacket("ICMP", "a quoted datagram's payload must be raw bytes")
        return p

    def ports(self) -> tuple[int, int] | None:
        """The quoted TCP or UDP (source, destination) ports, if quoted."""
        data = self.data
        if self.ip.proto in (IP_PROTO_TCP, IP_PROTO_UDP) and len(data) >= 4:
            ports: tuple[int, int] = _PORTS.unpack_from(data)
            return ports
        return None

    def icmp_id(self) -> int | None:
        """The identifier of a quoted ICMP echo request or reply."""
        data = self.data
        if (
            self.ip.proto == IP_PROTO_ICMP
            and len(data) >= 6
            and data[0] in (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY)
        ):
            return int.from_bytes(data[4:6], "big")
        return None

    def rewrite(
        self,
        *,
        src: int | None = None,
        dst: int | None = None,
        src_port: int | None = None,
        dst_port: int | None = None,
        icmp_id: int | None = None,
    ) -> ICMPQuote:
        """The quote after NAT rewrote the datagram it reports: new addresses, TCP/UDP
        ports or ICMP echo id, with the quoted transport checksum (when quoted, and for
        UDP when not zero) updated incrementally (RFC 1624). The IP header checksum is
        recomputed on serialize."""
        data = bytearray(self.data)
        proto = self.ip.proto
        at = _QUOTED_CSUM_AT.get(proto, -1)
        csum = int.from_bytes(data[at : at + 2], "big") if 0 <= at <= len(data) - 2 else None
        if csum == 0 and proto == IP_PROTO_UDP:
            csum = None  # UDP without a checksum
        new_src = self.ip.src if src is None else src
        new_dst = self.ip.dst if dst is None else dst
        if csum is not None and proto != IP_PROTO_ICMP:  # the pseudo-header's addresses
            csum = update32(update32(csum, self.ip.src, new_src), self.ip.dst, new_dst)
        edits = []
        if proto in (IP_PROTO_TCP, IP_PROTO_UDP):
            edits = [(0, src_port), (2, dst_port)]
        elif proto == IP_PROTO_ICMP and self.icmp_id() is not None:
            edits = [(4, icmp_id)]
        for pos, value in edits:
            if value is not None and len(data) >= pos + 2:
                old = int.from_bytes(data[pos : pos + 2], "big")
                data[pos : pos + 2] = value.to_bytes(2, "big")
                if csum is not None:
                    csum = update16(csum, old, value)
        if csum is not None:
            data[at : at + 2] = (udp_field(csum) if proto == IP_PROTO_UDP else csum).to_bytes(
                2, "big"
            )
        ip = replace(self.ip, src=new_src, dst=new_dst, payload=bytes(data))
        return ICMPQuote(ip, self.total_length)

    def serialize(self) -> bytes:
        data = self.data
        return b"".join((self.ip.header_bytes(self.total_length), data))


@dataclass(frozen=True, slots=True)
class ICMP:
    """An ICMPv4 message. `rest` is the 4 bytes after the checksum, whose meaning
    depends on the type (see the properties). Error types carry an ICMPQuote; other
    types keep their body as raw bytes."""

    type: int
    code: int = 0
    rest: int = 0
    payload: ICMPQuote | bytes = b""
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    @property
    def ident(self) -> int:
        """Echo identifier."""
        return self.rest >> 16

    @property
    def seq(self) -> int:
        """Echo sequence number."""
        return self.rest & 0xFFFF

    @property
    def next_hop_mtu(self) -> int | None:
        """The MTU a "fragmentation needed" error reports (RFC 1191)."""
        if self.type == ICMP_DEST_UNREACH and self.code == ICMP_UNREACH_FRAG_NEEDED:
            return self.rest & 0xFFFF
        return None

    @property
    def is_error(self) -> bool:
        return self.type in ICMP_ERROR_TYPES

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> ICMP:
        return decode(bytes(buf), 0, len(buf), verify)

    def serialize(self) -> bytes:
        p = self.payload
        body = p if isinstance(p, bytes) else p.serialize()
        try:
            header_sum = (self.type << 8 | self.code) + (self.rest >> 16) + (self.rest & 0xFFFF)
            csum = checksum(body, header_sum)
            return _HEADER.pack(self.type, self.code, csum, self.rest) + body
        except (struct.error, OverflowError) as e:
            raise MalformedPacket("ICMP", str(e)) from None


_new_icmp = fast_constructor(ICMP)


def decode(buf: bytes, off: int, end: int, verify: bool) -> ICMP:
    if end - off < HEADER_LEN:
        raise MalformedPacket("ICMP", f"{end - off} bytes, the header needs {HEADER_LEN}")
    type_, code, csum, rest = _HEADER.unpack_from(buf, off)
    status = _NOT_CHECKED
    if verify:
        ok = ones_sum(buf[off:end]) == 0xFFFF
        status = ChecksumStatus.VALID if ok else ChecksumStatus.INVALID
    payload: ICMPQuote | bytes
    if type_ in ICMP_ERROR_TYPES:
        try:
            ip, total = ipv4.decode_quote(buf, off + HEADER_LEN, end, verify)
        except MalformedPacket as e:
            raise MalformedPacket("ICMP", f"quoted datagram: {e.reason}") from None
        payload = ICMPQuote(ip, total)
    else:
        payload = buf[off + HEADER_LEN : end]
    return _new_icmp(type_, code, rest, payload, csum, status)
