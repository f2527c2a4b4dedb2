"""The Internet checksum, its incremental update, and how parse reports checksums."""

import socket
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.utils import checksum as scapy_checksum

from midonet.packets import (
    GRE,
    ICMP,
    TCP,
    UDP,
    ChecksumStatus,
    Ethernet,
    ICMPv6,
    IPv4,
    IPv6,
    builder,
    parse,
)
from midonet.packets.checksum import (
    checksum,
    ones_sum,
    update16,
    update32,
    update_bytes,
)
from midonet.packets.constants import ETH_TYPE_IPV4, IP_PROTO_GRE, IP_PROTO_ICMPV6, TCP_ACK

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def reference_sum(data: bytes) -> int:
    """RFC 1071 the slow way: 16-bit words with end-around carry."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += data[i] << 8 | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


@given(st.binary(max_size=300))
def test_ones_sum_matches_the_word_loop(data: bytes) -> None:
    assert ones_sum(data) == reference_sum(data)


@given(st.binary(max_size=300))
def test_checksum_matches_scapy(data: bytes) -> None:
    assert checksum(data) == scapy_checksum(data)


@given(st.binary(max_size=100), st.binary(max_size=100))
def test_initial_value_continues_a_sum(head: bytes, tail: bytes) -> None:
    if len(head) % 2:
        head += b"\0"
    assert ones_sum(head + tail) == ones_sum(tail, ones_sum(head))


# ---------------------------------------------------------------------------------
# RFC 1624 updates against full recomputation
# ---------------------------------------------------------------------------------


@st.composite
def rewrites(draw: st.DrawFn, width: int) -> tuple[bytes, int, bytes]:
    """Even-length data, a word-aligned offset, and `width` new bytes for it."""
    words = draw(st.integers(width // 2, 40))
    data = draw(st.binary(min_size=2 * words, max_size=2 * words))
    pos = 2 * draw(st.integers(0, words - width // 2))
    return data, pos, draw(st.binary(min_size=width, max_size=width))


def recomputed(data: bytes, pos: int, new: bytes) -> tuple[int, bool]:
    changed = data[:pos] + new + data[pos + len(new) :]
    return checksum(changed), any(changed)


@given(rewrites(2))
def test_update16_equals_recomputation(case: tuple[bytes, int, bytes]) -> None:
    data, pos, new = case
    old = int.from_bytes(data[pos : pos + 2])
    expected, nonzero = recomputed(data, pos, new)
    updated = update16(checksum(data), old, int.from_bytes(new))
    # All-zero data sums to +0, an update reaches -0: both verify.
    assert updated == expected if nonzero else updated in (0, 0xFFFF)


@given(rewrites(4))
def test_update32_equals_recomputation(case: tuple[bytes, int, bytes]) -> None:
    data, pos, new = case
    old = int.from_bytes(data[pos : pos + 4])
    expected, nonzero = recomputed(data, pos, new)
    updated = update32(checksum(data), old, int.from_bytes(new))
    assert updated == expected if nonzero else updated in (0, 0xFFFF)


@given(rewrites(16))
def test_update_bytes_equals_recomputation(case: tuple[bytes, int, bytes]) -> None:
    data, pos, new = case
    expected, nonzero = recomputed(data, pos, new)
    updated = update_bytes(checksum(data), data[pos : pos + 16], new)
    assert updated == expected if nonzero else updated in (0, 0xFFFF)


def test_update_bytes_wants_equal_even_lengths() -> None:
    with pytest.raises(ValueError, match="same even length"):
        update_bytes(0, b"abc", b"abd")


@given(st.integers(0, 0xFFFF_FFFF), st.integers(0, 0xFFFF), st.binary(max_size=40))
def test_nat_rewrite_by_updates_equals_reserialization(
    new_src: int, new_port: int, data: bytes
) -> None:
    """What a datapath does in place: rewrite the source address and port of a UDP
    frame and patch both checksums, versus building the rewritten frame afresh."""
    frame = builder.udp_frame(
        src_mac=M1,
        dst_mac=M2,
        src_ip="10.0.0.1",
        dst_ip="10.0.0.2",
        src_port=5000,
        dst_port=53,
        payload=data,
    )
    ip = frame.payload
    assert isinstance(ip, IPv4) and isinstance(ip.payload, UDP)
    wire = bytearray(frame.serialize())
    ip_csum = int.from_bytes(wire[24:26])
    udp_csum = int.from_bytes(wire[40:42])
    wire[26:30] = new_src.to_bytes(4)
    wire[24:26] = update32(ip_csum, ip.src, new_src).to_bytes(2)
    wire[34:36] = new_port.to_bytes(2)
    udp_csum = update16(update32(udp_csum, ip.src, new_src), 5000, new_port)
    wire[40:42] = (udp_csum or 0xFFFF).to_bytes(2)
    rewritten = replace(ip, src=new_src, payload=replace(ip.payload, src_port=new_port))
    assert bytes(wire) == replace(frame, payload=rewritten).serialize()


# ---------------------------------------------------------------------------------
# Reporting: parse states what it found in each checksum field, never raises
# ---------------------------------------------------------------------------------


def pseudo_header_sum(ip: IPv4 | IPv6, proto: int, length: int) -> int:
    """The folded pseudo-header sum, from its bytes laid out per RFC 793 / RFC 8200."""
    if isinstance(ip, IPv4):
        header = ip.src.to_bytes(4) + ip.dst.to_bytes(4) + bytes((0, proto)) + length.to_bytes(2)
    else:
        header = ip.src.to_bytes(16) + ip.dst.to_bytes(16) + length.to_bytes(4) + bytes(3)
        header += bytes((proto,))
    return reference_sum(header)


def tcp_frame(ipv6: bool = False) -> Ethernet:
    segment = TCP(40000, 80, 1, 1, TCP_ACK, payload=b"offloaded")
    if ipv6:
        ip: IPv4 | IPv6 = IPv6(0x2001_0DB8 << 96 | 1, 0x2001_0DB8 << 96 | 2, 6, segment)
        return builder.ethernet(src_mac=M1, dst_mac=M2, payload=ip)
    ip = IPv4(0x0A000001, 0x0A000002, 6, segment)
    return builder.ethernet(src_mac=M1, dst_mac=M2, payload=ip)


def set_field(frame: Ethernet, at: int, value: int) -> bytes:
    """The frame's bytes with the 16-bit field at `at` (from the L4 start) replaced."""
    wire = bytearray(frame.serialize())
    l4 = 14 + (40 if isinstance(frame.payload, IPv6) else 20)
    wire[l4 + at : l4 + at + 2] = value.to_bytes(2)
    return bytes(wire)


