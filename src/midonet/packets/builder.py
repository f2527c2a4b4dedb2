"""One-call builders for the packets simulations and tests need most.

Every builder takes keyword arguments only, and accepts addresses in text form
("10.0.0.1", "02:00:00:00:00:01") as well as the codec's own (int, 6 bytes), so a
test reads like a packet description. Checksums and lengths are left to serialize.
"""

from __future__ import annotations

import ipaddress
import zlib
from dataclasses import replace
from typing import TypeAlias

from midonet.errors import MalformedPacket
from midonet.packets import ipv4
from midonet.packets.address import BROADCAST_MAC, ZERO_MAC, mac_from_str
from midonet.packets.arp import ARP
from midonet.packets.constants import (
    ARP_OP_REPLY,
    ARP_OP_REQUEST,
    ETH_TYPE_ARP,
    ETH_TYPE_IPV4,
    ETH_TYPE_IPV6,
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_TIME_EXCEEDED,
    ICMP_TIME_EXCEEDED_TTL,
    ICMP_UNREACH_FRAG_NEEDED,
    ICMPV6_ECHO_REPLY,
    ICMPV6_ECHO_REQUEST,
    IP_PROTO_ICMP,
    IP_PROTO_ICMPV6,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    TCP_SYN,
    VXLAN_PORT_MIDONET,
)
from midonet.packets.ethernet import Ethernet, VlanTag
from midonet.packets.icmp import ICMP, ICMPQuote
from midonet.packets.icmpv6 import ICMPv6
from midonet.packets.ipv4 import IPv4
from midonet.packets.ipv6 import IPv6
from midonet.packets.tcp import TCP
from midonet.packets.udp import UDP
from midonet.packets.vxlan import VXLAN

MacLike: TypeAlias = bytes | str
IPv4Like: TypeAlias = int | str | ipaddress.IPv4Address
IPv6Like: TypeAlias = int | str | ipaddress.IPv6Address
Vlans: TypeAlias = tuple[VlanTag, ...]

QUOTE_BYTES = 8  # of the offending datagram's payload an ICMP error carries (RFC 792)


def mac(value: MacLike) -> bytes:
    """A MAC in the codec's form: 6 bytes."""
    if isinstance(value, str):
        return mac_from_str(value)
    if len(value) != 6:
        raise ValueError(f"a MAC is 6 bytes, not {len(value)}")
    return bytes(value)


def ip4(value: IPv4Like) -> int:
    """An IPv4 address in the codec's form: an int."""
    return value if isinstance(value, int) else int(ipaddress.IPv4Address(value))


def ip6(value: IPv6Like) -> int:
    """An IPv6 address in the codec's form: an int."""
    return value if isinstance(value, int) else int(ipaddress.IPv6Address(value))


def ethernet(
    *, src_mac: MacLike, dst_mac: MacLike, payload: ARP | IPv4 | IPv6, vlans: Vlans = ()
) -> Ethernet:
    """Wrap an L3 packet in a frame, the ethertype following the payload's type."""
    if isinstance(payload, IPv4):
        ethertype = ETH_TYPE_IPV4
    elif isinstance(payload, IPv6):
        ethertype = ETH_TYPE_IPV6
    else:
        ethertype = ETH_TYPE_ARP
    return Ethernet(mac(dst_mac), mac(src_mac), ethertype, payload, vlans)


def udp_frame(
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: IPv4Like,
    dst_ip: IPv4Like,
    src_port: int,
    dst_port: int,
    payload: bytes = b"",
    ttl: int = 64,
    vlans: Vlans = (),
) -> Ethernet:
    """Ethernet / IPv4 / UDP."""
    ip = IPv4(ip4(src_ip), ip4(dst_ip), IP_PROTO_UDP, UDP(src_port, dst_port, payload), ttl)
    return ethernet(src_mac=src_mac, dst_mac=dst_mac, payload=ip, vlans=vlans)


def tcp_frame(
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: IPv4Like,
    dst_ip: IPv4Like,
    src_port: int,
    dst_port: int,
    flags: int = TCP_SYN,
    seq: int = 0,
    ack: int = 0,
    payload: bytes = b"",
    ttl: int = 64,
    vlans: Vlans = (),
) -> Ethernet:
    """Ethernet / IPv4 / TCP (a SYN unless `flags` says otherwise)."""
    segment = TCP(src_port, dst_port, seq, ack, flags, payload=payload)
    ip = IPv4(ip4(src_ip), ip4(dst_ip), IP_PROTO_TCP, segment, ttl)
    return ethernet(src_mac=src_mac, dst_mac=dst_mac, payload=ip, vlans=vlans)


def icmp_echo_frame(
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: IPv4Like,
    dst_ip: IPv4Like,
    ident: int = 0,
    seq: int = 0,
    payload: bytes = b"",
    reply: bool = False,
    ttl: int = 64,
    vlans: Vlans = (),
) -> Ethernet:
    """Ethernet / IPv4 / ICMP echo request (or reply)."""
    kind = ICMP_ECHO_REPLY if reply else ICMP_ECHO_REQUEST
    message = ICMP(kind, 0, ident << 16 | seq, payload)
    ip = IPv4(ip4(src_ip), ip4(dst_ip), IP_PROTO_ICMP, message, ttl)
    return ethernet(src_mac=src_mac, dst_mac=dst_mac, payload=ip, vlans=vlans)


