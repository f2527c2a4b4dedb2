"""UDP (RFC 768), decoding VXLAN on the VXLAN ports."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import vxlan
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import ChecksumStatus, checksum, transport_status, udp_field
from midonet.packets.constants import VXLAN_PORT, VXLAN_PORT_MIDONET

if TYPE_CHECKING:
    from midonet.packets.vxlan import VXLAN

_HEADER = struct.Struct("!HHHH")
HEADER_LEN = 8
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED
# A datagram to one of these ports is decoded as VXLAN (the overlay's tunnel).
VXLAN_PORTS = frozenset({VXLAN_PORT, VXLAN_PORT_MIDONET})


@dataclass(frozen=True, slots=True)
class UDP:
    """A UDP datagram. `serialize` computes the length and checksum; a received zero
    checksum (none sent) is reported NOT_CHECKED. A payload to a VXLAN port is
    decoded as VXLAN when it holds a well-formed frame, else kept raw."""

    src_port: int
    dst_port: int
    payload: VXLAN | bytes = b""
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    def serialize(self, pseudo: int) -> bytes:
        """The datagram with its checksum; `pseudo` is the IP layer's
        `checksum.pseudo_sum(src, dst, proto)` (the length is added here)."""
        p = self.payload
        body = p if isinstance(p, bytes) else p.serialize()
        length = HEADER_LEN + len(body)
        # Pseudo-header length, then the header's own words (length again, ports).
        csum = udp_field(checksum(body, pseudo + 2 * length + self.src_port + self.dst_port))
        try:
            return _HEADER.pack(self.src_port, self.dst_port, length, csum) + body
        except struct.error as e:
            raise MalformedPacket("UDP", str(e)) from None


_new_udp = fast_constructor(UDP)


def decode(buf: bytes, off: int, end: int, verify: bool, pseudo: int) -> UDP:
    """Decode the datagram in `buf[off:end]` (the IP payload). Bytes past the UDP
    length are dropped, as Linux trims them."""
    if end - off < HEADER_LEN:
        raise MalformedPacket("UDP", f"{end - off} bytes, the header needs {HEADER_LEN}")
    sport, dport, length, csum = _HEADER.unpack_from(buf, off)
    if length < HEADER_LEN:
        raise MalformedPacket("UDP", f"length {length} is below the header's 8")
    if length > end - off:
        raise MalformedPacket("UDP", f"length {length} exceeds the {end - off} bytes")
    stop = off + length
    status = _NOT_CHECKED
    if verify and csum:
        status = transport_status(buf[off:stop], csum, pseudo + length)
    payload: VXLAN | bytes
    if dport in VXLAN_PORTS:
        try:
            payload = vxlan.decode(buf, off + HEADER_LEN, stop, verify)
        except MalformedPacket:
            # The port only suggests VXLAN: what is not a tunnelled frame is some
            # application's datagram, and stays raw (VXLAN.from_bytes is strict).
            payload = buf[off + HEADER_LEN : stop]
    else:
        payload = buf[off + HEADER_LEN : stop]
    return _new_udp(sport, dport, payload, csum, status)