@pytest.mark.parametrize("ipv6", [False, True])
def test_wrong_tcp_checksum_parses_and_is_reported_invalid(ipv6: bool) -> None:
    frame = tcp_frame(ipv6)
    good = parse(frame.serialize()).payload.payload
    bad = parse(set_field(frame, 16, good.checksum ^ 0x0101))
    assert bad.payload.payload.checksum_status is ChecksumStatus.INVALID
    assert bad == frame  # every field still decoded
    if not ipv6:
        assert bad.payload.checksum_status is ChecksumStatus.VALID


@pytest.mark.parametrize("ipv6", [False, True])
def test_offloaded_tcp_checksum_is_reported_partial(ipv6: bool) -> None:
    """veth and TAP hand over frames whose TCP field holds only the pseudo-header sum
    (Linux's CHECKSUM_PARTIAL: `~tcp_v4_check(len, saddr, daddr, 0)`)."""
    frame = tcp_frame(ipv6)
    ip = frame.payload
    assert isinstance(ip, (IPv4, IPv6)) and isinstance(ip.payload, TCP)
    length = 20 + len(ip.payload.payload)
    parsed = parse(set_field(frame, 16, pseudo_header_sum(ip, 6, length)))
    assert parsed.payload.payload.checksum_status is ChecksumStatus.PARTIAL
    # Re-serializing completes the checksum, as the transmitting side must.
    assert parse(parsed.serialize()).payload.payload.checksum_status is ChecksumStatus.VALID


def test_offloaded_udp_checksum_is_reported_partial() -> None:
    frame = builder.udp_frame(
        src_mac=M1, dst_mac=M2, src_ip="10.0.0.1", dst_ip="10.0.0.2", src_port=1, dst_port=2
    )
    ip = frame.payload
    assert isinstance(ip, IPv4)
    parsed = parse(set_field(frame, 6, pseudo_header_sum(ip, 17, 8)))
    assert parsed.payload.payload.checksum_status is ChecksumStatus.PARTIAL


