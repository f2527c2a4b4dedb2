"""Protocol numbers shared by the packet codec, the flow match and the simulation.

Plain ints rather than enums: they are compared per packet on the datapath, and an
int comparison is the cheapest thing Python offers.
"""

from __future__ import annotations

from typing import Final

# --- Ethertypes ---------------------------------------------------------------------
ETH_TYPE_IPV4: Final = 0x0800
ETH_TYPE_ARP: Final = 0x0806
ETH_TYPE_VLAN: Final = 0x8100  # 802.1Q customer tag
ETH_TYPE_QINQ: Final = 0x88A8  # 802.1ad service tag
ETH_TYPE_IPV6: Final = 0x86DD
ETH_TYPE_TEB: Final = 0x6558  # transparent Ethernet bridging: Ethernet inside GRE
# Ethertypes of VLAN tags, in the order a parser meets them at the head of a stack.
VLAN_TPIDS: Final = frozenset({ETH_TYPE_VLAN, ETH_TYPE_QINQ})
# Values below this in the type/length field are 802.3 lengths, not ethertypes.
ETH_TYPE_MIN: Final = 0x0600

# --- IP protocol numbers (also IPv6 next-header values) -----------------------------
IP_PROTO_HOPOPT: Final = 0  # IPv6 hop-by-hop options
IP_PROTO_ICMP: Final = 1
IP_PROTO_TCP: Final = 6
IP_PROTO_UDP: Final = 17
IP_PROTO_IPV6_ROUTE: Final = 43
IP_PROTO_IPV6_FRAG: Final = 44
IP_PROTO_GRE: Final = 47
IP_PROTO_ESP: Final = 50
IP_PROTO_AH: Final = 51
IP_PROTO_ICMPV6: Final = 58
IP_PROTO_IPV6_NONXT: Final = 59
IP_PROTO_IPV6_OPTS: Final = 60  # destination options
IP_PROTO_MOBILITY: Final = 135

# --- ICMPv4 types and codes ---------------------------------------------------------
ICMP_ECHO_REPLY: Final = 0
ICMP_DEST_UNREACH: Final = 3
ICMP_SOURCE_QUENCH: Final = 4
ICMP_REDIRECT: Final = 5
ICMP_ECHO_REQUEST: Final = 8
ICMP_TIME_EXCEEDED: Final = 11
ICMP_PARAM_PROBLEM: Final = 12
# Types whose body is the offending IP header plus 8 bytes of its payload (RFC 792).
ICMP_ERROR_TYPES: Final = frozenset(
    {ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM}
)

# Destination-unreachable codes (RFC 792, RFC 1122, RFC 1812).
ICMP_UNREACH_NET: Final = 0
ICMP_UNREACH_HOST: Final = 1
ICMP_UNREACH_PROTOCOL: Final = 2
ICMP_UNREACH_PORT: Final = 3
ICMP_UNREACH_FRAG_NEEDED: Final = 4  # carries the next-hop MTU (RFC 1191)
ICMP_UNREACH_SOURCE_ROUTE_FAILED: Final = 5
ICMP_UNREACH_NET_UNKNOWN: Final = 6
ICMP_UNREACH_HOST_UNKNOWN: Final = 7
ICMP_UNREACH_SOURCE_ISOLATED: Final = 8
ICMP_UNREACH_NET_PROHIBITED: Final = 9
ICMP_UNREACH_HOST_PROHIBITED: Final = 10
ICMP_UNREACH_NET_TOS: Final = 11
ICMP_UNREACH_HOST_TOS: Final = 12
ICMP_UNREACH_ADMIN_PROHIBITED: Final = 13  # what MidoNet's REJECT rules send
ICMP_UNREACH_HOST_PRECEDENCE: Final = 14
ICMP_UNREACH_PRECEDENCE_CUTOFF: Final = 15

# Time-exceeded codes.
ICMP_TIME_EXCEEDED_TTL: Final = 0
ICMP_TIME_EXCEEDED_REASSEMBLY: Final = 1

# --- ICMPv6 types (RFC 4443, RFC 4861) ----------------------------------------------
ICMPV6_DEST_UNREACH: Final = 1
ICMPV6_PACKET_TOO_BIG: Final = 2
ICMPV6_TIME_EXCEEDED: Final = 3
ICMPV6_PARAM_PROBLEM: Final = 4
ICMPV6_ECHO_REQUEST: Final = 128
ICMPV6_ECHO_REPLY: Final = 129
ICMPV6_ROUTER_SOLICIT: Final = 133
ICMPV6_ROUTER_ADVERT: Final = 134
ICMPV6_NEIGHBOR_SOLICIT: Final = 135
ICMPV6_NEIGHBOR_ADVERT: Final = 136
ICMPV6_ERROR_TYPES: Final = frozenset(
    {ICMPV6_DEST_UNREACH, ICMPV6_PACKET_TOO_BIG, ICMPV6_TIME_EXCEEDED, ICMPV6_PARAM_PROBLEM}
)

# --- ARP ----------------------------------------------------------------------------
ARP_HTYPE_ETHERNET: Final = 1
ARP_OP_REQUEST: Final = 1
ARP_OP_REPLY: Final = 2

# --- IPv4 flags (the top three bits of the flags/fragment-offset word) ---------------
IPV4_FLAG_DF: Final = 0x2
IPV4_FLAG_MF: Final = 0x1

# --- TCP flags ----------------------------------------------------------------------
TCP_FIN: Final = 0x001
TCP_SYN: Final = 0x002
TCP_RST: Final = 0x004
TCP_PSH: Final = 0x008
TCP_ACK: Final = 0x010
TCP_URG: Final = 0x020
TCP_ECE: Final = 0x040
TCP_CWR: Final = 0x080
TCP_NS: Final = 0x100

# --- Tunnels ------------------------------------------------------------------------
VXLAN_PORT: Final = 4789  # IANA
VXLAN_PORT_MIDONET: Final = 6677  # MidoNet's default VXLAN overlay port
GRE_KEY_PRESENT: Final = 0x2000
GRE_SEQ_PRESENT: Final = 0x1000
GRE_CSUM_PRESENT: Final = 0x8000
