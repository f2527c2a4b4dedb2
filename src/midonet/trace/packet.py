"""A packet described by an operator, turned into the frame a trace injects.

The description is what one would say: "TCP from 10.0.0.3:40000 to 203.0.113.10:80
entering port P". Fields (the API's camelCase): `ipSrc`, `ipDst` (required), `proto`
(tcp, udp, icmp or arp; tcp by default), `srcPort`, `dstPort`, `tcpFlags` (syn,
ack, fin, rst, psh: a SYN by default), `icmpType`/`icmpCode` (an echo request by
default), `ttl`, `vlan`, `ethSrc`, `ethDst`.

What is left out is filled in the way the packet would really look on that port:
`ethSrc` is the MAC the bridge learned on the port (else the router port's peer's,
else one derived from the port id), `ethDst` the router port's own MAC when the port
is a router's, otherwise the MAC the bridge knows for `ipDst` or its router's
gateway MAC.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from midonet.agent.simulation.compiled import mac_bytes
from midonet.errors import ValidationError, Violation
from midonet.model import Port
from midonet.packets import ICMP, IPv4, VlanTag
from midonet.packets import builder as build
from midonet.packets.constants import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV4,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    TCP_ACK,
    TCP_FIN,
    TCP_PSH,
    TCP_RST,
    TCP_SYN,
)
from midonet.packets.match import FlowMatch

PROTOCOLS = {"tcp": IP_PROTO_TCP, "udp": IP_PROTO_UDP, "icmp": IP_PROTO_ICMP, "arp": 0}
TCP_FLAGS = {"syn": TCP_SYN, "ack": TCP_ACK, "fin": TCP_FIN, "rst": TCP_RST, "psh": TCP_PSH}
FIELDS = (
    "ipSrc",
    "ipDst",
    "proto",
    "srcPort",
    "dstPort",
    "tcpFlags",
    "icmpType",
    "icmpCode",
    "ttl",
    "vlan",
    "ethSrc",
    "ethDst",
)

MacOfPort = Callable[[Port], bytes | None]
"""The MAC learned on a bridge port (None: none learned)."""
MacOfIp = Callable[[uuid.UUID, int], bytes | None]
"""The MAC a bridge's ARP table holds for an address."""


@dataclass(frozen=True, slots=True)
class PacketSpec:
    ip_src: int
    ip_dst: int
    proto: str = "tcp"
    src_port: int = 10000
    dst_port: int = 80
    tcp_flags: int = TCP_SYN
    icmp_type: int = 8
    icmp_code: int = 0
    ttl: int = 64
    vlan: int | None = None
    eth_src: bytes | None = None
    eth_dst: bytes | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PacketSpec:
        """Read the API's description; every wrong field is named in one error."""
        problems: list[Violation] = []
        for name in body:
            if name not in FIELDS:
                problems.append(Violation(name, f"unknown field; known: {', '.join(FIELDS)}"))
        values: dict[str, Any] = {}

        def read(name: str, attr: str, parse: Callable[[Any], Any]) -> None:
            if name not in body or body[name] is None:
                return
            try:
                values[attr] = parse(body[name])
            except (ValueError, TypeError) as e:
                problems.append(Violation(name, str(e)))

        read("ipSrc", "ip_src", _ip)
        read("ipDst", "ip_dst", _ip)
        read("proto", "proto", _proto)
        read("srcPort", "src_port", lambda v: _int(v, 0, 0xFFFF))
        read("dstPort", "dst_port", lambda v: _int(v, 0, 0xFFFF))
        read("tcpFlags", "tcp_flags", _flags)
        read("icmpType", "icmp_type", lambda v: _int(v, 0, 255))
        read("icmpCode", "icmp_code", lambda v: _int(v, 0, 255))
        read("ttl", "ttl", lambda v: _int(v, 1, 255))
        read("vlan", "vlan", lambda v: _int(v, 0, 4095))
        read("ethSrc", "eth_src", _mac)
        read("ethDst", "eth_dst", _mac)
        for name, attr in (("ipSrc", "ip_src"), ("ipDst", "ip_dst")):
            if attr not in values and not any(p.field == name for p in problems):
                problems.append(Violation(name, "required: the packet's IPv4 address"))
        if problems:
            raise ValidationError(problems, kind="packet")
        return cls(**values)

    def frame(
        self, port: Port, mac_of_port: MacOfPort, mac_of_ip: MacOfIp, port_label: str = ""
    ) -> bytes:
        """The Ethernet frame of this packet as it enters `port` (`port_label` seeds
        the source MAC made up when none is known, so it is the same every run)."""
        src = self.eth_src or _source_mac(port, mac_of_port, port_label)
        dst = self.eth_dst or _destination_mac(port, self.ip_dst, mac_of_ip)
        vlans = (VlanTag(self.vlan),) if self.vlan is not None else ()
        if self.proto == "arp":
            return build.arp_request(
                sha=src, spa=self.ip_src, tpa=self.ip_dst, vlans=vlans
            ).serialize()
        common: dict[str, Any] = {
            "src_mac": src,
            "dst_mac": dst,
            "src_ip": self.ip_src,
            "dst_ip": self.ip_dst,
            "ttl": self.ttl,
            "vlans": vlans,
        }
        if self.proto == "tcp":
            return build.tcp_frame(
                src_port=self.src_port, dst_port=self.dst_port, flags=self.tcp_flags, **common
            ).serialize()
        if self.proto == "udp":
            return build.udp_frame(
                src_port=self.src_port, dst_port=self.dst_port, **common
            ).serialize()
        if self.icmp_type in (0, 8):
            return build.icmp_echo_frame(
                ident=self.src_port, reply=self.icmp_type == 0, **common
            ).serialize()
        message = ICMP(self.icmp_type, self.icmp_code, 0, b"")
        ip = IPv4(self.ip_src, self.ip_dst, IP_PROTO_ICMP, message, self.ttl)
        return build.ethernet(src_mac=src, dst_mac=dst, payload=ip, vlans=vlans).serialize()

    def describe(self) -> str:
        src, dst = ipaddress.IPv4Address(self.ip_src), ipaddress.IPv4Address(self.ip_dst)
        if self.proto in ("tcp", "udp"):
            return f"{self.proto} {src}:{self.src_port} > {dst}:{self.dst_port}"
        if self.proto == "arp":
            return f"arp who-has {dst} tell {src}"
        return f"icmp {src} > {dst} type {self.icmp_type} code {self.icmp_code}"


