"""The packet codec: typed, frozen headers parsed from and serialized to wire bytes.

`parse(frame)` decodes an Ethernet frame down through VLAN tags, ARP, IPv4/IPv6,
ICMP/ICMPv6, TCP, UDP, VXLAN and GRE; each header's `serialize()` recomputes lengths
and checksums (TCP, UDP and ICMPv6 take the IP layer's pseudo-header sum). Addresses:
MACs are 6 `bytes`, IPs are `int` (see `address`). Only `midonet.errors.MalformedPacket`
is raised for bad bytes; checksums are reported in `checksum_status` (a
`ChecksumStatus`), never raised. `builder` makes common packets in one call;
`checksum` has the RFC 1624 updates for rewriting fields in place.
"""

from __future__ import annotations

from midonet.packets.address import (
    BROADCAST_MAC,
    ip_address,
    ipv4_from_str,
    ipv4_to_str,
    ipv6_from_str,
    ipv6_to_str,
    mac_from_str,
    mac_to_str,
)
from midonet.packets.arp import ARP
from midonet.packets.checksum import ChecksumStatus
from midonet.packets.ethernet import Ethernet, VlanTag
from midonet.packets.ethernet import decode as _decode
from midonet.packets.gre import GRE
from midonet.packets.icmp import ICMP, ICMPQuote
from midonet.packets.icmpv6 import ICMPv6, ICMPv6Quote
from midonet.packets.ipv4 import IPv4
from midonet.packets.ipv6 import IPv6, IPv6Ext, IPv6Fragment
from midonet.packets.tcp import TCP
from midonet.packets.udp import UDP
from midonet.packets.vxlan import VXLAN

__all__ = [
    "ARP",
    "BROADCAST_MAC",
    "GRE",
    "ICMP",
    "TCP",
    "UDP",
    "VXLAN",
    "ChecksumStatus",
    "Ethernet",
    "ICMPQuote",
    "ICMPv6",
    "ICMPv6Quote",
    "IPv4",
    "IPv6",
    "IPv6Ext",
    "IPv6Fragment",
    "VlanTag",
    "ip_address",
    "ipv4_from_str",
    "ipv4_to_str",
    "ipv6_from_str",
    "ipv6_to_str",
    "mac_from_str",
    "mac_to_str",
    "parse",
]


def parse(frame: bytes | bytearray | memoryview, *, verify_checksums: bool = True) -> Ethernet:
    """Decode an Ethernet frame. Raises only MalformedPacket. With `verify_checksums`
    off, every `checksum_status` is NOT_CHECKED and no payload is summed."""
    buf = frame if type(frame) is bytes else bytes(frame)
    return _decode(buf, 0, len(buf), verify_checksums)
