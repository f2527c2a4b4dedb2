"""FlowMatch extraction, checked against scapy (the independent oracle) and the codec.

Explicit cases spell out every field for each kind of frame the datapath sees;
hypothesis then builds random packets with scapy and compares every field with what
scapy's own dissection of the bytes says, throws random and corrupted bytes at the
extractor (only MalformedPacket may escape), and checks that every frame the codec
parses has a match that agrees with the codec.
"""

from __future__ import annotations

import functools
import ipaddress
import operator
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # scapy warns at import; the suite makes warnings errors
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP as SICMP
    from scapy.layers.inet import IP, ICMPerror, IPerror, IPOption_NOP, TCPerror, UDPerror
    from scapy.layers.inet import TCP as STCP
    from scapy.layers.inet import UDP as SUDP
    from scapy.layers.inet6 import (
        ICMPv6DestUnreach,
        ICMPv6EchoReply,
        ICMPv6EchoRequest,
        ICMPv6PacketTooBig,
        ICMPv6TimeExceeded,
        IPerror6,
        IPv6ExtHdrDestOpt,
        IPv6ExtHdrFragment,
        IPv6ExtHdrHopByHop,
        IPv6ExtHdrRouting,
    )
    from scapy.layers.inet6 import (
        IPv6 as SIPv6,
    )
    from scapy.layers.l2 import ARP as SARP
    from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
    from scapy.layers.vxlan import VXLAN as SVXLAN
    from scapy.packet import Packet, Raw

import packet_strategies as ps

from midonet.errors import MalformedPacket
from midonet.packets import (
    ARP,
    ICMP,
    TCP,
    UDP,
    Ethernet,
    ICMPQuote,
    ICMPv6,
    ICMPv6Quote,
    IPv4,
    IPv6,
    IPv6Fragment,
    VlanTag,
    ipv4_from_str,
    ipv6_from_str,
    mac_from_str,
    parse,
)
from midonet.packets import constants as c
from midonet.packets.match import ETH_TYPE_NONE, FlowMatch, IPFragmentType, match_frame

NONE, FIRST, LATER = IPFragmentType.NONE, IPFragmentType.FIRST, IPFragmentType.LATER
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"


def mac(text: str) -> bytes:
    return mac_from_str(text)


def ip(text: str) -> int:
    return int(ipaddress.ip_address(text))


def eth() -> Ether:
    return Ether(src=MAC_A, dst=MAC_B)


def key(pkt: Packet | bytes, in_port: int = 7, tunnel_key: int = 0) -> FlowMatch:
    return match_frame(bytes(pkt), in_port, tunnel_key)


def expect(**fields: Any) -> FlowMatch:
    """A match for a frame from MAC_A to MAC_B on port 7, with `fields` set."""
    base: dict[str, Any] = {"in_port": 7, "eth_src": mac(MAC_A), "eth_dst": mac(MAC_B)}
    return FlowMatch(**(base | fields))


# ---------------------------------------------------------------------------------
# Every field, frame kind by frame kind
# ---------------------------------------------------------------------------------


def test_ipv4_udp_every_field() -> None:
    pkt = eth() / IP(src="10.0.0.1", dst="10.0.0.2", tos=0xB8, ttl=33) / SUDP(sport=5353, dport=53)
    m = key(pkt / b"query")
    assert m == expect(
        ethertype=c.ETH_TYPE_IPV4,
        nw_src=ip("10.0.0.1"),
        nw_dst=ip("10.0.0.2"),
        nw_proto=c.IP_PROTO_UDP,
        nw_tos=0xB8,
        nw_ttl=33,
        frag_type=NONE,
        src_port=5353,
        dst_port=53,
    )
    assert (m.in_port, m.tunnel_key, m.vlan_ids, m.icmp_id) == (7, 0, (), 0)
    assert (m.icmp_type, m.icmp_code, m.is_icmp_error) == (None, None, False)


def test_ipv4_tcp_with_options_takes_the_general_path() -> None:
    base = eth() / IP(src="192.168.1.1", dst="8.8.8.8", ttl=2)
    plain = key(base / STCP(sport=40000, dport=443, flags="S"))
    with_opts = key(
        eth()
        / IP(src="192.168.1.1", dst="8.8.8.8", ttl=2, options=[IPOption_NOP()] * 4)
        / STCP(sport=40000, dport=443, flags="S")
    )
    assert (
        plain
        == with_opts
        == expect(
            ethertype=c.ETH_TYPE_IPV4,
            nw_src=ip("192.168.1.1"),
            nw_dst=ip("8.8.8.8"),
            nw_proto=c.IP_PROTO_TCP,
            nw_ttl=2,
            src_port=40000,
            dst_port=443,
        )
    )


def test_tcp_flags_are_not_in_the_key() -> None:
    base = eth() / IP(src="1.1.1.1", dst="2.2.2.2") / STCP(sport=1, dport=2, flags="S")
    ack = eth() / IP(src="1.1.1.1", dst="2.2.2.2") / STCP(sport=1, dport=2, flags="A", seq=9)
    assert key(base) == key(ack)