def describe_match(match: FlowMatch) -> str:
    """A received packet in the words `PacketSpec.describe` uses."""
    if match.ethertype == ETH_TYPE_ARP:
        return f"arp {_ip4(match.nw_src)} > {_ip4(match.nw_dst)}"
    if match.ethertype != ETH_TYPE_IPV4:
        return (
            f"ethertype 0x{match.ethertype:04x} {match.eth_src.hex(':')} > {match.eth_dst.hex(':')}"
        )
    src, dst = _ip4(match.nw_src), _ip4(match.nw_dst)
    name = {IP_PROTO_TCP: "tcp", IP_PROTO_UDP: "udp"}.get(match.nw_proto)
    if name is not None:
        return f"{name} {src}:{match.src_port} > {dst}:{match.dst_port}"
    if match.nw_proto == IP_PROTO_ICMP:
        return f"icmp {src} > {dst} type {match.src_port} code {match.dst_port}"
    return f"ip proto {match.nw_proto} {src} > {dst}"


def _ip4(value: int) -> str:
    return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))


def _source_mac(port: Port, mac_of_port: MacOfPort, label: str) -> bytes:
    learned = mac_of_port(port)
    if learned is not None:
        return learned
    # Locally administered and unicast (02:…), derived from what names the port.
    seed = label.encode() if label else port.id.bytes
    return b"\x02" + hashlib.sha256(seed).digest()[:5]


def _destination_mac(port: Port, ip_dst: int, mac_of_ip: MacOfIp) -> bytes:
    if port.is_router_port:
        return mac_bytes(port.port_mac)
    if port.bridge_id is not None:
        known = mac_of_ip(port.bridge_id, ip_dst)
        if known is not None:
            return known
    return b"\xff" * 6


def _ip(value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError(f"an IPv4 address is a string, not {value!r}")
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected a number from {low} to {high}, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not low <= number <= high:
        raise ValueError(f"{number} is not within {low}..{high}")
    return number


def _proto(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in PROTOCOLS:
        raise ValueError(f"{value!r} is not one of {', '.join(PROTOCOLS)}")
    return text


def _flags(value: Any) -> int:
    names = value if isinstance(value, list) else str(value).replace("|", ",").split(",")
    flags = 0
    for name in names:
        flag = TCP_FLAGS.get(str(name).strip().lower())
        if flag is None:
            raise ValueError(f"{name!r} is not a TCP flag ({', '.join(TCP_FLAGS)})")
        flags |= flag
    return flags


def _mac(value: Any) -> bytes:
    text = str(value).strip().lower().replace("-", ":")
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"{value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")
    try:
        return bytes.fromhex("".join(parts))
    except ValueError:
        raise ValueError(f"{value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)") from None
