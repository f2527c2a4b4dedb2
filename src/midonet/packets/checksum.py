"""The Internet checksum (RFC 1071), its incremental update (RFC 1624), and the
status a parser reports for a received checksum.

The sum uses one arithmetic fact: 2**16 ≡ 1 (mod 0xFFFF), so a byte string read as one
big-endian integer is congruent to the sum of its 16-bit words. One `int.from_bytes`
and one modulo replace a Python loop over the words, which matters per packet.
"""

from __future__ import annotations

import enum

_MASK = 0xFFFF


class ChecksumStatus(enum.Enum):
    """What a parser found in a checksum field. Parsers report, they never raise."""

    NOT_CHECKED = "not-checked"  # verification off, or no checksum sent (UDP zero)
    VALID = "valid"
    INVALID = "invalid"
    # The field holds only the pseudo-header sum: the sender left the rest to offload
    # (CHECKSUM_PARTIAL on veth/TAP); whoever transmits the frame must finish it.
    PARTIAL = "partial"


def fold(value: int) -> int:
    """One's-complement fold of a non-negative integer to 16 bits, keeping -0 (0xFFFF)."""
    if value == 0:
        return 0
    return value % _MASK or _MASK


def ones_sum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """The folded one's-complement sum of `data` as 16-bit words (odd tail zero-padded),
    plus `initial` (any non-negative int, e.g. a pseudo-header sum). Not complemented."""
    n = int.from_bytes(data, "big")
    if len(data) & 1:
        n <<= 8
    return fold(n + initial)


def checksum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """The value to write in a checksum field that was zero while summing `data`."""
    return ~ones_sum(data, initial) & _MASK


def pseudo_sum(src: int, dst: int, proto: int) -> int:
    """Unfolded sum of a pseudo-header's addresses and protocol, IPv4 or IPv6 alike
    (`x % 0xFFFF` sums the 16-bit words of an address of any width). The upper-layer
    length, the remaining pseudo-header field, is added by the transport header."""
    return src % _MASK + dst % _MASK + proto


def is_partial(field: int, pseudo_with_length: int) -> bool:
    """Whether a checksum field holds just the pseudo-header sum, as Linux leaves it for
    offload (`~csum_tcpudp_magic(...)`, i.e. the folded sum, not complemented)."""
    return field % _MASK == pseudo_with_length % _MASK  # 0 and 0xFFFF are both -0


def transport_status(segment: bytes, field: int, pseudo_with_length: int) -> ChecksumStatus:
    """Verify a checksum over `segment` (which includes the field) and a pseudo-header:
    valid, partial (left to offload), or invalid."""
    if ones_sum(segment, pseudo_with_length) == _MASK:
        return ChecksumStatus.VALID
    if is_partial(field, pseudo_with_length):
        return ChecksumStatus.PARTIAL
    return ChecksumStatus.INVALID


def update16(old_checksum: int, old: int, new: int) -> int:
    """The checksum after a 16-bit word changed from `old` to `new` (RFC 1624 eqn. 3:
    HC' = ~(~HC + ~m + m'))."""
    s = (~old_checksum & _MASK) + (~old & _MASK) + new
    s = (s & _MASK) + (s >> 16)
    s = (s & _MASK) + (s >> 16)
    return ~s & _MASK


def update32(old_checksum: int, old: int, new: int) -> int:
    """The checksum after a 32-bit field (an IPv4 address) changed from `old` to `new`."""
    s = (
        (~old_checksum & _MASK)
        + (~(old >> 16) & _MASK)
        + (~old & _MASK)
        + ((new >> 16) & _MASK)
        + (new & _MASK)
    )
    while s >> 16:
        s = (s & _MASK) + (s >> 16)
    return ~s & _MASK


def update_bytes(old_checksum: int, old: bytes, new: bytes) -> int:
    """The checksum after a word-aligned field of any even length (an IPv6 address)
    changed from `old` to `new`. Summing ~m over words equals ~(sum of m) here."""
    if len(old) != len(new) or len(old) & 1:
        raise ValueError("old and new must have the same even length")
    s = (~old_checksum & _MASK) + (~ones_sum(old) & _MASK) + ones_sum(new)
    while s >> 16:
        s = (s & _MASK) + (s >> 16)
    return ~s & _MASK


def udp_field(value: int) -> int:
    """UDP sends a computed zero as 0xFFFF: a zero field means "no checksum"."""
    return value or _MASK
