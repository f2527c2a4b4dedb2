"""ICMPv6 (RFC 4443): echo, errors with the quoted datagram decoded, and the rest
(neighbor discovery included) kept as raw bodies."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import ipv6
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import ChecksumStatus, checksum, transport_status
from midonet.packets.constants import (
    ICMPV6_ERROR_TYPES,
    ICMPV6_PACKET_TOO_BIG,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)

if TYPE_CHECKING:
    from midonet.packets.ipv6 import IPv6

_HEADER = struct.Struct("!BBHI")  # type, code, checksum, rest of header
HEADER_LEN = 8
_PORTS = struct.Struct("!HH")
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class ICMPv6Quote:
    """The head of the datagram an ICMPv6 error is about: its fixed header, and in
    `ip.payload` (raw bytes, extension headers included) as much of the rest as fit.
    `payload_length` is the original's, which the quote usually cuts short."""

    ip: IPv6
    payload_length: int

    @property
    def src(self) -> int:
        return self.ip.src

    @property
    def dst(self) -> int:
        return self.ip.dst

    @property
    def proto(self) -> int:
        """The fixed header's next header (an extension header's kind, if any)."""
        return self.ip.proto

    @property
    def data(self) -> bytes:
        p = self.ip.payload
        if not isinstance(p, bytes):
            raise MalformedPacket("ICMPv6", "a quoted datagram's payload must be raw bytes")
        return p

    def ports(self) -> tuple[int, int] | None:
        """The quoted TCP or UDP ports, when no extension header precedes them."""
        data = self.data
        if self.ip.proto in (IP_PROTO_TCP, IP_PROTO_UDP) and len(data) >= 4:
            ports: tuple[int, int] = _PORTS.unpack_from(data)
            return ports
        return None

    def serialize(self) -> bytes:
        data = self.data
        return self.ip.header_bytes(self.payload_length) + data


@dataclass(frozen=True, slots=True)
class ICMPv6:
    """An ICMPv6 message. `rest` is the 4 bytes after the checksum (echo identifier and
    sequence, the MTU of "packet too big", the pointer of "parameter problem")."""

    type: int
    code: int = 0
    rest: int = 0
    payload: ICMPv6Quote | bytes = b""
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int | None:
        return self.rest if self.type == ICMPV6_PACKET_TOO_BIG else None

    @property
    def is_error(self) -> bool:
        return self.type in ICMPV6_ERROR_TYPES

    def serialize(self, pseudo: int) -> bytes:
        """The message with its checksum; `pseudo` is the IPv6 layer's
        `checksum.pseudo_sum(src, dst, 58)` (the length is added here)."""
        p = self.payload
        body = p if isinstance(p, bytes) else p.serialize()
        length = HEADER_LEN + len(body)
        header_sum = (self.type << 8 | self.code) + (self.rest >> 16) + (self.rest & 0xFFFF)
        csum = checksum(body, pseudo + length + header_sum)
        try:
            return _HEADER.pack(self.type, self.code, csum, self.rest) + body
        except struct.error as e:
            raise MalformedPacket("ICMPv6", str(e)) from None


_new_icmpv6 = fast_constructor(ICMPv6)


def decode(buf: bytes, off: int, end: int, verify: bool, pseudo: int) -> ICMPv6:
    if end - off < HEADER_LEN:
        raise MalformedPacket("ICMPv6", f"{end - off} bytes, the header needs {HEADER_LEN}")
    type_, code, csum, rest = _HEADER.unpack_from(buf, off)
    status = _NOT_CHECKED
    if verify:
        status = transport_status(buf[off:end], csum, pseudo + end - off)
        if status is ChecksumStatus.PARTIAL:  # no offload for ICMPv6
            status = ChecksumStatus.INVALID
    payload: ICMPv6Quote | bytes
    if type_ in ICMPV6_ERROR_TYPES:
        try:
            ip, plen = ipv6.decode_quote(buf, off + HEADER_LEN, end)
        except MalformedPacket as e:
            raise MalformedPacket("ICMPv6", f"quoted datagram: {e.reason}") from None
        payload = ICMPv6Quote(ip, plen)
    else:
        payload = buf[off + HEADER_LEN : end]
    return _new_icmpv6(type_, code, rest, payload, csum, status)
