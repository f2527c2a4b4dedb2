"""Property tests: every header stack survives serialize → parse unchanged, and
what serialize emits carries valid checksums throughout."""

from dataclasses import replace

import packet_strategies as ps
from hypothesis import given, settings
from hypothesis import strategies as st

from midonet.packets import ARP, ICMP, VXLAN, ChecksumStatus, Ethernet, IPv4, IPv6, parse
from midonet.packets import constants as c


@settings(max_examples=400)
@given(ps.ethernets(depth=2))
def test_parse_inverts_serialize(frame: Ethernet) -> None:
    wire = frame.serialize()
    parsed = parse(wire)
    assert parsed == frame
    assert parsed.serialize() == wire


@settings(max_examples=200)
@given(ps.ethernets(depth=1))
def test_serialized_checksums_verify(frame: Ethernet) -> None:
    statuses = {
        h.checksum_status
        for h in ps.walk(parse(frame.serialize()))
        if hasattr(h, "checksum_status") and h.checksum_status is not ChecksumStatus.NOT_CHECKED
    }
    assert statuses <= {ChecksumStatus.VALID}


@settings(max_examples=100)
@given(ps.ethernets(depth=1))
def test_verification_off_reports_not_checked(frame: Ethernet) -> None:
    parsed = parse(frame.serialize(), verify_checksums=False)
    assert parsed == frame
    for h in ps.walk(parsed):
        assert getattr(h, "checksum_status", ChecksumStatus.NOT_CHECKED) is (
            ChecksumStatus.NOT_CHECKED
        )


@given(ps.ipv4s(depth=1))
def test_ipv4_from_bytes(packet: IPv4) -> None:
    assert IPv4.from_bytes(packet.serialize()) == packet


@given(ps.ipv6s(depth=1))
def test_ipv6_from_bytes(packet: IPv6) -> None:
    assert IPv6.from_bytes(packet.serialize()) == packet


@given(ps.arps)
def test_arp_from_bytes(message: ARP) -> None:
    assert ARP.from_bytes(message.serialize()) == message


@given(ps.icmps)
def test_icmp_from_bytes(message: ICMP) -> None:
    assert ICMP.from_bytes(message.serialize()) == message


@given(ps.ethernets(depth=0), st.integers(0, 0xFFFFFF))
def test_vxlan_from_bytes(inner: Ethernet, vni: int) -> None:
    header = VXLAN(vni, inner)
    assert VXLAN.from_bytes(header.serialize()) == header


L3_FRAMES = ps.ethernets(depth=0).filter(
    lambda f: f.ethertype in (c.ETH_TYPE_IPV4, c.ETH_TYPE_IPV6, c.ETH_TYPE_ARP)
)


@given(L3_FRAMES, st.binary(min_size=1, max_size=40))
def test_trailer_is_kept_after_the_l3_packet(frame: Ethernet, padding: bytes) -> None:
    padded = replace(frame, trailer=padding)
    wire = padded.serialize()
    assert parse(wire).trailer == padding
    assert parse(wire).payload == frame.payload
