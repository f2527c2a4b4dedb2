"""Hypothesis strategies for every header stack the codec decodes.

Each strategy yields headers in the codec's canonical form, the form `parse` returns:
a payload that `parse` would decode is a header object, never raw bytes, and lengths
stay within the 16-bit fields."""

from __future__ import annotations

from hypothesis import strategies as st

from midonet.packets import (
    ARP,
    GRE,
    ICMP,
    TCP,
    UDP,
    VXLAN,
    Ethernet,
    ICMPQuote,
    ICMPv6,
    ICMPv6Quote,
    IPv4,
    IPv6,
    IPv6Ext,
    IPv6Fragment,
    VlanTag,
)
from midonet.packets import constants as c
from midonet.packets.udp import VXLAN_PORTS

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u128 = st.integers(0, (1 << 128) - 1)
macs = st.binary(min_size=6, max_size=6)
small_bytes = st.binary(max_size=64)


def words(unit: int, max_units: int, extra: int = 0) -> st.SearchStrategy[bytes]:
    """Opaque bytes of length `extra + unit * n`, for options and extension headers."""
    return st.integers(0, max_units).flatmap(
        lambda n: st.binary(min_size=extra + unit * n, max_size=extra + unit * n)
    )


vlan_tags = st.builds(
    VlanTag,
    vid=st.integers(0, 0xFFF),
    pcp=st.integers(0, 7),
    dei=st.integers(0, 1),
    tpid=st.sampled_from([c.ETH_TYPE_VLAN, c.ETH_TYPE_QINQ]),
)

arps = st.builds(ARP, op=u16, sha=macs, spa=u32, tha=macs, tpa=u32, htype=u16, ptype=u16)

tcps = st.builds(
    TCP,
    src_port=u16,
    dst_port=u16,
    seq=u32,
    ack=u32,
    flags=st.integers(0, 0xFFF),
    window=u16,
    urgent=u16,
    options=words(4, 10),
    payload=small_bytes,
)

plain_udps = st.builds(
    UDP,
    src_port=u16,
    dst_port=u16.filter(lambda p: p not in VXLAN_PORTS),
    payload=small_bytes,
)

ICMP_OTHER_TYPES = st.integers(0, 0xFF).filter(lambda t: t not in c.ICMP_ERROR_TYPES)
ICMPV6_OTHER_TYPES = st.integers(0, 0xFF).filter(lambda t: t not in c.ICMPV6_ERROR_TYPES)

icmp_quotes = st.builds(
    lambda ip, extra: ICMPQuote(ip, ip.header_length + extra),
    st.builds(
        IPv4,
        src=u32,
        dst=u32,
        proto=u8,
        payload=small_bytes,
        ttl=u8,
        tos=u8,
        ident=u16,
        flags=st.integers(0, 7),
        frag_offset=st.integers(0, 0x1FFF),
        options=words(4, 10),
    ),
    st.integers(0, 1000),
)

icmps = st.one_of(
    st.builds(ICMP, type=ICMP_OTHER_TYPES, code=u8, rest=u32, payload=small_bytes),
    st.builds(
        ICMP,
        type=st.sampled_from(sorted(c.ICMP_ERROR_TYPES)),
        code=u8,
        rest=u32,
        payload=icmp_quotes,
    ),
)

icmpv6_quotes = st.builds(
    ICMPv6Quote,
    st.builds(
        IPv6,
        src=u128,
        dst=u128,
        proto=u8,
        payload=small_bytes,
        hop_limit=u8,
        traffic_class=u8,
        flow_label=st.integers(0, 0xFFFFF),
    ),
    u16,
)

icmpv6s = st.one_of(
    st.builds(ICMPv6, type=ICMPV6_OTHER_TYPES, code=u8, rest=u32, payload=small_bytes),
    st.builds(
        ICMPv6,
        type=st.sampled_from(sorted(c.ICMPV6_ERROR_TYPES)),
        code=u8,
        rest=u32,
        payload=icmpv6_quotes,
    ),
)

OPTION_LIKE_KINDS = [0, 43, 60, 135, 139, 140, 253, 254]
EXTENSION_KINDS = {*OPTION_LIKE_KINDS, c.IP_PROTO_IPV6_FRAG, c.IP_PROTO_AH}
DECODED_V4 = {c.IP_PROTO_TCP, c.IP_PROTO_UDP, c.IP_PROTO_ICMP, c.IP_PROTO_GRE}
DECODED_V6 = {c.IP_PROTO_TCP, c.IP_PROTO_UDP, c.IP_PROTO_ICMPV6, c.IP_PROTO_GRE}

ipv6_extensions = st.one_of(
    st.builds(IPv6Ext, kind=st.sampled_from(OPTION_LIKE_KINDS), data=words(8, 3, extra=6)),
    st.builds(IPv6Ext, kind=st.just(c.IP_PROTO_AH), data=words(4, 4, extra=10)),
    # Atomic fragments (offset 0, no more fragments) keep a decoded payload.
    st.builds(IPv6Fragment, ident=u32, offset=st.just(0), more=st.just(False)),
)


