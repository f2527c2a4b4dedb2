"""VXLAN (RFC 7348): the overlay's tunnel encapsulation, carrying an Ethernet frame."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import ethernet

if TYPE_CHECKING:
    from midonet.packets.ethernet import Ethernet

_HEADER = struct.Struct("!II")  # flags + 24 reserved bits, VNI + 8 reserved bits
HEADER_LEN = 8
FLAG_VNI_VALID = 0x08  # the "I" flag


@dataclass(frozen=True, slots=True)
class VXLAN:
    """A VXLAN header and the frame it carries. The reserved fields are kept, since
    extensions use them (GBP's group policy id, GPE's next protocol)."""

    vni: int
    payload: Ethernet
    flags: int = FLAG_VNI_VALID
    reserved1: int = 0  # the 24 bits after the flags
    reserved2: int = 0  # the 8 bits after the VNI

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> VXLAN:
        """Decode a UDP payload, e.g. one read from the tunnel's socket."""
        return decode(bytes(buf), 0, len(buf), verify)

    def serialize(self) -> bytes:
        if not (
            0 <= self.vni <= 0xFFFFFF
            and 0 <= self.flags <= 0xFF
            and 0 <= self.reserved1 <= 0xFFFFFF
            and 0 <= self.reserved2 <= 0xFF
        ):
            raise MalformedPacket("VXLAN", "a field exceeds its width")
        words = _HEADER.pack(self.flags << 24 | self.reserved1, self.vni << 8 | self.reserved2)
        return words + self.payload.serialize()


def decode(buf: bytes, off: int, end: int, verify: bool) -> VXLAN:
    if end - off < HEADER_LEN:
        raise MalformedPacket("VXLAN", f"{end - off} bytes, the header needs {HEADER_LEN}")
    word0, word1 = _HEADER.unpack_from(buf, off)
    inner = ethernet.decode(buf, off + HEADER_LEN, end, verify)
    return VXLAN(word1 >> 8, inner, word0 >> 24, word0 & 0xFFFFFF, word1 & 0xFF)