def test_zero_udp_checksum_means_none_was_sent() -> None:
    frame = builder.udp_frame(
        src_mac=M1, dst_mac=M2, src_ip="10.0.0.1", dst_ip="10.0.0.2", src_port=1, dst_port=2
    )
    parsed = parse(set_field(frame, 6, 0))
    assert parsed.payload.payload.checksum_status is ChecksumStatus.NOT_CHECKED


def test_udp_never_sends_a_computed_zero() -> None:
    """A sum that complements to 0 goes out as 0xFFFF (RFC 768)."""
    for port in range(0x10000):
        dgram = UDP(port, 0)
        sent = dgram.serialize(0)
        if checksum(sent[:6] + b"\0\0", 8) == 0:  # 8: the pseudo-header length
            assert sent[6:8] == b"\xff\xff"
            break
    else:
        pytest.fail("no port gives a zero checksum")


def test_wrong_ipv4_header_checksum_is_reported_invalid() -> None:
    wire = bytearray(tcp_frame().serialize())
    wire[24] ^= 0xFF
    parsed = parse(bytes(wire))
    assert parsed.payload.checksum_status is ChecksumStatus.INVALID
    assert parsed.payload.payload.checksum_status is ChecksumStatus.VALID


def test_wrong_icmp_and_icmpv6_checksums_are_reported_invalid() -> None:
    echo = builder.icmp_echo_frame(src_mac=M1, dst_mac=M2, src_ip="10.0.0.1", dst_ip="10.0.0.2")
    echo6 = builder.icmpv6_echo_frame(
        src_mac=M1, dst_mac=M2, src_ip="2001:db8::1", dst_ip="2001:db8::2"
    )
    for frame in (echo, echo6):
        msg = parse(frame.serialize()).payload.payload
        assert isinstance(msg, (ICMP, ICMPv6))
        assert msg.checksum_status is ChecksumStatus.VALID
        bad = parse(set_field(frame, 2, msg.checksum ^ 0x8000)).payload.payload
        assert bad.checksum_status is ChecksumStatus.INVALID


def test_icmpv6_field_holding_the_pseudo_sum_is_invalid_not_partial() -> None:
    frame = builder.icmpv6_echo_frame(
        src_mac=M1, dst_mac=M2, src_ip="2001:db8::1", dst_ip="2001:db8::2"
    )
    ip = frame.payload
    assert isinstance(ip, IPv6)
    parsed = parse(set_field(frame, 2, pseudo_header_sum(ip, IP_PROTO_ICMPV6, 8)))
    assert parsed.payload.payload.checksum_status is ChecksumStatus.INVALID


def test_wrong_gre_checksum_is_reported_invalid() -> None:
    inner = IPv4(0x0A000001, 0x0A000002, 253, b"data")
    gre = GRE(ETH_TYPE_IPV4, inner, key=1, checksum_present=True)
    frame = builder.ethernet(
        src_mac=M1, dst_mac=M2, payload=IPv4(0xC0A80001, 0xC0A80002, IP_PROTO_GRE, gre)
    )
    assert parse(frame.serialize()).payload.payload.checksum_status is ChecksumStatus.VALID
    bad = parse(set_field(frame, 4, 0x1234)).payload.payload
    assert bad.checksum_status is ChecksumStatus.INVALID


def test_verification_can_be_skipped() -> None:
    wire = set_field(tcp_frame(), 16, 0xDEAD)
    parsed = parse(wire, verify_checksums=False)
    assert parsed.payload.checksum_status is ChecksumStatus.NOT_CHECKED
    assert parsed.payload.payload.checksum_status is ChecksumStatus.NOT_CHECKED
    assert parsed.payload.payload.checksum == 0xDEAD


def test_pseudo_header_reference_agrees_with_the_kernel_layout() -> None:
    """Guard for the helper above: its IPv4 layout sums like socket-packed fields."""
    ip = IPv4(0x0A000001, 0x0A000002, 6)
    raw = socket.inet_aton("10.0.0.1") + socket.inet_aton("10.0.0.2") + b"\x00\x06\x00\x14"
    assert pseudo_header_sum(ip, 6, 20) == reference_sum(raw)
