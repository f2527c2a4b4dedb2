"""Address representations used in every header, and conversions to text.

A MAC is `bytes` of length 6 (what `struct` yields, hashable, cheap to compare).
An IPv4 or IPv6 address is an `int` (cheap to mask for prefix matching and to sum
for checksums); `ipaddress` objects and text are for the edges.
"""

from __future__ import annotations

import ipaddress
import socket

BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\x00" * 6

_HEX = frozenset("0123456789abcdefABCDEF")


def mac_to_str(mac: bytes) -> str:
    """`b"\\x02\\x00\\x00\\x00\\x00\\x01"` → `"02:00:00:00:00:01"`."""
    return mac.hex(":")


def mac_from_str(text: str) -> bytes:
    """Parse `aa:bb:cc:dd:ee:ff` (also with `-` separators, any case) into 6 bytes."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) in (1, 2) and _HEX.issuperset(p) for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def is_multicast_mac(mac: bytes) -> bool:
    """Group bit set (the broadcast address included)."""
    return bool(mac[0] & 1)


def ipv4_from_str(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def ipv4_to_str(addr: int) -> str:
    return socket.inet_ntoa(addr.to_bytes(4, "big"))


def ipv6_from_str(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def ipv6_to_str(addr: int) -> str:
    return str(ipaddress.IPv6Address(addr))


def ip_address(addr: int, version: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The `ipaddress` object for a header's int address (the version is not implied
    by the int: ::1 and 0.0.0.1 are both 1)."""
    if version == 4:
        return ipaddress.IPv4Address(addr)
    if version == 6:
        return ipaddress.IPv6Address(addr)
    raise ValueError(f"IP version must be 4 or 6, not {version}")