@pytest.mark.parametrize("icmp_type", [c.ICMP_ECHO_REQUEST, c.ICMP_ECHO_REPLY])
def test_icmp_echo(icmp_type: int) -> None:
    pkt = eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SICMP(type=icmp_type, id=0x4242, seq=3)
    m = key(pkt / b"ping")
    assert m == expect(
        ethertype=c.ETH_TYPE_IPV4,
        nw_src=ip("10.0.0.1"),
        nw_dst=ip("10.0.0.2"),
        nw_proto=c.IP_PROTO_ICMP,
        nw_ttl=64,
        src_port=icmp_type,
        dst_port=0,
        icmp_id=0x4242,
    )
    assert (m.icmp_type, m.icmp_code, m.is_icmp_error) == (icmp_type, 0, False)


def test_icmp_sequence_numbers_share_a_key() -> None:
    def ping(seq: int) -> FlowMatch:
        return key(eth() / IP(src="1.0.0.1", dst="1.0.0.2") / SICMP(id=5, seq=seq))

    assert ping(1) == ping(2)


def test_icmp_error_quoting_udp() -> None:
    quoted = IPerror(src="10.0.0.2", dst="172.16.0.9", ttl=1) / UDPerror(sport=33434, dport=53)
    pkt = (
        eth()
        / IP(src="10.0.0.254", dst="10.0.0.2")
        / SICMP(type=c.ICMP_DEST_UNREACH, code=c.ICMP_UNREACH_PORT)
        / quoted
    )
    m = key(pkt)
    assert m == expect(
        ethertype=c.ETH_TYPE_IPV4,
        nw_src=ip("10.0.0.254"),
        nw_dst=ip("10.0.0.2"),
        nw_proto=c.IP_PROTO_ICMP,
        nw_ttl=64,
        src_port=c.ICMP_DEST_UNREACH,
        dst_port=c.ICMP_UNREACH_PORT,
        icmp_data_src=ip("10.0.0.2"),
        icmp_data_dst=ip("172.16.0.9"),
        icmp_data_proto=c.IP_PROTO_UDP,
        icmp_data_src_port=33434,
        icmp_data_dst_port=53,
    )
    assert m.is_icmp_error
    assert m.icmp_data_src_ip == ipaddress.IPv4Address("10.0.0.2")
    assert m.icmp_data_dst_ip == ipaddress.IPv4Address("172.16.0.9")


def test_icmp_error_quoting_tcp_with_only_eight_bytes() -> None:
    quoted = bytes(IPerror(src="1.2.3.4", dst="5.6.7.8") / TCPerror(sport=1000, dport=22))[:28]
    pkt = eth() / IP(src="9.9.9.9", dst="1.2.3.4") / SICMP(type=c.ICMP_TIME_EXCEEDED) / quoted
    m = key(pkt)
    assert (m.icmp_data_src, m.icmp_data_dst, m.icmp_data_proto) == (
        ip("1.2.3.4"),
        ip("5.6.7.8"),
        c.IP_PROTO_TCP,
    )
    assert (m.icmp_data_src_port, m.icmp_data_dst_port) == (1000, 22)


def test_icmp_error_quoting_an_echo_carries_its_id_as_both_ports() -> None:
    quoted = IPerror(src="1.2.3.4", dst="5.6.7.8") / ICMPerror(type=8, id=999)
    pkt = eth() / IP(src="9.9.9.9", dst="1.2.3.4") / SICMP(type=c.ICMP_TIME_EXCEEDED) / quoted
    m = key(pkt)
    assert (m.icmp_data_proto, m.icmp_data_src_port, m.icmp_data_dst_port) == (1, 999, 999)
    assert m.icmp_id == 0


def test_icmp_error_with_truncated_quote_is_malformed() -> None:
    quoted = bytes(IPerror(src="1.2.3.4", dst="5.6.7.8") / UDPerror())[:12]
    pkt = eth() / IP(src="9.9.9.9", dst="1.2.3.4") / SICMP(type=c.ICMP_DEST_UNREACH) / quoted
    with pytest.raises(MalformedPacket, match="ICMP"):
        key(pkt)


def test_arp_uses_sender_and_target_ips_and_the_opcode() -> None:
    pkt = eth() / SARP(op=2, hwsrc=MAC_A, psrc="10.0.0.1", hwdst=MAC_B, pdst="10.0.0.2")
    m = key(pkt)
    assert m == expect(
        ethertype=c.ETH_TYPE_ARP,
        nw_src=ip("10.0.0.1"),
        nw_dst=ip("10.0.0.2"),
        nw_proto=c.ARP_OP_REPLY,
    )
    assert m.ip_version == 4
    assert m.nw_src_ip == ipaddress.IPv4Address("10.0.0.1")
    assert m.icmp_type is None  # opcode 1 is not ICMP


def test_arp_of_another_address_shape_has_only_l2_fields() -> None:
    pkt = eth() / SARP(hwlen=8, plen=4, hwsrc="00" * 8, hwdst="00" * 8)
    assert key(pkt) == expect(ethertype=c.ETH_TYPE_ARP)


