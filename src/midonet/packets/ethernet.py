"""Ethernet II frames with a stack of 802.1Q / 802.1ad VLAN tags."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import arp, ipv4, ipv6
from midonet.packets._construct import fast_constructor
from midonet.packets.constants import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV4,
    ETH_TYPE_IPV6,
    ETH_TYPE_VLAN,
    VLAN_TPIDS,
)

if TYPE_CHECKING:
    from midonet.packets.arp import ARP
    from midonet.packets.ipv4 import IPv4
    from midonet.packets.ipv6 import IPv6

_HEADER = struct.Struct("!6s6sH")
_TAG = struct.Struct("!HH")  # TCI, then the next ethertype
HEADER_LEN = 14


@dataclass(frozen=True, slots=True)
class VlanTag:
    """One tag of the stack; `tpid` is 0x8100 (C-tag) or 0x88A8 (S-tag)."""

    vid: int
    pcp: int = 0
    dei: int = 0
    tpid: int = ETH_TYPE_VLAN

    @property
    def tci(self) -> int:
        return (self.pcp << 13) | (self.dei << 12) | self.vid


@dataclass(frozen=True, slots=True)
class Ethernet:
    """An Ethernet II frame. `vlans` lists tags outermost first; `ethertype` is the
    type after the last tag. Bytes after the L3 packet's own length (padding to the
    60-byte minimum) are kept in `trailer` so a frame re-serializes unchanged."""

    dst: bytes
    src: bytes
    ethertype: int
    payload: ARP | IPv4 | IPv6 | bytes = b""
    vlans: tuple[VlanTag, ...] = ()
    trailer: bytes = b""

    @classmethod
    def from_bytes(cls, buf: bytes | bytearray | memoryview, verify: bool = True) -> Ethernet:
        """The same as `midonet.packets.parse`."""
        return decode(bytes(buf), 0, len(buf), verify)

    def serialize(self) -> bytes:
        if len(self.dst) != 6 or len(self.src) != 6:
            raise MalformedPacket("Ethernet", "MAC addresses must be 6 bytes")
        p = self.payload
        body = p if isinstance(p, bytes) else p.serialize()
        try:
            if not self.vlans:
                head = _HEADER.pack(self.dst, self.src, self.ethertype)
                return b"".join((head, body, self.trailer))
            head = _HEADER.pack(self.dst, self.src, self.vlans[0].tpid)
            return b"".join((head, _tags(self.vlans, self.ethertype), body, self.trailer))
        except struct.error as e:
            raise MalformedPacket("Ethernet", str(e)) from None


_new_tag = fast_constructor(VlanTag)
_new_ethernet = fast_constructor(Ethernet)


def _tags(vlans: tuple[VlanTag, ...], ethertype: int) -> bytearray:
    out = bytearray()
    last = len(vlans) - 1
    for i, tag in enumerate(vlans):
        if not (0 <= tag.vid <= 0xFFF and 0 <= tag.pcp <= 7 and tag.dei in (0, 1)):
            raise MalformedPacket("Ethernet", f"VLAN tag field out of range: {tag}")
        out += _TAG.pack(tag.tci, vlans[i + 1].tpid if i < last else ethertype)
    return out


def decode(buf: bytes, off: int, end: int, verify: bool) -> Ethernet:
    """Decode the frame in `buf[off:end]`."""
    if end - off < HEADER_LEN:
        raise MalformedPacket("Ethernet", f"{end - off} bytes, the header needs {HEADER_LEN}")
    dst, src, ethertype = _HEADER.unpack_from(buf, off)
    pos = off + HEADER_LEN
    vlans: tuple[VlanTag, ...] = ()
    if ethertype in VLAN_TPIDS:
        tags = []
        while ethertype in VLAN_TPIDS:
            if end - pos < 4:
                raise MalformedPacket("Ethernet", "VLAN tag truncated")
            tci, next_type = _TAG.unpack_from(buf, pos)
            tags.append(_new_tag(tci & 0xFFF, tci >> 13, (tci >> 12) & 1, ethertype))
            ethertype = next_type
            pos += 4
        vlans = tuple(tags)
    payload: ARP | IPv4 | IPv6 | bytes
    if ethertype == ETH_TYPE_IPV4:
        payload, l3_end = ipv4.decode(buf, pos, end, verify)
    elif ethertype == ETH_TYPE_ARP:
        payload, l3_end = arp.decode(buf, pos, end)
    elif ethertype == ETH_TYPE_IPV6:
        payload, l3_end = ipv6.decode(buf, pos, end, verify)
    else:
        return _new_ethernet(dst, src, ethertype, buf[pos:end], vlans, b"")
    return _new_ethernet(dst, src, ethertype, payload, vlans, buf[l3_end:end])
