"""ARP for IPv4 over Ethernet (RFC 826)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from midonet.errors import MalformedPacket
from midonet.packets._construct import fast_constructor
from midonet.packets.constants import ARP_HTYPE_ETHERNET, ETH_TYPE_IPV4

# htype, ptype, hlen, plen, op, sha, spa, tha, tpa
_ARP = struct.Struct("!HHBBH6sI6sI")
ARP_LEN = _ARP.size  # 28


@dataclass(frozen=True, slots=True)
class ARP:
    """An ARP message with 6-byte hardware and 4-byte protocol addresses; other
    shapes stay raw bytes in the Ethernet payload (nothing here routes them)."""

    op: int
    sha: bytes
    spa: int
    tha: bytes
    tpa: int
    htype: int = ARP_HTYPE_ETHERNET
    ptype: int = ETH_TYPE_IPV4

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview) -> ARP:
        arp, _ = decode(bytes(buf), 0, len(buf))
        if isinstance(arp, bytes):
            raise MalformedPacket("ARP", "address lengths are not 6 (hardware) and 4 (protocol)")
        return arp

    def serialize(self) -> bytes:
        if len(self.sha) != 6 or len(self.tha) != 6:
            raise MalformedPacket("ARP", "hardware addresses must be 6 bytes")
        try:
            return _ARP.pack(
                self.htype, self.ptype, 6, 4, self.op, self.sha, self.spa, self.tha, self.tpa
            )
        except struct.error as e:
            raise MalformedPacket("ARP", str(e)) from None


_new_arp = fast_constructor(ARP)


def decode(buf: bytes, off: int, end: int) -> tuple[ARP | bytes, int]:
    """Decode `buf[off:end]`; returns the message (or the raw bytes of an unsupported
    shape) and where it ends, so the caller can keep the frame's padding."""
    if end - off < 8:
        raise MalformedPacket("ARP", f"{end - off} bytes, the fixed header needs 8")
    if buf[off + 4] != 6 or buf[off + 5] != 4:
        return buf[off:end], end
    if end - off < ARP_LEN:
        raise MalformedPacket("ARP", f"{end - off} bytes, the message needs {ARP_LEN}")
    htype, ptype, _, _, op, sha, spa, tha, tpa = _ARP.unpack_from(buf, off)
    return _new_arp(op, sha, spa, tha, tpa, htype, ptype), off + ARP_LEN