def icmpv6_echo_frame(
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: IPv6Like,
    dst_ip: IPv6Like,
    ident: int = 0,
    seq: int = 0,
    payload: bytes = b"",
    reply: bool = False,
    hop_limit: int = 64,
    vlans: Vlans = (),
) -> Ethernet:
    """Ethernet / IPv6 / ICMPv6 echo request (or reply)."""
    kind = ICMPV6_ECHO_REPLY if reply else ICMPV6_ECHO_REQUEST
    message = ICMPv6(kind, 0, ident << 16 | seq, payload)
    ip = IPv6(ip6(src_ip), ip6(dst_ip), IP_PROTO_ICMPV6, message, hop_limit)
    return ethernet(src_mac=src_mac, dst_mac=dst_mac, payload=ip, vlans=vlans)


def arp_request(*, sha: MacLike, spa: IPv4Like, tpa: IPv4Like, vlans: Vlans = ()) -> Ethernet:
    """A broadcast "who has `tpa`? tell `spa`"."""
    message = ARP(ARP_OP_REQUEST, mac(sha), ip4(spa), ZERO_MAC, ip4(tpa))
    return ethernet(src_mac=sha, dst_mac=BROADCAST_MAC, payload=message, vlans=vlans)


def arp_reply(
    *, sha: MacLike, spa: IPv4Like, tha: MacLike, tpa: IPv4Like, vlans: Vlans = ()
) -> Ethernet:
    """ "`spa` is at `sha`", sent to the asker (`tha`, `tpa`)."""
    message = ARP(ARP_OP_REPLY, mac(sha), ip4(spa), mac(tha), ip4(tpa))
    return ethernet(src_mac=sha, dst_mac=tha, payload=message, vlans=vlans)


def icmp_error(
    original: bytes | IPv4,
    *,
    icmp_type: int,
    code: int,
    src_ip: IPv4Like,
    rest: int = 0,
    ttl: int = 64,
    quote_bytes: int = QUOTE_BYTES,
) -> IPv4:
    """The ICMP error a router sends about `original` (an IPv4 packet, as bytes or
    decoded): from `src_ip` back to the original's source, quoting its IP header and
    the first `quote_bytes` of its payload. Raises MalformedPacket if `original` is
    not an IPv4 packet. Whether an error may be sent at all (not about an ICMP error,
    a broadcast or a later fragment) is the caller's policy."""
    raw = original.serialize() if isinstance(original, IPv4) else bytes(original)
    try:
        quoted, total = ipv4.decode_quote(raw, 0, len(raw), False)
    except MalformedPacket as e:
        raise MalformedPacket("ICMP", f"cannot quote the original: {e.reason}") from None
    data = quoted.payload if isinstance(quoted.payload, bytes) else b""
    quote = ICMPQuote(replace(quoted, payload=data[:quote_bytes]), total)
    return IPv4(ip4(src_ip), quoted.src, IP_PROTO_ICMP, ICMP(icmp_type, code, rest, quote), ttl)


def icmp_unreachable(original: bytes | IPv4, *, code: int, src_ip: IPv4Like, mtu: int = 0) -> IPv4:
    """Destination unreachable; `mtu` is the next-hop MTU of a "fragmentation needed"
    (code 4) error."""
    rest = mtu & 0xFFFF if code == ICMP_UNREACH_FRAG_NEEDED else 0
    return icmp_error(original, icmp_type=ICMP_DEST_UNREACH, code=code, src_ip=src_ip, rest=rest)


def icmp_time_exceeded(
    original: bytes | IPv4, *, src_ip: IPv4Like, code: int = ICMP_TIME_EXCEEDED_TTL
) -> IPv4:
    """Time exceeded (TTL expired in transit, unless `code` says reassembly)."""
    return icmp_error(original, icmp_type=ICMP_TIME_EXCEEDED, code=code, src_ip=src_ip)


def vxlan_frame(
    inner: Ethernet,
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: IPv4Like,
    dst_ip: IPv4Like,
    vni: int,
    src_port: int | None = None,
    dst_port: int = VXLAN_PORT_MIDONET,
    ttl: int = 64,
) -> Ethernet:
    """`inner` tunnelled in Ethernet / IPv4 / UDP / VXLAN. The source port defaults to
    a hash of the inner frame's head (RFC 7348 5), spreading flows over ECMP paths."""
    if src_port is None:
        src_port = 49152 + zlib.crc32(inner.serialize()[:64]) % 16384
    datagram = UDP(src_port, dst_port, VXLAN(vni, inner))
    ip = IPv4(ip4(src_ip), ip4(dst_ip), IP_PROTO_UDP, datagram, ttl)
    return ethernet(src_mac=src_mac, dst_mac=dst_mac, payload=ip)
