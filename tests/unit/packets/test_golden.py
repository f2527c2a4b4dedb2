"""Golden packets: hand-annotated wire bytes for every header, decoded field by field
and re-encoded byte for byte. The checksums in them were computed by scapy."""

from midonet.packets import (
    ARP,
    GRE,
    ICMP,
    TCP,
    UDP,
    VXLAN,
    ChecksumStatus,
    Ethernet,
    ICMPQuote,
    ICMPv6,
    ICMPv6Quote,
    IPv4,
    IPv6,
    IPv6Ext,
    IPv6Fragment,
    VlanTag,
    ipv4_from_str,
    ipv6_from_str,
    mac_from_str,
    parse,
)

VALID = ChecksumStatus.VALID
M1 = mac_from_str("02:00:00:00:00:01")
M2 = mac_from_str("02:00:00:00:00:02")
A1, A2 = ipv4_from_str("10.0.0.1"), ipv4_from_str("10.0.0.2")
B1, B2 = ipv6_from_str("2001:db8::1"), ipv6_from_str("2001:db8::2")


def golden(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts))


def roundtrip(wire: bytes) -> Ethernet:
    frame = parse(wire)
    assert frame.serialize() == wire
    return frame


def test_qinq_ipv4_udp() -> None:
    wire = golden(
        "020000000002 020000000001 88a8",  # dst, src, S-tag follows
        "6064 8100",  # PCP 3, VID 100; C-tag follows
        "00c8 0800",  # VID 200; IPv4
        "45 00 001e 1234 4000 40 11 1499 0a000001 0a000002",  # DF, TTL 64, UDP
        "1388 0035 000a 6fb1",  # 5000 -> 53, length 10
        "6869",  # "hi"
    )
    frame = roundtrip(wire)
    assert (frame.dst, frame.src, frame.ethertype) == (M2, M1, 0x0800)
    assert frame.vlans == (VlanTag(100, 3, 0, 0x88A8), VlanTag(200, 0, 0, 0x8100))
    ip = frame.payload
    assert isinstance(ip, IPv4)
    assert (ip.src, ip.dst, ip.proto, ip.ttl, ip.ident) == (A1, A2, 17, 64, 0x1234)
    assert ip.df and not ip.mf and not ip.is_fragment
    assert (ip.checksum, ip.checksum_status) == (0x1499, VALID)
    assert ip.payload == UDP(5000, 53, b"hi")
    assert ip.payload.checksum_status is VALID


def test_arp_request_with_padding() -> None:
    wire = golden(
        "ffffffffffff 020000000001 0806",
        "0001 0800 06 04 0001",  # Ethernet/IPv4, request
        "020000000001 c0a80101",  # sender
        "000000000000 c0a80102",  # target
        "00" * 18,  # padding to the 60-byte minimum
    )
    frame = roundtrip(wire)
    assert frame.payload == ARP(
        1, M1, ipv4_from_str("192.168.1.1"), b"\0" * 6, ipv4_from_str("192.168.1.2")
    )
    assert frame.trailer == b"\0" * 18


def test_ipv4_options_tcp_options() -> None:
    wire = golden(
        "020000000002 020000000001 0800",
        "46 00 0030 0001 0000 40 06 d1c0 0a000001 0a000002",  # IHL 6
        "94040000",  # router alert
        "9c40 0050 00000001 00000000 6002 ffff e792 0000",  # SYN, data offset 6
        "020405b4",  # MSS 1460
    )
    ip = roundtrip(wire).payload
    assert isinstance(ip, IPv4)
    assert ip.options == bytes.fromhex("94040000")
    assert ip.header_length == 24
    assert ip.payload == TCP(40000, 80, 1, 0, 0x002, 0xFFFF, 0, bytes.fromhex("020405b4"))
    assert (ip.payload.checksum, ip.payload.checksum_status) == (0xE792, VALID)


def test_icmp_echo_request() -> None:
    wire = golden(
        "020000000002 020000000001 0800",
        "45 00 0020 0002 0000 40 01 66d9 0a000001 0a000002",
        "08 00 18b7 0077 0001",  # echo request, id 0x77, seq 1
        "70696e67",  # "ping"
    )
    icmp = roundtrip(wire).payload.payload
    assert icmp == ICMP(8, 0, 0x00770001, b"ping")
    assert (icmp.ident, icmp.seq, icmp.checksum_status) == (0x77, 1, VALID)


def test_icmp_frag_needed_quotes_the_datagram() -> None:
    wire = golden(
        "020000000001 020000000002 0800",
        "45 00 0038 0003 0000 40 01 65c4 0a0000fe 0a000001",
        "03 04 1af6 0000 0578",  # unreachable, frag needed, next-hop MTU 1400
        "45 00 05dc 0009 4000 3f 11 2103 0a000001 0a000105",  # the original, 1500 bytes
        "1388 1770 05c8 abcd",  # its UDP header: 5000 -> 6000
    )
    icmp = roundtrip(wire).payload.payload
    assert isinstance(icmp, ICMP)
    assert (icmp.type, icmp.code, icmp.next_hop_mtu, icmp.is_error) == (3, 4, 1400, True)
    quote = icmp.payload
    assert isinstance(quote, ICMPQuote)
    assert (quote.src, quote.dst, quote.proto) == (A1, ipv4_from_str("10.0.1.5"), 17)
    assert quote.total_length == 1500
    assert quote.ip.df and quote.ip.ttl == 63
    assert quote.ports() == (5000, 6000)
    assert quote.ip.checksum_status is VALID


