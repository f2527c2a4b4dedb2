"""Hostile input: whatever the bytes, parse either decodes them or raises
MalformedPacket, never anything else (no struct.error, IndexError, ValueError...)."""

import packet_strategies as ps
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midonet.errors import MalformedPacket
from midonet.packets import Ethernet, parse


def parse_or_malformed(wire: bytes, verify: bool = True) -> Ethernet | None:
    try:
        return parse(wire, verify_checksums=verify)
    except MalformedPacket as e:
        assert e.header and e.reason
        return None


@settings(max_examples=2000)
@given(st.binary(max_size=200), st.booleans())
def test_random_bytes(wire: bytes, verify: bool) -> None:
    frame = parse_or_malformed(wire, verify)
    if frame is not None:
        # What decodes, re-encodes to the same bytes and decodes the same again.
        assert parse(frame.serialize(), verify_checksums=verify) == frame


# Random bytes rarely get past the Ethernet type; these prefixes take them deeper.
PREFIXES = [
    bytes.fromhex("0200000000020200000000010800"),  # Ethernet, IPv4 next
    bytes.fromhex("02000000000202000000000186dd"),  # Ethernet, IPv6 next
    bytes.fromhex("0200000000020200000000010806"),  # Ethernet, ARP next
    bytes.fromhex("020000000002020000000001810000050800"),  # a VLAN tag, IPv4 next
    # Ethernet + IPv4 (no options), protocol left for the random tail to choose
    bytes.fromhex("0200000000020200000000010800450000000000000040"),
]


@settings(max_examples=2000)
@given(st.sampled_from(PREFIXES), st.binary(max_size=200))
def test_random_bytes_behind_valid_headers(prefix: bytes, tail: bytes) -> None:
    parse_or_malformed(prefix + tail)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(ps.ethernets(depth=2), st.data())
def test_truncated_valid_frames(frame: Ethernet, data: st.DataObject) -> None:
    wire = frame.serialize()
    cut = data.draw(st.integers(0, max(0, len(wire) - 1)))
    parse_or_malformed(wire[:cut])


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(ps.ethernets(depth=2), st.data())
def test_corrupted_valid_frames(frame: Ethernet, data: st.DataObject) -> None:
    wire = bytearray(frame.serialize())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(wire) - 1))
        wire[pos] = data.draw(st.integers(0, 255))
    parse_or_malformed(bytes(wire))


ETH_IPV4 = "020000000002 020000000001 0800"
IPV4_TCP = "45 00 0028 0000 0000 40 06 0000 0a000001 0a000002"  # total length 40


@pytest.mark.parametrize(
    ("wire", "header", "reason"),
    [
        ("0200000000", "Ethernet", "the header needs 14"),
        ("020000000002 020000000001 8100 0005", "Ethernet", "VLAN tag truncated"),
        (ETH_IPV4 + "45 00 0014", "IPv4", "the header needs 20"),
        (ETH_IPV4 + "65" + "00" * 19, "IPv4", "version is 6"),
        (ETH_IPV4 + "44 00 0014" + "00" * 17, "IPv4", "IHL 4 is below 5"),
        (ETH_IPV4 + "46 00 0018" + "00" * 17, "IPv4", "header of 24 bytes truncated"),
        (ETH_IPV4 + "45 00 0010" + "00" * 16, "IPv4", "total length 16 is shorter"),
        (ETH_IPV4 + "45 00 0030" + "00" * 16, "IPv4", "total length 48 exceeds"),
        (
            ETH_IPV4 + IPV4_TCP + "0000 0000 00000000 00000000 4002 0000 0000 0000",
            "TCP",
            "data offset 4 is below 5",
        ),
        (
            ETH_IPV4 + IPV4_TCP + "0000 0000 00000000 00000000 6002 0000 0000 0000",
            "TCP",
            "data offset 24 bytes exceeds the 20-byte segment",
        ),
        (
            ETH_IPV4 + "45 00 001c 0000 0000 40 11 0000 0a000001 0a000002 0000 0000 0007 0000",
            "UDP",
            "length 7 is below",
        ),
        (
            ETH_IPV4 + "45 00 001c 0000 0000 40 11 0000 0a000001 0a000002 0000 0000 0009 0000",
            "UDP",
            "length 9 exceeds",
        ),
        (
            ETH_IPV4 + "45 00 001c 0000 0000 40 01 0000 0a000001 0a000002 0300 0000 00000000",
            "ICMP",
            "quoted datagram",
        ),
        (
            "020000000002 020000000001 86dd 60000000 0004 2c 40" + "00" * 32 + "11000000",
            "IPv6",
            "extension header 44 truncated",
        ),
        ("020000000002 020000000001 0806 0001 0800 0604 0001", "ARP", "the message needs 28"),
    ],
)
def test_malformed_input_names_header_and_fault(wire: str, header: str, reason: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        parse(bytes.fromhex(wire))
    assert caught.value.header == header
    assert reason in caught.value.reason
