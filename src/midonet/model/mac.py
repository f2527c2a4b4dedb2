"""MAC addresses and MAC masks as the model stores them.

The model keeps a MAC as canonical text (`ac:ca:ba:12:34:56`, lower case) because that
is what the API and the store exchange; a MAC *mask* is an int holding 48 bits, shown
to people as `xxxx.xxxx.xxxx` (the CLI's `hw-src-mask`, MidoNet's `MAC.parseMask`).
"""

from __future__ import annotations

import random

MAC_MASK_ALL = 0xFFFF_FFFF_FFFF
"""The default mask: every bit of the address is compared (`ffff.ffff.ffff`)."""

MIDOKURA_OUI = 0xACCABA
"""The OUI MidoNet gives the MACs it generates for router ports (`ac:ca:ba:…`)."""

_HEX = frozenset("0123456789abcdef")


def normalize_mac(text: str) -> str:
    """`AC-CA-BA-00-00-01` or `ac:ca:ba:0:0:1` → `ac:ca:ba:00:00:01`; ValueError if not a MAC."""
    parts = text.strip().lower().replace("-", ":").split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 and _HEX.issuperset(p) for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return ":".join(f"{int(p, 16):02x}" for p in parts)


def mac_to_int(text: str) -> int:
    return int(normalize_mac(text).replace(":", ""), 16)


def mac_from_int(value: int) -> str:
    if not 0 <= value <= MAC_MASK_ALL:
        raise ValueError(f"not a 48-bit MAC: {value:#x}")
    return value.to_bytes(6, "big").hex(":")


def random_port_mac(rng: random.Random | None = None) -> str:
    """A unicast MAC in MidoNet's OUI with 24 random bits, as MidoNet gives router ports."""
    low = (rng or random).getrandbits(24)
    return mac_from_int((MIDOKURA_OUI << 24) | low)


def parse_mac_mask(text: str) -> int:
    """`ffff.ff00.0000` → 0xffffff000000: three groups of four hex digits, dot-separated."""
    words = text.strip().split(".")
    if len(words) != 3 or not all(len(w) == 4 and _HEX.issuperset(w.lower()) for w in words):
        raise ValueError(
            f"a MAC mask is three groups of four hex digits like ffff.ff00.0000, got {text!r}"
        )
    mask = 0
    for word in words:
        mask = (mask << 16) | int(word, 16)
    return mask


def format_mac_mask(mask: int) -> str:
    """0xffffff000000 → `ffff.ff00.0000` (the inverse of `parse_mac_mask`)."""
    if not 0 <= mask <= MAC_MASK_ALL:
        raise ValueError(f"a MAC mask has 48 bits, got {mask:#x}")
    return f"{(mask >> 32) & 0xFFFF:04x}.{(mask >> 16) & 0xFFFF:04x}.{mask & 0xFFFF:04x}"
