"""Header behaviour beyond the wire format: ICMP quotes under NAT, ports of first
fragments, address helpers, and refusal to encode what does not fit."""

import ipaddress
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.errors import MalformedPacket
from midonet.packets import (
    ARP,
    TCP,
    UDP,
    VXLAN,
    Ethernet,
    ICMPQuote,
    IPv4,
    IPv6,
    IPv6Ext,
    IPv6Fragment,
    VlanTag,
    builder,
    ip_address,
    ipv4_from_str,
    ipv4_to_str,
    ipv6_from_str,
    ipv6_to_str,
    mac_from_str,
    mac_to_str,
    parse,
)
from midonet.packets import constants as c
from midonet.packets.address import is_multicast_mac

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)


def quote_of(packet: bytes | IPv4, quote_bytes: int) -> ICMPQuote:
    error = builder.icmp_error(
        packet, icmp_type=3, code=3, src_ip="10.0.0.254", quote_bytes=quote_bytes
    )
    quote = error.payload.payload
    assert isinstance(quote, ICMPQuote)
    return quote


@given(u32, u32, u16, u16, st.sampled_from(["udp", "tcp"]))
def test_quote_rewrite_equals_quoting_the_rewritten_packet(
    src: int, dst: int, sport: int, dport: int, proto: str
) -> None:
    """Reverse NAT of an ICMP error rewrites the quoted addresses and ports, and the
    quoted transport checksum must come out as if the packet had been sent so."""
    l4: TCP | UDP = UDP(5000, 53, b"payload") if proto == "udp" else TCP(5000, 53, 1, 2, 0x18)
    number = c.IP_PROTO_UDP if proto == "udp" else c.IP_PROTO_TCP
    original = IPv4(0x0A000001, 0x0A000002, number, l4, ttl=5)
    quote_bytes = 8 if proto == "udp" else 20  # TCP's checksum lies at bytes 16-17
    rewritten = quote_of(original, quote_bytes).rewrite(
        src=src, dst=dst, src_port=sport, dst_port=dport
    )
    sent_so = replace(
        original, src=src, dst=dst, payload=replace(l4, src_port=sport, dst_port=dport)
    )
    assert rewritten == quote_of(sent_so, quote_bytes)
    assert rewritten.ports() == (sport, dport)
    assert (rewritten.src, rewritten.dst) == (src, dst)


@given(u16)
def test_quote_rewrite_of_an_echo_id(ident: int) -> None:
    echo = builder.icmp_echo_frame(
        src_mac="02:00:00:00:00:01",
        dst_mac="02:00:00:00:00:02",
        src_ip="10.0.0.1",
        dst_ip="10.0.0.2",
        ident=7,
        seq=1,
    ).payload
    assert isinstance(echo, IPv4)
    quote = quote_of(echo, 8)
    assert quote.icmp_id() == 7
    assert quote.ports() is None
    rewritten = quote.rewrite(icmp_id=ident)
    assert rewritten == quote_of(
        replace(echo, payload=replace(echo.payload, rest=ident << 16 | 1)), 8
    )


def test_quote_rewrite_keeps_a_missing_udp_checksum_missing() -> None:
    # Passed as bytes: serializing a decoded UDP header would compute a checksum.
    packet = bytes.fromhex("4500001c000000004011 0000 0a000001 0a000002 1388 0035 0008 0000")
    rewritten = quote_of(packet, 8).rewrite(src=0x0B000001, src_port=1)
    assert rewritten.data == bytes.fromhex("0001 0035 0008 0000")


def test_first_fragment_ports_are_read_from_raw_bytes() -> None:
    datagram = UDP(5000, 6000, b"x" * 100).serialize(0)
    first = IPv4(1, 2, c.IP_PROTO_UDP, datagram[:48], flags=c.IPV4_FLAG_MF)
    later = IPv4(1, 2, c.IP_PROTO_UDP, datagram[48:], frag_offset=6)
    assert first.is_fragment and later.is_fragment
    assert first.l4_ports() == (5000, 6000)
    assert later.l4_ports() is None
    assert IPv4(1, 2, c.IP_PROTO_ICMP, b"\x08\x00\x00\x00").l4_ports() is None
    assert IPv4(1, 2, c.IP_PROTO_TCP, TCP(80, 81)).l4_ports() == (80, 81)


def test_ipv6_ports_through_fragments() -> None:
    frag = IPv6Fragment(1, 0, True)
    first = IPv6(1, 2, c.IP_PROTO_TCP, b"\x00\x50\x01\xbb" + bytes(16), extensions=(frag,))
    later = IPv6(1, 2, c.IP_PROTO_TCP, b"tail", extensions=(IPv6Fragment(1, 5),))
    assert first.is_fragment and first.l4_ports() == (80, 443)
    assert later.l4_ports() is None
    assert first.fragment == frag and first.next_header == c.IP_PROTO_IPV6_FRAG
    assert IPv6(1, 2, c.IP_PROTO_UDP, UDP(1, 2)).l4_ports() == (1, 2)


