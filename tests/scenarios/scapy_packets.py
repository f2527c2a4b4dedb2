"""Scenario packets built with scapy, the independent oracle (never the codec).

A packet is a dict:

    eth: {src, dst}            vlan: 10 or [outer, inner]
    arp: {op, hwsrc, psrc, hwdst, pdst}
    ip: {src, dst, ttl, id, flags, frag, tos, proto}     (id defaults to 0, as the
                                                          codec's generated packets)
    tcp: {sport, dport, flags}   udp: {sport, dport}   icmp: {type, code, id, seq}
    quote: <packet dict without eth>   an ICMP error's quoted datagram: its IP header
                                       and first 8 payload bytes, as received
    payload: text
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import ARP, Dot1Q, Ether
    from scapy.packet import Packet, Raw


def _l3(spec: Mapping[str, Any]) -> Packet:
    ip_spec = dict(spec["ip"])
    ip_spec.setdefault("id", 0)
    packet = IP(**ip_spec)
    if "tcp" in spec:
        tcp = dict(spec["tcp"])
        tcp.setdefault("window", 0xFFFF)
        tcp.setdefault("flags", "S")
        packet = packet / TCP(**tcp)
    elif "udp" in spec:
        packet = packet / UDP(**spec["udp"])
    elif "icmp" in spec:
        packet = packet / ICMP(**spec["icmp"])
    if "quote" in spec:
        quoted = bytes(_l3(spec["quote"]))
        header = (quoted[0] & 0x0F) * 4
        packet = packet / Raw(quoted[: header + 8])
    if "payload" in spec:
        packet = packet / Raw(spec["payload"].encode())
    return packet


def build(spec: Mapping[str, Any]) -> bytes:
    """The frame bytes of a packet description."""
    frame: Packet = Ether(**spec["eth"])
    vlans = spec.get("vlan", ())
    for vid in [vlans] if isinstance(vlans, int) else vlans:
        frame = frame / Dot1Q(vlan=vid)
    if "arp" in spec:
        return bytes(frame / ARP(**spec["arp"]))
    return bytes(frame / _l3(spec))


def describe(frame: bytes) -> str:
    return repr(Ether(frame))
