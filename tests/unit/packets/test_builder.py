"""The one-call builders, checked byte for byte against the same packets from scapy."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers import inet, inet6, l2
from scapy.layers.vxlan import VXLAN as ScapyVXLAN

from midonet.errors import MalformedPacket
from midonet.packets import ICMP, UDP, ICMPQuote, IPv4, VlanTag, builder, parse
from midonet.packets import constants as c

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
ADDRS = {"src_mac": M1, "dst_mac": M2, "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2"}


def test_udp_frame() -> None:
    ours = builder.udp_frame(**ADDRS, src_port=5000, dst_port=53, payload=b"query").serialize()
    theirs = bytes(
        l2.Ether(src=M1, dst=M2)
        / inet.IP(src="10.0.0.1", dst="10.0.0.2", id=0)
        / inet.UDP(sport=5000, dport=53)
        / b"query"
    )
    assert ours == theirs


def test_udp_frame_with_vlan_tags() -> None:
    tags = (VlanTag(10, tpid=c.ETH_TYPE_QINQ), VlanTag(20, pcp=5))
    ours = builder.udp_frame(**ADDRS, src_port=1, dst_port=2, ttl=9, vlans=tags).serialize()
    theirs = bytes(
        l2.Ether(src=M1, dst=M2, type=c.ETH_TYPE_QINQ)
        / l2.Dot1AD(vlan=10)
        / l2.Dot1Q(vlan=20, prio=5)
        / inet.IP(src="10.0.0.1", dst="10.0.0.2", id=0, ttl=9)
        / inet.UDP(sport=1, dport=2)
    )
    assert ours == theirs


def test_tcp_frame() -> None:
    ours = builder.tcp_frame(
        **ADDRS, src_port=40000, dst_port=80, flags=c.TCP_SYN | c.TCP_ACK, seq=7, ack=9
    ).serialize()
    theirs = bytes(
        l2.Ether(src=M1, dst=M2)
        / inet.IP(src="10.0.0.1", dst="10.0.0.2", id=0)
        / inet.TCP(sport=40000, dport=80, flags="SA", seq=7, ack=9, window=0xFFFF)
    )
    assert ours == theirs


@pytest.mark.parametrize("reply", [False, True])
def test_icmp_echo_frame(reply: bool) -> None:
    ours = builder.icmp_echo_frame(**ADDRS, ident=3, seq=4, payload=b"abc", reply=reply)
    theirs = bytes(
        l2.Ether(src=M1, dst=M2)
        / inet.IP(src="10.0.0.1", dst="10.0.0.2", id=0)
        / inet.ICMP(type=0 if reply else 8, id=3, seq=4)
        / b"abc"
    )
    assert ours.serialize() == theirs


def test_icmpv6_echo_frame() -> None:
    ours = builder.icmpv6_echo_frame(
        src_mac=M1, dst_mac=M2, src_ip="2001:db8::1", dst_ip="2001:db8::2", ident=1, seq=2
    )
    theirs = bytes(
        l2.Ether(src=M1, dst=M2)
        / inet6.IPv6(src="2001:db8::1", dst="2001:db8::2")
        / inet6.ICMPv6EchoRequest(id=1, seq=2)
    )
    assert ours.serialize() == theirs


def test_arp_request_and_reply() -> None:
    request = builder.arp_request(sha=M1, spa="10.0.0.1", tpa="10.0.0.2")
    assert request.serialize() == bytes(
        l2.Ether(src=M1, dst="ff:ff:ff:ff:ff:ff")
        / l2.ARP(op=1, hwsrc=M1, psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.2")
    )
    reply = builder.arp_reply(sha=M2, spa="10.0.0.2", tha=M1, tpa="10.0.0.1")
    assert reply.serialize() == bytes(
        l2.Ether(src=M2, dst=M1)
        / l2.ARP(op=2, hwsrc=M2, psrc="10.0.0.2", hwdst=M1, pdst="10.0.0.1")
    )


def offending_packet() -> bytes:
    return bytes(
        inet.IP(src="10.0.0.1", dst="10.0.9.9", id=0x4242, ttl=1, flags="DF")
        / inet.UDP(sport=33434, dport=33435)
        / (b"x" * 32)
    )


def test_icmp_unreachable_quotes_header_and_eight_bytes() -> None:
    original = offending_packet()
    error = builder.icmp_unreachable(original, code=c.ICMP_UNREACH_PORT, src_ip="10.0.9.9")
    theirs = bytes(
        inet.IP(src="10.0.9.9", dst="10.0.0.1", id=0) / inet.ICMP(type=3, code=3) / original[:28]
    )
    assert error.serialize() == theirs


def test_icmp_frag_needed_carries_the_mtu() -> None:
    original = offending_packet()
    error = builder.icmp_unreachable(
        original, code=c.ICMP_UNREACH_FRAG_NEEDED, src_ip="10.0.0.254", mtu=1400
    )
    theirs = bytes(
        inet.IP(src="10.0.0.254", dst="10.0.0.1", id=0)
        / inet.ICMP(type=3, code=4, nexthopmtu=1400)
        / original[:28]
    )
    assert error.serialize() == theirs
    assert error.payload.next_hop_mtu == 1400


def test_icmp_time_exceeded_from_a_decoded_packet() -> None:
    original = IPv4.from_bytes(offending_packet())
    error = builder.icmp_time_exceeded(original, src_ip="10.0.0.254")
    theirs = bytes(
        inet.IP(src="10.0.0.254", dst="10.0.0.1", id=0)
        / inet.ICMP(type=11, code=0)
        / offending_packet()[:28]
    )
    assert error.serialize() == theirs
    quote = error.payload.payload
    assert isinstance(quote, ICMPQuote)
    assert quote.ports() == (33434, 33435)
    assert quote.total_length == len(offending_packet())


def test_icmp_error_admin_prohibited_with_longer_quote() -> None:
    error = builder.icmp_error(
        offending_packet(),
        icmp_type=c.ICMP_DEST_UNREACH,
        code=c.ICMP_UNREACH_ADMIN_PROHIBITED,
        src_ip="10.0.0.254",
        quote_bytes=20,
    )
    message = error.payload
    assert isinstance(message, ICMP) and isinstance(message.payload, ICMPQuote)
    assert (message.type, message.code) == (3, 13)
    assert message.payload.data == offending_packet()[20:40]


def test_icmp_error_refuses_what_is_not_ipv4() -> None:
    with pytest.raises(MalformedPacket, match="cannot quote the original"):
        builder.icmp_unreachable(b"\x60" + bytes(39), code=3, src_ip="10.0.0.254")


def test_vxlan_frame() -> None:
    inner = builder.icmp_echo_frame(**ADDRS)
    outer = builder.vxlan_frame(
        inner,
        src_mac="02:00:00:00:01:01",
        dst_mac="02:00:00:00:01:02",
        src_ip="192.168.0.1",
        dst_ip="192.168.0.2",
        vni=0x123,
        dst_port=c.VXLAN_PORT,
    )
    theirs = l2.Ether(outer.serialize())
    assert theirs[ScapyVXLAN].vni == 0x123
    assert bytes(theirs[ScapyVXLAN].payload) == inner.serialize()
    assert parse(outer.serialize()) == outer
    udp = outer.payload.payload
    assert isinstance(udp, UDP)
    assert 49152 <= udp.src_port < 65536


@given(st.binary(min_size=1, max_size=30))
def test_vxlan_source_port_follows_the_inner_frame(payload: bytes) -> None:
    inner = builder.udp_frame(**ADDRS, src_port=1, dst_port=2, payload=payload)
    outer_args = {
        "src_mac": M1,
        "dst_mac": M2,
        "src_ip": "192.168.0.1",
        "dst_ip": "192.168.0.2",
        "vni": 1,
    }
    first = builder.vxlan_frame(inner, **outer_args)
    again = builder.vxlan_frame(replace(inner), **outer_args)
    assert first == again  # same flow, same path


def test_addresses_in_every_form() -> None:
    assert builder.mac("02:00:00:00:00:01") == builder.mac(bytes.fromhex("020000000001"))
    assert builder.ip4("10.0.0.1") == builder.ip4(0x0A000001) == 0x0A000001
    assert builder.ip6("::1") == 1
    with pytest.raises(ValueError, match="6 bytes"):
        builder.mac(b"\x00")
