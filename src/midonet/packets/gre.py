"""GRE (RFC 2784) with the key and sequence number extension (RFC 2890)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from midonet.errors import MalformedPacket
from midonet.packets import ethernet, ipv4, ipv6
from midonet.packets.checksum import ChecksumStatus, checksum, ones_sum
from midonet.packets.constants import (
    ETH_TYPE_IPV4,
    ETH_TYPE_IPV6,
    ETH_TYPE_TEB,
    GRE_CSUM_PRESENT,
    GRE_KEY_PRESENT,
    GRE_SEQ_PRESENT,
)

if TYPE_CHECKING:
    from midonet.packets.ethernet import Ethernet
    from midonet.packets.ipv4 import IPv4
    from midonet.packets.ipv6 import IPv6

_BASE = struct.Struct("!HH")  # flags and version, protocol type
_WORD = struct.Struct("!I")
_NOT_CHECKED = ChecksumStatus.NOT_CHECKED
# RFC 2784: discard when bits 1-5 are set (routing present, strict source route, the
# recursion count's top bit), K and S being RFC 2890's. Bits 6-12 are ignored.
_DISCARD = 0x4C00


@dataclass(frozen=True, slots=True)
class GRE:
    """A GRE header and what it carries: Ethernet (protocol 0x6558), IPv4 or IPv6,
    or raw bytes for other protocol types. `key`/`seq` are present when not None;
    the checksum is present when `checksum_present`."""

    protocol: int
    payload: Ethernet | IPv4 | IPv6 | bytes = b""
    key: int | None = None
    seq: int | None = None
    checksum_present: bool = False
    checksum: int = field(default=0, compare=False)
    checksum_status: ChecksumStatus = field(default=_NOT_CHECKED, compare=False)

    def serialize(self) -> bytes:
        p = self.payload
        body = p if isinstance(p, bytes) else p.serialize()
        flags = GRE_CSUM_PRESENT if self.checksum_present else 0
        try:
            fields = b""
            if self.key is not None:
                flags |= GRE_KEY_PRESENT
                fields += _WORD.pack(self.key)
            if self.seq is not None:
                flags |= GRE_SEQ_PRESENT
                fields += _WORD.pack(self.seq)
            base = _BASE.pack(flags, self.protocol)
        except struct.error as e:
            raise MalformedPacket("GRE", str(e)) from None
        if not self.checksum_present:
            return b"".join((base, fields, body))
        csum = checksum(body, ones_sum(base) + ones_sum(fields))
        return b"".join((base, csum.to_bytes(2, "big"), b"\0\0", fields, body))


def decode(buf: bytes, off: int, end: int, verify: bool) -> GRE | bytes:
    """Decode the GRE packet in `buf[off:end]`. Other GRE variants (PPTP's version 1,
    RFC 1701 source routing) are not malformed, just not ours: they stay raw bytes."""
    if end - off < 4:
        raise MalformedPacket("GRE", f"{end - off} bytes, the header needs 4")
    flags, protocol = _BASE.unpack_from(buf, off)
    if flags & 7 or flags & _DISCARD:
        return buf[off:end]
    has_csum = bool(flags & GRE_CSUM_PRESENT)
    size = 4 + 4 * (has_csum + bool(flags & GRE_KEY_PRESENT) + bool(flags & GRE_SEQ_PRESENT))
    if end - off < size:
        raise MalformedPacket("GRE", f"{end - off} bytes, the header needs {size}")
    pos = off + 4
    csum = 0
    status = _NOT_CHECKED
    if has_csum:
        csum = int.from_bytes(buf[pos : pos + 2], "big")
        pos += 4
        if verify:
            ok = ones_sum(buf[off:end]) == 0xFFFF
            status = ChecksumStatus.VALID if ok else ChecksumStatus.INVALID
    key = seq = None
    if flags & GRE_KEY_PRESENT:
        key = _WORD.unpack_from(buf, pos)[0]
        pos += 4
    if flags & GRE_SEQ_PRESENT:
        seq = _WORD.unpack_from(buf, pos)[0]
        pos += 4
    payload: Ethernet | IPv4 | IPv6 | bytes
    if protocol == ETH_TYPE_TEB:
        payload = ethernet.decode(buf, pos, end, verify)
    elif protocol in (ETH_TYPE_IPV4, ETH_TYPE_IPV6):
        inner = ipv4 if protocol == ETH_TYPE_IPV4 else ipv6
        payload, stop = inner.decode(buf, pos, end, verify)
        if stop != end:
            raise MalformedPacket("GRE", f"{end - stop} bytes follow the inner packet")
    else:
        payload = buf[pos:end]
    return GRE(protocol, payload, key, seq, has_csum, csum, status)