def test_icmp_time_exceeded_quotes_tcp() -> None:
    wire = golden(
        "020000000001 020000000002 0800",
        "45 00 0038 0004 0000 40 01 65c3 0a0000fe 0a000001",
        "0b 00 5703 00000000",  # time exceeded in transit
        "45 00 003c 000a 0000 01 06 9fa2 0a000001 08080808",  # TTL 1, TCP
        "9c40 01bb 00000001",  # ports 40000 -> 443, sequence number
    )
    icmp = roundtrip(wire).payload.payload
    assert isinstance(icmp, ICMP) and isinstance(icmp.payload, ICMPQuote)
    assert icmp.next_hop_mtu is None
    assert icmp.payload.ports() == (40000, 443)
    assert icmp.payload.dst == ipv4_from_str("8.8.8.8")


def test_ipv6_first_fragment_stays_raw() -> None:
    wire = golden(
        "020000000002 020000000001 86dd",
        "60000000 0014 2c 40",  # payload 20 bytes, fragment header next
        "20010db8000000000000000000000001 20010db8000000000000000000000002",
        "11 00 0001 abcdef01",  # UDP next, offset 0, more fragments
        "1388 0017 04d2 abcd 64617461",  # the start of the UDP datagram
    )
    ip = roundtrip(wire).payload
    assert isinstance(ip, IPv6)
    assert (ip.src, ip.dst, ip.proto, ip.next_header) == (B1, B2, 17, 44)
    assert ip.extensions == (IPv6Fragment(0xABCDEF01, 0, True),)
    assert ip.is_fragment
    assert ip.payload == bytes.fromhex("1388001704d2abcd64617461")
    assert ip.l4_ports() == (5000, 23)


def test_icmpv6_echo_request() -> None:
    wire = golden(
        "020000000002 020000000001 86dd",
        "60000000 000a 3a 40",
        "20010db8000000000000000000000001 20010db8000000000000000000000002",
        "80 00 adc6 0042 0007 7636",  # echo request, id 0x42, seq 7, "v6"
    )
    msg = roundtrip(wire).payload.payload
    assert msg == ICMPv6(128, 0, 0x00420007, b"v6")
    assert (msg.ident, msg.seq, msg.checksum_status) == (0x42, 7, VALID)


def test_icmpv6_packet_too_big() -> None:
    wire = golden(
        "020000000001 020000000002 86dd",
        "60000000 0038 3a 40",
        "20010db80000000000000000000000ff 20010db8000000000000000000000001",
        "02 00 b0d7 00000500",  # packet too big, MTU 1280
        "60000000 0578 11 3f",  # the original: 1400 bytes of UDP
        "20010db8000000000000000000000001 20010db8000000000000000000000002",
        "1388 0017 0578 0000",
    )
    msg = roundtrip(wire).payload.payload
    assert isinstance(msg, ICMPv6)
    assert (msg.type, msg.mtu, msg.is_error, msg.checksum_status) == (2, 1280, True, VALID)
    quote = msg.payload
    assert isinstance(quote, ICMPv6Quote)
    assert (quote.src, quote.dst, quote.proto, quote.payload_length) == (B1, B2, 17, 1400)
    assert quote.ports() == (5000, 23)


def test_vxlan_on_midonet_port() -> None:
    wire = golden(
        "020000000002 020000000001 0800",
        "45 00 004e 0005 0000 40 11 f946 c0a80001 c0a80002",
        "c000 1a15 003a 614f",  # 49152 -> 6677, MidoNet's VXLAN port
        "08 000000 001234 00",  # I flag, VNI 0x1234
        "aaaaaaaaaa02 aaaaaaaaaa01 0800",  # the tunnelled frame
        "45 00 001c 0006 0000 40 01 66d7 0a010001 0a010002",
        "00 00 fffd 0001 0001",  # echo reply
    )
    udp = roundtrip(wire).payload.payload
    assert isinstance(udp, UDP) and isinstance(udp.payload, VXLAN)
    assert (udp.dst_port, udp.payload.vni, udp.payload.flags) == (6677, 0x1234, 0x08)
    inner = udp.payload.payload
    assert inner.dst == mac_from_str("aa:aa:aa:aa:aa:02")
    assert inner.payload.payload == ICMP(0, 0, 0x00010001)


def test_gre_with_key() -> None:
    wire = golden(
        "020000000002 020000000001 0800",
        "45 00 0038 0007 0000 40 2f f93c c0a80001 c0a80002",
        "2000 0800 00000010",  # key present, IPv4, key 16
        "45 00 001c 0008 0000 40 01 66d3 0a020001 0a020002",
        "08 00 f7fb 0002 0002",
    )
    gre = roundtrip(wire).payload.payload
    assert isinstance(gre, GRE)
    assert (gre.protocol, gre.key, gre.seq, gre.checksum_present) == (0x0800, 16, None, False)
    assert gre.checksum_status is ChecksumStatus.NOT_CHECKED
    assert isinstance(gre.payload, IPv4)
    assert gre.payload.payload == ICMP(8, 0, 0x00020002)


def test_ipv6_hop_by_hop_then_tcp() -> None:
    wire = golden(
        "020000000002 020000000001 86dd",
        "60000000 001d 00 40",  # hop-by-hop options next
        "20010db8000000000000000000000001 20010db8000000000000000000000002",
        "06 00 05020000 0100",  # TCP next; router alert, PadN
        "9c40 01bb 00000064 000000c8 5018 03e8 3947 0000",  # PSH+ACK
        "78",
    )
    ip = roundtrip(wire).payload
    assert isinstance(ip, IPv6)
    assert ip.extensions == (IPv6Ext(0, bytes.fromhex("050200000100")),)
    assert (ip.next_header, ip.proto) == (0, 6)
    assert ip.payload == TCP(40000, 443, 100, 200, 0x018, 1000, payload=b"x")
    assert ip.payload.checksum_status is VALID