def test_ipv6_udp() -> None:
    pkt = (
        eth()
        / SIPv6(src="2001:db8::1", dst="2001:db8::2", tc=0x28, hlim=9, fl=12345)
        / SUDP(sport=546, dport=547)
    )
    m = key(pkt)
    assert m == expect(
        ethertype=c.ETH_TYPE_IPV6,
        nw_src=ip("2001:db8::1"),
        nw_dst=ip("2001:db8::2"),
        nw_proto=c.IP_PROTO_UDP,
        nw_tos=0x28,
        nw_ttl=9,
        src_port=546,
        dst_port=547,
    )
    assert m.ip_version == 6
    assert m.nw_dst_ip == ipaddress.IPv6Address("2001:db8::2")


def test_ipv6_extension_headers_are_walked_to_the_upper_layer() -> None:
    pkt = (
        eth()
        / SIPv6(src="fe80::1", dst="fe80::2")
        / IPv6ExtHdrHopByHop()
        / IPv6ExtHdrRouting()
        / IPv6ExtHdrDestOpt()
        / STCP(sport=7, dport=8)
    )
    m = key(pkt)
    assert (m.nw_proto, m.src_port, m.dst_port, m.frag_type) == (c.IP_PROTO_TCP, 7, 8, NONE)


@pytest.mark.parametrize(
    ("offset", "more", "frag_type", "ports"),
    [
        (0, 1, FIRST, (1111, 2222)),
        (0, 0, NONE, (1111, 2222)),  # an atomic fragment is a whole packet
        (185, 1, LATER, (0, 0)),
        (185, 0, LATER, (0, 0)),
    ],
)
def test_ipv6_fragments(offset: int, more: int, frag_type: int, ports: tuple[int, int]) -> None:
    pkt = (
        eth()
        / SIPv6(src="2001:db8::1", dst="2001:db8::2")
        / IPv6ExtHdrFragment(offset=offset, m=more, id=77)
        / SUDP(sport=1111, dport=2222)
        / (b"z" * 40)
    )
    m = key(pkt)
    assert (m.nw_proto, m.frag_type, (m.src_port, m.dst_port)) == (
        c.IP_PROTO_UDP,
        frag_type,
        ports,
    )


def test_ipv4_first_and_later_fragments() -> None:
    def frag(flags: str, offset: int) -> FlowMatch:
        ip4 = IP(src="10.1.1.1", dst="10.2.2.2", flags=flags, frag=offset, id=5)
        return key(eth() / ip4 / SUDP(sport=4000, dport=5000) / (b"d" * 64))

    first, later, last = frag("MF", 0), frag("MF", 9), frag("", 18)
    assert (first.frag_type, first.src_port, first.dst_port) == (FIRST, 4000, 5000)
    assert (later.frag_type, later.src_port, later.dst_port) == (LATER, 0, 0)
    assert last == later  # later fragments of one datagram share a key
    assert later.nw_proto == c.IP_PROTO_UDP
    assert frag("DF", 0).frag_type == NONE


def test_ipv4_first_fragment_too_short_for_ports_keeps_them_absent() -> None:
    pkt = eth() / IP(src="1.1.1.1", dst="2.2.2.2", proto=6, flags="MF") / b"\x00\x50"
    m = key(pkt)
    assert (m.frag_type, m.nw_proto, m.src_port, m.dst_port) == (FIRST, 6, 0, 0)


def test_later_icmp_fragment_has_no_type_or_code() -> None:
    pkt = eth() / IP(src="1.1.1.1", dst="2.2.2.2", proto=1, frag=100) / (b"\x08" * 16)
    m = key(pkt)
    assert (m.frag_type, m.src_port, m.dst_port, m.icmp_type) == (LATER, 0, 0, None)


def test_single_802_1q_tag() -> None:
    pkt = (
        Ether(src=MAC_A, dst=MAC_B)
        / Dot1Q(vlan=100, prio=5)
        / IP(src="10.0.0.1", dst="10.0.0.2")
        / SUDP(sport=1, dport=2)
    )
    m = key(pkt)
    assert m.vlan_ids == (100,)
    assert m.ethertype == c.ETH_TYPE_IPV4
    assert m.replace(vlan_ids=()) == key(eth() / pkt[IP])


def test_double_tag_outermost_first() -> None:
    pkt = (
        Ether(src=MAC_A, dst=MAC_B)
        / Dot1AD(vlan=3000)
        / Dot1Q(vlan=42)
        / SIPv6(src="::1", dst="::2")
        / SUDP(sport=9, dport=10)
    )
    m = key(pkt)
    assert (m.vlan_ids, m.ethertype, m.src_port) == ((3000, 42), c.ETH_TYPE_IPV6, 9)


def test_priority_tag_keeps_vlan_zero() -> None:
    assert key(eth() / Dot1Q(vlan=0, prio=3) / SARP()).vlan_ids == (0,)


def test_other_ethertypes_have_only_l2_fields() -> None:
    pkt = Ether(src=MAC_A, dst=MAC_B, type=0x88CC) / (b"\x02" * 46)
    assert key(pkt) == expect(ethertype=0x88CC)


def test_802_3_length_frames_share_the_none_ethertype() -> None:
    short = bytes(Ether(src=MAC_A, dst=MAC_B, type=46)) + b"\xaa" * 46
    longer = bytes(Ether(src=MAC_A, dst=MAC_B, type=100)) + b"\xaa" * 100
    assert key(short) == key(longer) == expect(ethertype=ETH_TYPE_NONE)


