"""MAC and MAC-mask helpers (the CLI's hw-src-mask is xxxx.xxxx.xxxx)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.model.mac import (
    MAC_MASK_ALL,
    format_mac_mask,
    mac_from_int,
    mac_to_int,
    normalize_mac,
    parse_mac_mask,
    random_port_mac,
)


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("ffff.ffff.ffff", MAC_MASK_ALL),
        ("ffff.0000.0000", 0xFFFF_0000_0000),
        ("0000.0000.0000", 0),
        ("FFFF.ff00.0000", 0xFFFF_FF00_0000),
    ],
)
def test_parse_mac_mask(text: str, mask: int) -> None:
    assert parse_mac_mask(text) == mask


@pytest.mark.parametrize(
    "text", ["ffff.ffff", "ffff.ffff.fff", "ffff.ffff.ffff.ffff", "gggg.0000.0000", "", "ff:ff"]
)
def test_parse_mac_mask_refuses_other_shapes(text: str) -> None:
    with pytest.raises(ValueError, match="three groups of four hex digits"):
        parse_mac_mask(text)


def test_format_mac_mask() -> None:
    assert format_mac_mask(0xFFFF_FF00_0000) == "ffff.ff00.0000"
    assert format_mac_mask(0) == "0000.0000.0000"
    with pytest.raises(ValueError):
        format_mac_mask(1 << 48)


@given(st.integers(min_value=0, max_value=MAC_MASK_ALL))
def test_mask_round_trip(mask: int) -> None:
    assert parse_mac_mask(format_mac_mask(mask)) == mask


def test_normalize_mac() -> None:
    assert normalize_mac("AC-CA-BA-0-0-1") == "ac:ca:ba:00:00:01"
    assert mac_from_int(mac_to_int("02:00:00:00:00:01")) == "02:00:00:00:00:01"
    for bad in ("", "02:00:00:00:00", "02:00:00:00:00:0g", "002:00:00:00:00:01"):
        with pytest.raises(ValueError):
            normalize_mac(bad)


def test_random_port_mac_is_unicast_in_midonet_oui() -> None:
    mac = random_port_mac(random.Random(7))
    assert mac.startswith("ac:ca:ba:")
    assert not mac_to_int(mac) & (1 << 40)
    assert random_port_mac(random.Random(7)) == mac
