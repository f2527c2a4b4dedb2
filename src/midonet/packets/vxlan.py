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
    """A VXLAN header and the frame it carries. Reserved bits are sent as zero."""

    vni: int
    payload: Ethernet
    flags: int = FLAG_VNI_VALID

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> VXLAN:
        """Decode a UDP payload, e.g. one read from the tunnel's socket."""
        return decode(bytes(buf), 0, len(buf), verify)

    def serialize(self) -> bytes:
        if not (0 <= self.vni <= 0xFFFFFF and 0 <= self.flags <= 0xFF):
            raise MalformedPacket("VXLAN", "VNI exceeds 24 bits or flags exceed 8")
        return _HEADER.pack(self.flags << 24, self.vni << 8) + self.payload.serialize()


def decode(buf: bytes, off: int, end: int, verify: bool) -> VXLAN:
    if end - off < HEADER_LEN:
        raise MalformedPacket("VXLAN", f"{end - off} bytes, the header needs {HEADER_LEN}")
    word0, word1 = _HEADER.unpack_from(buf, off)
    return VXLAN(word1 >> 8, ethernet.decode(buf, off + HEADER_LEN, end, verify), word0 >> 24)