def test_vxlan_datagram_vni_becomes_the_tunnel_key() -> None:
    inner = eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SUDP(sport=1, dport=2)
    datagram = bytes(SVXLAN(vni=0xABCDE) / inner)
    m = FlowMatch.from_vxlan(datagram, in_port=3)
    assert m == key(inner, in_port=3, tunnel_key=0xABCDE)
    assert m.tunnel_key == 0xABCDE


def test_vxlan_without_the_i_flag_or_header_is_malformed() -> None:
    inner = bytes(eth() / IP() / SUDP())
    with pytest.raises(MalformedPacket, match="VXLAN"):
        FlowMatch.from_vxlan(bytes(SVXLAN(flags=0, vni=5)) + inner, 1)
    with pytest.raises(MalformedPacket, match="VXLAN"):
        FlowMatch.from_vxlan(b"\x08\x00\x00", 1)


def test_icmpv6_echo_and_error() -> None:
    echo = eth() / SIPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=31, seq=4)
    m = key(echo)
    assert (m.nw_proto, m.src_port, m.dst_port, m.icmp_id) == (58, 128, 0, 31)
    assert m.icmp_type == c.ICMPV6_ECHO_REQUEST
    error = (
        eth()
        / SIPv6(src="2001:db8::ff", dst="2001:db8::1")
        / ICMPv6DestUnreach(code=4)
        / IPerror6(src="2001:db8::1", dst="2001:db8::9")
        / UDPerror(sport=5000, dport=6000)
    )
    m = key(error)
    assert (m.src_port, m.dst_port) == (c.ICMPV6_DEST_UNREACH, 4)
    assert (m.icmp_data_src, m.icmp_data_dst, m.icmp_data_proto) == (
        ip("2001:db8::1"),
        ip("2001:db8::9"),
        c.IP_PROTO_UDP,
    )
    assert (m.icmp_data_src_port, m.icmp_data_dst_port) == (5000, 6000)
    assert m.icmp_data_dst_ip == ipaddress.IPv6Address("2001:db8::9")


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00" * 13,
        bytes(Ether(type=0x8100)) + b"\x00\x05",  # VLAN tag cut short
        bytes(Ether(type=0x0800)) + b"\x45" + b"\x00" * 10,  # IPv4 header cut short
        bytes(Ether() / IP())[:-1],  # total length beyond the frame
        bytes(Ether() / IP(ihl=4)),  # IHL below 5
        bytes(Ether() / IP(version=5)),
        bytes(Ether() / IP() / STCP())[:-4],
        bytes(Ether() / IP(len=36) / STCP())[:50],  # TCP header cut short
        bytes(Ether() / IP(len=26) / SUDP())[:40],  # UDP header cut short
        bytes(Ether() / IP(len=26) / SICMP())[:40],  # ICMP header cut short
        bytes(Ether() / SIPv6())[:50],
        bytes(Ether() / SIPv6(version=4)),
        bytes(Ether() / SIPv6() / IPv6ExtHdrHopByHop())[:-2],
        bytes(Ether() / SIPv6(plen=6) / IPv6ExtHdrHopByHop())[:-2],  # extension cut short
        bytes(Ether() / SIPv6(plen=4) / SUDP())[:58],
        bytes(Ether() / SIPv6() / ICMPv6DestUnreach() / IPerror6())[:-1],  # quote cut short
        bytes(Ether() / SARP())[:30],
    ],
)
def test_truncated_or_inconsistent_headers_are_malformed(frame: bytes) -> None:
    with pytest.raises(MalformedPacket):
        match_frame(frame, 1)
    with pytest.raises(MalformedPacket):
        parse(frame)  # the codec refuses them too


def test_bytes_bytearray_and_memoryview_give_the_same_key() -> None:
    frame = bytes(eth() / IP(src="1.1.1.1", dst="2.2.2.2") / STCP(sport=3, dport=4))
    tagged = bytes(eth() / Dot1Q(vlan=9) / IP() / STCP())
    for f in (frame, tagged):
        m = match_frame(f, 1)
        assert match_frame(bytearray(f), 1) == m
        assert match_frame(memoryview(f), 1) == m
        assert match_frame(b"\xee" * 5 + f, 1, offset=5) == m


# ---------------------------------------------------------------------------------
# Key behaviour: hashing, equality, derived matches, rendering
# ---------------------------------------------------------------------------------