def test_mac_text() -> None:
    mac = mac_from_str("02:0A:ff:00:00:01")
    assert mac == bytes.fromhex("020aff000001")
    assert mac_to_str(mac) == "02:0a:ff:00:00:01"
    assert mac_from_str("02-0a-ff-00-00-01") == mac
    assert is_multicast_mac(mac_from_str("01:00:5e:00:00:01"))
    assert not is_multicast_mac(mac)


@pytest.mark.parametrize("text", ["", "02:00:00:00:00", "02:00:00:00:00:0g", "020:0:0:0:0:1"])
def test_bad_mac_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a MAC"):
        mac_from_str(text)


def test_ip_text_and_ipaddress() -> None:
    assert ipv4_from_str("192.168.1.2") == 0xC0A80102
    assert ipv4_to_str(0xC0A80102) == "192.168.1.2"
    assert ipv6_from_str("2001:db8::1") == 0x2001_0DB8 << 96 | 1
    assert ipv6_to_str(1) == "::1"
    assert ip_address(1, 4) == ipaddress.IPv4Address("0.0.0.1")
    assert ip_address(1, 6) == ipaddress.IPv6Address("::1")
    with pytest.raises(ValueError, match="4 or 6"):
        ip_address(1, 5)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (Ethernet(b"\x00" * 5, b"\x00" * 6, 0x0800), "Ethernet"),
        (Ethernet(b"\x00" * 6, b"\x00" * 6, 0x10000), "Ethernet"),
        (Ethernet(b"\x00" * 6, b"\x00" * 6, 0x0800, vlans=(VlanTag(4096),)), "Ethernet"),
        (ARP(1, b"\x00" * 6, 1 << 32, b"\x00" * 6, 0), "ARP"),
        (IPv4(1, 2, 17, options=b"\x01\x01\x01"), "IPv4"),
        (IPv4(1, 2, 17, frag_offset=0x2000), "IPv4"),
        (IPv4(1, 2, 17, b"\x00" * 65516), "IPv4"),
        (IPv4(1, 2, 6, TCP(1, 2, options=b"\x01")), "TCP"),
        (IPv4(1, 2, 6, TCP(1, 2, flags=0x1000)), "TCP"),
        (IPv4(1, 2, 17, UDP(1 << 16, 2)), "UDP"),
        (IPv6(1, 2, 59, extensions=(IPv6Ext(0, b"\x00" * 5),)), "IPv6"),
        (IPv6(1, 2, 59, extensions=(IPv6Fragment(1, 0x2000),)), "IPv6"),
        (IPv6(1, 2, 59, flow_label=1 << 20), "IPv6"),
        (IPv6(1 << 128, 2, 59), "IPv6"),
        (VXLAN(1 << 24, Ethernet(b"\x00" * 6, b"\x00" * 6, 0x0800)), "VXLAN"),
    ],
)
def test_unencodable_headers_are_refused(header: object, name: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        header.serialize()
    assert caught.value.header == name


def test_datagram_to_a_vxlan_port_that_is_not_vxlan_stays_raw() -> None:
    frame = builder.udp_frame(
        src_mac="02:00:00:00:00:01",
        dst_mac="02:00:00:00:00:02",
        src_ip="10.0.0.1",
        dst_ip="10.0.0.2",
        src_port=1234,
        dst_port=c.VXLAN_PORT_MIDONET,
        payload=b"not a tunnel",
    )
    parsed = parse(frame.serialize())
    assert parsed == frame
    assert parsed.payload.payload.payload == b"not a tunnel"
    with pytest.raises(MalformedPacket):
        VXLAN.from_bytes(b"not a tunnel")  # asked for explicitly, it must be VXLAN


@pytest.mark.parametrize(
    "gre_header", ["3001 880b 0000 0000", "4000 0800 0000 0000"], ids=["pptp-v1", "routing"]
)
def test_gre_variants_we_do_not_decode_stay_raw(gre_header: str) -> None:
    gre = bytes.fromhex(gre_header) + b"opaque"
    packet = IPv4(0xC0A80001, 0xC0A80002, c.IP_PROTO_GRE, gre)
    assert IPv4.from_bytes(packet.serialize()) == packet


def test_ipv6_later_fragment_data_is_not_read_as_headers() -> None:
    # Fragment data that happens to start like an extension header (next header 60).
    from midonet.packets import IPv6, IPv6Fragment, parse
    from midonet.packets.builder import ethernet

    frag = IPv6(
        src=1,
        dst=2,
        proto=60,
        payload=b"\x11\xff" + bytes(30),
        extensions=(IPv6Fragment(ident=7, offset=9, more=False),),
    )
    frame = ethernet(
        dst_mac="02:00:00:00:00:02", src_mac="02:00:00:00:00:01", payload=frag
    ).serialize()
    parsed = parse(frame).payload
    assert isinstance(parsed, IPv6)
    assert parsed.extensions == frag.extensions
    assert parsed.payload == frag.payload
    assert parsed == frag
