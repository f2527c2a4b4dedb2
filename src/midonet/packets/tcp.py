"""TCP (RFC 9293): header fields decoded, options kept opaque."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from midonet.errors import MalformedPacket
from midonet.packets._construct import fast_constructor
from midonet.packets.checksum import ChecksumStatus, checksum, ones_sum, transport_status

# ports, seq, ack, data offset + reserved + flags, window, checksum, urgent pointer
_HEADER = struct.Struct("!HHIIHHHH")
HEADER_LEN = 20
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class TCP:
    """A TCP segment. `flags` holds the 12 bits after the data offset (the 9 flags of
    constants.TCP_* plus 3 reserved bits, so nothing is lost in a round trip)."""

    src_port: int
    dst_port: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    window: int = 0xFFFF
    urgent: int = 0
    options: bytes = b""  # raw, padded to a multiple of 4 bytes
    payload: bytes = b""
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    def serialize(self, pseudo: int) -> bytes:
        """The segment with its checksum; `pseudo` is the IP layer's
        `checksum.pseudo_sum(src, dst, proto)` (the length is added here)."""
        opts = self.options
        if len(opts) % 4 or len(opts) > 40:
            raise MalformedPacket("TCP", f"options are {len(opts)} bytes, not 4n <= 40")
        if not 0 <= self.flags <= 0xFFF:
            raise MalformedPacket("TCP", f"flags {self.flags:#x} exceed 12 bits")
        hl = HEADER_LEN + len(opts)
        fields = [self.src_port, self.dst_port, self.seq, self.ack, hl << 10 | self.flags]
        fields += (self.window, 0, self.urgent)
        try:
            head = _HEADER.pack(*fields)
        except struct.error as e:
            raise MalformedPacket("TCP", str(e)) from None
        # Header and options have even lengths, so their words and the payload's
        # sum separately; the segment is never copied to place the checksum.
        length = hl + len(self.payload)
        fields[6] = checksum(self.payload, pseudo + length + ones_sum(head) + ones_sum(opts))
        return b"".join((_HEADER.pack(*fields), opts, self.payload))


_new_tcp = fast_constructor(TCP)


def decode(buf: bytes, off: int, end: int, verify: bool, pseudo: int) -> TCP:
    """Decode the segment `buf[off:end]` (the IP payload); `pseudo` as in serialize."""
    length = end - off
    if length < HEADER_LEN:
        raise MalformedPacket("TCP", f"{length} bytes, the header needs {HEADER_LEN}")
    sport, dport, seq, ack, off_flags, window, csum, urgent = _HEADER.unpack_from(buf, off)
    hl = (off_flags >> 12) << 2
    if hl < HEADER_LEN:
        raise MalformedPacket("TCP", f"data offset {off_flags >> 12} is below 5")
    if hl > length:
        raise MalformedPacket("TCP", f"data offset {hl} bytes exceeds the {length}-byte segment")
    status = _NOT_CHECKED
    if verify:
        status = transport_status(buf[off:end], csum, pseudo + length)
    opts = buf[off + HEADER_LEN : off + hl] if hl > HEADER_LEN else b""
    return _new_tcp(
        sport,
        dport,
        seq,
        ack,
        off_flags & 0xFFF,
        window,
        urgent,
        opts,
        buf[off + hl : end],
        csum,
        status,
    )