def test_equal_frames_give_equal_hashable_keys() -> None:
    pkt = eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SUDP(sport=1, dport=2)
    a, b = key(pkt / b"one"), key(pkt / b"two, longer")
    assert a == b
    assert hash(a) == hash(b)
    assert a is not b
    table = {a: "flow"}
    assert table[b] == "flow"
    assert a == expect(**a._asdict())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("in_port", 8),
        ("tunnel_key", 1),
        ("eth_src", mac("02:00:00:00:00:99")),
        ("eth_dst", mac("02:00:00:00:00:99")),
        ("ethertype", c.ETH_TYPE_IPV6),
        ("vlan_ids", (1,)),
        ("nw_src", 1),
        ("nw_dst", 1),
        ("nw_proto", 6),
        ("nw_tos", 4),
        ("nw_ttl", 63),
        ("frag_type", FIRST),
        ("src_port", 9),
        ("dst_port", 9),
        ("icmp_id", 9),
        ("icmp_data_src", 9),
        ("icmp_data_dst", 9),
        ("icmp_data_proto", 9),
        ("icmp_data_src_port", 9),
        ("icmp_data_dst_port", 9),
    ],
)
def test_every_field_takes_part_in_equality(field: str, value: object) -> None:
    m = key(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SUDP(sport=1, dport=2))
    changed = m.replace(**{field: value})
    assert changed != m
    assert getattr(changed, field) == value
    assert {m: 1, changed: 2}[changed] == 2


def test_replace_rewrites_like_nat_and_refuses_unknown_fields() -> None:
    m = key(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / STCP(sport=1234, dport=80))
    snat = m.replace(nw_src=ip("192.0.2.1"), src_port=61000)
    assert (snat.nw_src, snat.src_port, snat.nw_dst, snat.dst_port) == (
        ip("192.0.2.1"),
        61000,
        m.nw_dst,
        80,
    )
    assert isinstance(snat, FlowMatch)
    with pytest.raises(ValueError, match="nw_bogus"):
        m.replace(nw_bogus=1)


def test_reversed_is_the_reply_key() -> None:
    request = key(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / STCP(sport=1234, dport=80))
    reply = key(
        Ether(src=MAC_B, dst=MAC_A)
        / IP(src="10.0.0.2", dst="10.0.0.1")
        / STCP(sport=80, dport=1234)
    )
    assert request.reversed() == reply
    assert request.reversed().reversed() == request


def test_reversed_turns_echo_requests_into_replies() -> None:
    request = key(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SICMP(type=8, id=7))
    reply = key(
        Ether(src=MAC_B, dst=MAC_A) / IP(src="10.0.0.2", dst="10.0.0.1") / SICMP(type=0, id=7)
    )
    assert request.reversed() == reply
    v6 = key(eth() / SIPv6(src="::1", dst="::2") / ICMPv6EchoRequest(id=3))
    v6_reply = key(
        Ether(src=MAC_B, dst=MAC_A) / SIPv6(src="::2", dst="::1") / ICMPv6EchoReply(id=3)
    )
    assert v6.reversed() == v6_reply