def _gres(depth: int) -> st.SearchStrategy[GRE]:
    inner: st.SearchStrategy[tuple[int, Ethernet | IPv4 | IPv6 | bytes]] = st.tuples(
        u16.filter(lambda t: t not in (c.ETH_TYPE_TEB, c.ETH_TYPE_IPV4, c.ETH_TYPE_IPV6)),
        small_bytes,
    )
    if depth > 0:
        inner = st.one_of(
            inner,
            st.tuples(st.just(c.ETH_TYPE_TEB), ethernets(depth - 1)),
            st.tuples(st.just(c.ETH_TYPE_IPV4), ipv4s(depth - 1)),
            st.tuples(st.just(c.ETH_TYPE_IPV6), ipv6s(depth - 1)),
        )
    return st.builds(
        lambda proto_payload, key, seq, csum: GRE(*proto_payload, key, seq, csum),
        inner,
        st.none() | u32,
        st.none() | u32,
        st.booleans(),
    )


def _udps(depth: int) -> st.SearchStrategy[UDP]:
    if depth == 0:
        return plain_udps
    vxlans = st.builds(
        VXLAN,
        vni=st.integers(0, 0xFFFFFF),
        payload=ethernets(depth - 1),
        flags=u8,
        reserved1=st.integers(0, 0xFFFFFF),
        reserved2=u8,
    )
    tunnelled = st.builds(
        UDP, src_port=u16, dst_port=st.sampled_from(sorted(VXLAN_PORTS)), payload=vxlans
    )
    return st.one_of(plain_udps, tunnelled)


def ipv4s(depth: int = 1) -> st.SearchStrategy[IPv4]:
    whole = st.one_of(
        st.tuples(st.just(c.IP_PROTO_TCP), tcps),
        st.tuples(st.just(c.IP_PROTO_UDP), _udps(depth)),
        st.tuples(st.just(c.IP_PROTO_ICMP), icmps),
        st.tuples(st.just(c.IP_PROTO_GRE), _gres(depth)),
        st.tuples(u8.filter(lambda p: p not in DECODED_V4), small_bytes),
    )
    unfragmented = st.builds(
        lambda pp, flags: (*pp, flags & ~c.IPV4_FLAG_MF, 0),
        whole,
        st.integers(0, 7),
    )
    fragments = st.builds(
        lambda proto, data, flags, offset: (proto, data, flags, offset),
        u8,
        small_bytes,
        st.integers(0, 7),
        st.integers(0, 0x1FFF),
    ).filter(lambda f: f[2] & c.IPV4_FLAG_MF or f[3])
    return st.builds(
        lambda body, src, dst, ttl, tos, ident, options: IPv4(
            src, dst, body[0], body[1], ttl, tos, ident, body[2], body[3], options
        ),
        st.one_of(unfragmented, fragments),
        u32,
        u32,
        u8,
        u8,
        u16,
        words(4, 10),
    )


def ipv6s(depth: int = 1) -> st.SearchStrategy[IPv6]:
    decoded = st.one_of(
        st.tuples(st.just(c.IP_PROTO_TCP), tcps),
        st.tuples(st.just(c.IP_PROTO_UDP), _udps(depth)),
        st.tuples(st.just(c.IP_PROTO_ICMPV6), icmpv6s),
        st.tuples(st.just(c.IP_PROTO_GRE), _gres(depth)),
        st.tuples(u8.filter(lambda p: p not in DECODED_V6 | EXTENSION_KINDS), small_bytes),
    )
    whole = st.tuples(decoded, st.lists(ipv6_extensions, max_size=3).map(tuple))
    fragment = st.builds(
        IPv6Fragment, ident=u32, offset=st.integers(0, 0x1FFF), more=st.booleans()
    ).filter(lambda f: f.offset or f.more)
    fragmented = st.tuples(
        st.tuples(u8.filter(lambda p: p not in EXTENSION_KINDS), small_bytes),
        st.tuples(fragment),
    )
    return st.builds(
        lambda body, src, dst, hlim, tc, fl: IPv6(
            src, dst, body[0][0], body[0][1], hlim, tc, fl, body[1]
        ),
        st.one_of(whole, fragmented),
        u128,
        u128,
        u8,
        u8,
        st.integers(0, 0xFFFFF),
    )


def ethernets(depth: int = 1) -> st.SearchStrategy[Ethernet]:
    """Frames, tunnelling further frames (VXLAN, GRE) up to `depth` levels deep."""
    tags = st.lists(vlan_tags, max_size=3).map(tuple)
    decoded = st.one_of(
        st.tuples(st.just(c.ETH_TYPE_IPV4), ipv4s(depth), small_bytes),
        st.tuples(st.just(c.ETH_TYPE_IPV6), ipv6s(depth), small_bytes),
        st.tuples(st.just(c.ETH_TYPE_ARP), arps, small_bytes),
    )
    raw = st.tuples(
        u16.filter(lambda t: t not in {c.ETH_TYPE_IPV4, c.ETH_TYPE_IPV6, c.ETH_TYPE_ARP}),
        small_bytes,
        st.just(b""),
    ).filter(lambda r: r[0] not in c.VLAN_TPIDS)
    return st.builds(
        lambda body, dst, src, vlans: Ethernet(dst, src, body[0], body[1], vlans, body[2]),
        st.one_of(decoded, raw),
        macs,
        macs,
        tags,
    )


def walk(header: object) -> list[object]:
    """The header and every header nested in it (payloads, quotes, tunnels)."""
    out = [header]
    inner = getattr(header, "payload", None)
    if isinstance(header, (ICMPQuote, ICMPv6Quote)):
        inner = header.ip
    if inner is not None and not isinstance(inner, bytes):
        out += walk(inner)
    return out
