"""Offload metadata of frames from veth/TAP: the virtio-net header and checksums.

A veth or TAP peer hands user space frames whose TCP/UDP checksum is left to offload
(CHECKSUM_PARTIAL) and, with TSO, TCP segments up to 64 KiB. With PACKET_VNET_HDR the
kernel prefixes each frame with a `virtio_net_hdr` that says so. A frame that is not
a GSO super-packet gets its checksum completed here, so every forwarded frame (and
every frame the simulation reads) is valid on its own; a GSO frame keeps its header
and goes out with it, and the kernel segments and checksums it on transmission.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from midonet.packets.checksum import checksum

VNET_HDR = struct.Struct("=BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start/offset
VNET_HDR_LEN = VNET_HDR.size
F_NEEDS_CSUM = 1
GSO_NONE = 0
NO_OFFLOAD = bytes(VNET_HDR_LEN)


@dataclass(frozen=True, slots=True)
class VnetHeader:
    flags: int
    gso_type: int
    hdr_len: int
    gso_size: int
    csum_start: int
    csum_offset: int

    @classmethod
    def unpack(cls, data: bytes | bytearray | memoryview) -> VnetHeader:
        return cls(*VNET_HDR.unpack_from(data))

    @property
    def is_gso(self) -> bool:
        return self.gso_type != GSO_NONE

    @property
    def needs_csum(self) -> bool:
        return bool(self.flags & F_NEEDS_CSUM)

    def shifted(self, delta: int) -> bytes:
        """This header packed for the frame with `delta` bytes inserted before L3
        (VLAN tags pushed or popped by the actions)."""
        return VNET_HDR.pack(
            self.flags,
            self.gso_type,
            max(0, self.hdr_len + delta) if self.hdr_len else 0,
            self.gso_size,
            self.csum_start + delta if self.needs_csum else self.csum_start,
            self.csum_offset,
        )


def complete_checksum(frame: bytearray, start: int, offset: int) -> bool:
    """Finish a partial checksum in place: the field at `start + offset` holds the
    pseudo-header sum, so the checksum of everything from `start` is the answer.
    False (frame untouched) when the offsets do not fit the frame."""
    at = start + offset
    if start < 14 or at + 2 > len(frame):
        return False
    value = checksum(memoryview(frame)[start:])
    if offset == 6 and value == 0:  # UDP: a computed zero is sent as all ones
        value = 0xFFFF
    frame[at : at + 2] = value.to_bytes(2, "big")
    return True