def test_reversed_arp_keeps_the_opcode() -> None:
    m = key(eth() / SARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2"))
    r = m.reversed()
    assert (r.nw_src, r.nw_dst, r.nw_proto) == (ip("10.0.0.2"), ip("10.0.0.1"), 1)


def test_str_renders_for_humans() -> None:
    udp = key(eth() / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2") / SUDP(sport=1, dport=2))
    assert str(udp) == (
        "in_port=7 eth 02:00:00:00:00:0a > 02:00:00:00:00:0b vlan=5 "
        "ipv4 10.0.0.1 > 10.0.0.2 proto=udp tos=0x00 ttl=64 ports 1 > 2"
    )
    error = key(
        eth()
        / SIPv6(src="2001:db8::ff", dst="2001:db8::1")
        / ICMPv6PacketTooBig(mtu=1280)
        / IPerror6(src="2001:db8::1", dst="2001:db8::9")
        / STCP(sport=5, dport=6),
        tunnel_key=4,
    )
    assert str(error) == (
        "in_port=7 tunnel_key=4 eth 02:00:00:00:00:0a > 02:00:00:00:00:0b "
        "ipv6 2001:db8::ff > 2001:db8::1 proto=icmpv6 tos=0x00 ttl=64 type=2 code=0 "
        "quoting tcp 2001:db8::1:5 > 2001:db8::9:6"
    )
    arp = key(eth() / SARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2"))
    assert str(arp).endswith("arp op=1 10.0.0.1 > 10.0.0.2")
    later = key(eth() / IP(frag=3, proto=47) / (b"x" * 8))
    assert str(later).endswith("proto=47 tos=0x00 ttl=64 frag=later")
    assert str(FlowMatch(ethertype=0x88CC)).endswith("type=0x88cc")


def test_non_ip_keys_have_no_ip_views() -> None:
    m = FlowMatch(ethertype=0x88CC)
    assert (m.ip_version, m.nw_src_ip, m.nw_dst_ip, m.icmp_data_src_ip) == (None,) * 4


# ---------------------------------------------------------------------------------
# Codec and scapy agree
# ---------------------------------------------------------------------------------

A4, B4 = ipv4_from_str("10.0.0.1"), ipv4_from_str("10.0.0.2")
A6, B6 = ipv6_from_str("2001:db8::1"), ipv6_from_str("2001:db8::2")
MA, MB = mac(MAC_A), mac(MAC_B)

SAME_PACKETS = [
    (
        Ethernet(MB, MA, c.ETH_TYPE_IPV4, IPv4(A4, B4, 17, UDP(5353, 53, b"q"), ttl=9, tos=4)),
        eth()
        / IP(src="10.0.0.1", dst="10.0.0.2", ttl=9, tos=4)
        / SUDP(sport=5353, dport=53)
        / b"q",
    ),
    (
        Ethernet(MB, MA, c.ETH_TYPE_IPV4, IPv4(A4, B4, 6, TCP(1, 2, flags=c.TCP_SYN))),
        eth() / IP(src="10.0.0.1", dst="10.0.0.2") / STCP(sport=1, dport=2, flags="S"),
    ),
    (
        Ethernet(MB, MA, c.ETH_TYPE_IPV4, IPv4(A4, B4, 1, ICMP(8, 0, 0x00070001, b"hi"))),
        eth() / IP(src="10.0.0.1", dst="10.0.0.2") / SICMP(type=8, id=7, seq=1) / b"hi",
    ),
    (
        Ethernet(
            MB,
            MA,
            c.ETH_TYPE_IPV4,
            IPv4(
                B4, A4, 1, ICMP(3, 3, 0, ICMPQuote(IPv4(A4, B4, 17, UDP(9, 10).serialize(0)), 28))
            ),
        ),
        eth()
        / IP(src="10.0.0.2", dst="10.0.0.1")
        / SICMP(type=3, code=3)
        / IPerror(src="10.0.0.1", dst="10.0.0.2", proto=17)
        / UDPerror(sport=9, dport=10),
    ),
    (
        Ethernet(MB, MA, c.ETH_TYPE_ARP, ARP(1, MA, A4, b"\0" * 6, B4)),
        eth()
        / SARP(op=1, hwsrc=MAC_A, psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.2"),
    ),
    (
        Ethernet(
            MB, MA, c.ETH_TYPE_IPV6, IPv6(A6, B6, 17, UDP(1, 2), hop_limit=5, traffic_class=8)
        ),
        eth() / SIPv6(src="2001:db8::1", dst="2001:db8::2", hlim=5, tc=8) / SUDP(sport=1, dport=2),
    ),
    (
        Ethernet(
            MB,
            MA,
            c.ETH_TYPE_IPV6,
            IPv6(A6, B6, 17, b"\x00" * 16, extensions=(IPv6Fragment(5, offset=0, more=True),)),
        ),
        eth()
        / SIPv6(src="2001:db8::1", dst="2001:db8::2")
        / IPv6ExtHdrFragment(nh=17, id=5, m=1)
        / Raw(b"\x00" * 16),
    ),
    (
        Ethernet(
            MB,
            MA,
            c.ETH_TYPE_IPV6,
            IPv6(A6, B6, 58, ICMPv6(128, 0, 0x00030004)),
            (VlanTag(10, tpid=c.ETH_TYPE_QINQ), VlanTag(20)),
        ),
        eth()
        / Dot1AD(vlan=10)
        / Dot1Q(vlan=20)
        / SIPv6(src="2001:db8::1", dst="2001:db8::2")
        / ICMPv6EchoRequest(id=3, seq=4),
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), SAME_PACKETS)
def test_codec_serialized_frames_match_scapy_built_ones(ours: Ethernet, theirs: Packet) -> None:
    assert match_frame(ours.serialize(), 2) == match_frame(bytes(theirs), 2)


def scapy_oracle(frame: bytes, in_port: int) -> FlowMatch:
    """The key, derived from scapy's dissection of `frame` alone."""
    e = Ether(frame)
    layer = e.payload
    vlans = []
    ethertype = e.type
    while isinstance(layer, Dot1Q):
        vlans.append(layer.vlan)
        ethertype = layer.type
        layer = layer.payload
    f: dict[str, Any] = {
        "in_port": in_port,
        "eth_src": mac(e.src),
        "eth_dst": mac(e.dst),
        "ethertype": ethertype,
        "vlan_ids": tuple(vlans),
    }
    if isinstance(layer, SARP):
        f |= {"nw_src": ip(layer.psrc), "nw_dst": ip(layer.pdst), "nw_proto": layer.op}
    elif isinstance(layer, IP):
        ftype = LATER if layer.frag else FIRST if layer.flags.MF else NONE
        f |= {"nw_src": ip(layer.src), "nw_dst": ip(layer.dst), "nw_proto": layer.proto}
        f |= {"nw_tos": layer.tos, "nw_ttl": layer.ttl, "frag_type": ftype}
        layer = layer.payload
    elif isinstance(layer, SIPv6):
        f |= {"nw_src": ip(layer.src), "nw_dst": ip(layer.dst), "nw_tos": layer.tc}
        f |= {"nw_ttl": layer.hlim}
        nh = layer.nh
        layer = layer.payload
        ftype = NONE
        extensions = (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment)
        while isinstance(layer, extensions):
            if isinstance(layer, IPv6ExtHdrFragment):
                if layer.offset:
                    ftype = LATER
                elif layer.m and ftype == NONE:
                    ftype = FIRST
            nh = layer.nh
            layer = layer.payload
        f |= {"nw_proto": nh, "frag_type": ftype}
    if f.get("frag_type") == LATER:
        return FlowMatch(**f)
    if isinstance(layer, (STCP, SUDP)) and not isinstance(layer, (TCPerror, UDPerror)):
        f |= {"src_port": layer.sport, "dst_port": layer.dport}
    elif isinstance(layer, SICMP) or type(layer).__name__.startswith("ICMPv6"):
        f |= {"src_port": layer.type, "dst_port": layer.code}
        v6_echo = isinstance(layer, (ICMPv6EchoRequest, ICMPv6EchoReply))
        if v6_echo or (isinstance(layer, SICMP) and layer.type in (0, 8)):
            f["icmp_id"] = layer.id
        quoted = layer.payload
        if isinstance(quoted, (IPerror, IPerror6)) and f["frag_type"] == NONE:
            version4 = isinstance(quoted, IPerror)
            f |= {"icmp_data_src": ip(quoted.src), "icmp_data_dst": ip(quoted.dst)}
            f["icmp_data_proto"] = quoted.proto if version4 else quoted.nh
            inner = quoted.payload
            if isinstance(inner, (TCPerror, UDPerror)):
                f |= {"icmp_data_src_port": inner.sport, "icmp_data_dst_port": inner.dport}
            elif isinstance(inner, ICMPerror) and inner.type in (0, 8):
                f |= {"icmp_data_src_port": inner.id, "icmp_data_dst_port": inner.id}
    return FlowMatch(**f)


u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
v4 = st.integers(0, 0xFFFF_FFFF).map(lambda n: str(ipaddress.IPv4Address(n)))
v6 = st.integers(0, (1 << 128) - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
macs = st.binary(min_size=6, max_size=6).map(lambda b: b.hex(":"))
payloads = st.binary(max_size=40)

l4s = st.one_of(
    st.builds(lambda s, d, p: SUDP(sport=s, dport=d) / p, u16, u16, payloads),
    st.builds(lambda s, d, p: STCP(sport=s, dport=d) / p, u16, u16, payloads),
)
v4_quotes = st.builds(
    lambda s, d, inner: IPerror(src=s, dst=d) / inner,
    v4,
    v4,
    st.one_of(
        st.builds(lambda s, d: UDPerror(sport=s, dport=d), u16, u16),
        st.builds(lambda s, d: TCPerror(sport=s, dport=d), u16, u16),
        st.builds(lambda t, i: ICMPerror(type=t, id=i), st.sampled_from([0, 8]), u16),
    ),
)
icmps = st.one_of(
    st.builds(lambda t, i, s: SICMP(type=t, id=i, seq=s), st.sampled_from([0, 8]), u16, u16),
    st.builds(
        lambda t, code, q: SICMP(type=t, code=code) / q,
        st.sampled_from(sorted(c.ICMP_ERROR_TYPES)),
        u8,
        v4_quotes,
    ),
)
ipv4_packets = st.builds(
    lambda s, d, tos, ttl, frag, body: (
        IP(src=s, dst=d, tos=tos, ttl=ttl, flags=frag[0], frag=frag[1]) / body
    ),
    v4,
    v4,
    u8,
    u8,
    st.sampled_from([(0, 0), (1, 0), (2, 0), (1, 7), (0, 100)]),  # DF/MF, offset
    st.one_of(l4s, icmps),
)
icmpv6s = st.one_of(
    st.builds(lambda i: ICMPv6EchoRequest(id=i), u16),
    st.builds(lambda i: ICMPv6EchoReply(id=i), u16),
    st.builds(
        lambda cls, s, d, inner: cls() / IPerror6(src=s, dst=d) / inner,
        st.sampled_from([ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded]),
        v6,
        v6,
        st.builds(lambda s, d: UDPerror(sport=s, dport=d), u16, u16),
    ),
)
ipv6_packets = st.builds(
    lambda s, d, tc, hlim, exts, body: functools.reduce(
        operator.truediv, [SIPv6(src=s, dst=d, tc=tc, hlim=hlim), *exts, body]
    ),
    v6,
    v6,
    u8,
    u8,
    st.lists(
        st.one_of(
            st.builds(IPv6ExtHdrHopByHop),
            st.builds(IPv6ExtHdrDestOpt),
            st.builds(
                lambda o, m: IPv6ExtHdrFragment(offset=o, m=m),
                st.sampled_from([0, 9]),
                st.integers(0, 1),
            ),
        ),
        max_size=2,
    ),
    st.one_of(l4s, icmpv6s),
)
arps = st.builds(lambda op, s, d: SARP(op=op, psrc=s, pdst=d), u16, v4, v4)
frames = st.builds(
    lambda src, dst, tags, l3: _tagged(Ether(src=src, dst=dst), tags) / l3,
    macs,
    macs,
    st.lists(st.integers(0, 0xFFF), max_size=2),
    st.one_of(ipv4_packets, ipv6_packets, arps),
)


def _tagged(e: Ether, vids: list[int]) -> Packet:
    out: Packet = e
    for i, vid in enumerate(vids):
        out = out / (Dot1AD(vlan=vid) if i < len(vids) - 1 else Dot1Q(vlan=vid))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.integers(0, 0xFFFF))
def test_every_field_agrees_with_scapys_dissection(pkt: Packet, in_port: int) -> None:
    frame = bytes(pkt)
    assert match_frame(frame, in_port) == scapy_oracle(frame, in_port)


def codec_oracle(e: Ethernet, in_port: int) -> FlowMatch:
    """The key, derived from the codec's decoded headers."""
    et = e.ethertype if e.ethertype >= c.ETH_TYPE_MIN else ETH_TYPE_NONE
    f: dict[str, Any] = {"in_port": in_port, "eth_src": e.src, "eth_dst": e.dst}
    f |= {"ethertype": et, "vlan_ids": tuple(t.vid for t in e.vlans)}
    p = e.payload
    if isinstance(p, ARP):
        return FlowMatch(**f, nw_src=p.spa, nw_dst=p.tpa, nw_proto=p.op)
    if isinstance(p, IPv4):
        ftype = LATER if p.frag_offset else FIRST if p.mf else NONE
        f |= {"nw_src": p.src, "nw_dst": p.dst, "nw_proto": p.proto, "nw_tos": p.tos}
        f |= {"nw_ttl": p.ttl, "frag_type": ftype}
        icmp_proto = c.IP_PROTO_ICMP
    elif isinstance(p, IPv6):
        ftype = NONE
        f |= {"nw_src": p.src, "nw_dst": p.dst, "nw_proto": p.proto, "nw_tos": p.traffic_class}
        f["nw_ttl"] = p.hop_limit
        icmp_proto = c.IP_PROTO_ICMPV6
    else:
        return FlowMatch(**f)
    echo_types = (0, 8) if icmp_proto == c.IP_PROTO_ICMP else (128, 129)
    if isinstance(p, IPv6):
        # The key stops at a fragment header with an offset: what follows is data
        # (the codec walks on through it as if it were headers).
        exts = p.extensions
        for i, x in enumerate(exts):
            if isinstance(x, IPv6Fragment) and x.offset:
                f["nw_proto"] = exts[i + 1].kind if i + 1 < len(exts) else p.proto
                return FlowMatch(**f, frag_type=LATER)
        more = any(isinstance(x, IPv6Fragment) and x.more for x in exts)
        ftype = FIRST if more else NONE
        f["frag_type"] = ftype
    if ftype == LATER:
        return FlowMatch(**f)
    ports = p.l4_ports()
    if ports is not None:
        f["src_port"], f["dst_port"] = ports
    body = p.payload
    if isinstance(body, (ICMP, ICMPv6)):
        f |= {"src_port": body.type, "dst_port": body.code}
        if body.type in echo_types:
            f["icmp_id"] = body.ident
        quote = body.payload
        if isinstance(quote, (ICMPQuote, ICMPv6Quote)):
            f |= {"icmp_data_src": quote.src, "icmp_data_dst": quote.dst}
            f["icmp_data_proto"] = quote.proto
            later = isinstance(quote, ICMPQuote) and quote.ip.frag_offset
            ids = None if later else quote.ports()
            if ids is None and not later:
                data = quote.data
                if quote.proto == icmp_proto and len(data) >= 6 and data[0] in echo_types:
                    echo_id = int.from_bytes(data[4:6], "big")
                    ids = (echo_id, echo_id)
            if ids is not None:
                f["icmp_data_src_port"], f["icmp_data_dst_port"] = ids
    elif ftype == FIRST and p.proto == icmp_proto and isinstance(body, bytes) and len(body) >= 8:
        f |= {"src_port": body[0], "dst_port": body[1]}
        if body[0] in echo_types:
            f["icmp_id"] = int.from_bytes(body[4:6], "big")
    return FlowMatch(**f)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ps.ethernets(depth=0))
def test_every_codec_built_frame_has_the_codecs_key(e: Ethernet) -> None:
    frame = e.serialize()
    assert match_frame(frame, 3) == codec_oracle(parse(frame), 3)


# ---------------------------------------------------------------------------------
# Bad bytes: MalformedPacket and nothing else
# ---------------------------------------------------------------------------------


def match_or_malformed(frame: bytes) -> FlowMatch | None:
    try:
        return match_frame(frame, 1)
    except MalformedPacket:
        return None


@settings(max_examples=1000)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_malformed_packet(frame: bytes) -> None:
    match_or_malformed(frame)


@given(
    st.sampled_from([0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8]),
    st.binary(max_size=120),
)
def test_random_bytes_behind_a_known_ethertype_raise_only_malformed_packet(
    ethertype: int, body: bytes
) -> None:
    match_or_malformed(b"\x02" * 12 + ethertype.to_bytes(2, "big") + body)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ps.ethernets(depth=0), st.data())
def test_corrupted_frames_raise_only_malformed_packet_and_agree_with_parse(
    e: Ethernet, data: st.DataObject
) -> None:
    """Cut a valid frame short and overwrite one byte: only MalformedPacket may escape,
    and whenever the codec still parses the frame, the key agrees with it."""
    frame = bytearray(e.serialize())
    cut = data.draw(st.integers(0, len(frame)), label="cut")
    del frame[cut:]
    if frame:
        at = data.draw(st.integers(0, len(frame) - 1), label="at")
        frame[at] = data.draw(u8, label="value")
    m = match_or_malformed(bytes(frame))
    try:
        decoded = parse(bytes(frame), verify_checksums=False)
    except MalformedPacket:
        return
    assert m == codec_oracle(decoded, 1)
