"""Flow actions compiled for the datapath's fast path.

Every packet of an exact-match flow has the same values in every field the flow
matched on, so what its actions write is the same for each packet: the same bytes
at the same offsets, and the same change to each checksum (RFC 1624: the sum of
~old + new over the rewritten 16-bit words is a constant of the flow). A plan,
compiled from the flow's first packet, replays that per packet: copy the frame,
patch the bytes, add the constant to the IPv4 header checksum and to the TCP/UDP
checksum. What a plan does not cover — VLAN pushes and pops, ICMP quotes, IP
options that differ from the first packet's, GSO frames (their transport checksum
is a partial sum) — goes through `apply_actions`, which gives the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from midonet.agent.simulation.flow import _l3_offset, _set, apply_actions
from midonet.agent.simulation.result import Action, Output, SetField
from midonet.packets.constants import ETH_TYPE_IPV4, IP_PROTO_TCP, IP_PROTO_UDP

Emitted = list[tuple[uuid.UUID, bytes]]
Plan = Callable[[bytes], Emitted]

_HEADER_FIELDS = frozenset(
    ("eth_src", "eth_dst", "nw_src", "nw_dst", "nw_ttl", "nw_tos", "src_port", "dst_port")
)
_CSUM_AT = {IP_PROTO_TCP: 16, IP_PROTO_UDP: 6}


def compile_plan(frame: bytes, actions: Sequence[Action]) -> Plan | None:
    """A plan for `actions` on frames like `frame` (the flow's first), or None when
    `apply_actions` must handle them."""
    if not all(isinstance(a, Output) or (isinstance(a, SetField) and a.field in _HEADER_FIELDS)
               for a in actions):  # fmt: skip
        return None
    l3 = _l3_offset(bytearray(frame[:64]))
    if l3 != 14:
        return None  # VLAN-tagged: the generic path
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype != ETH_TYPE_IPV4:
        if any(isinstance(a, SetField) and not a.field.startswith("eth_") for a in actions):
            return None
        return _mac_only_plan(frame, actions)
    if len(frame) < l3 + 20:
        return None
    ihl = (frame[l3] & 0x0F) * 4
    l4 = l3 + ihl
    proto = frame[l3 + 9]
    whole = int.from_bytes(frame[l3 + 6 : l3 + 8], "big") & 0x1FFF == 0
    l4_sum = l4 + _CSUM_AT[proto] if whole and proto in _CSUM_AT else None
    header_end = min(len(frame), l4 + 20 if proto == IP_PROTO_TCP else l4 + 8)
    if l4_sum is not None and l4_sum + 2 > header_end:
        return None
    original = bytes(frame[:header_end])
    current = bytearray(original)
    outputs: list[tuple[uuid.UUID, tuple[tuple[int, bytes], ...], int, int]] = []
    for action in actions:
        if isinstance(action, SetField):
            _set(current, l3, action.field, action.value)
        elif isinstance(action, Output):
            ip_delta, l4_delta = _deltas(original, current, l3, l4, l4_sum)
            skip = {l3 + 10, l3 + 11} | ({l4_sum, l4_sum + 1} if l4_sum is not None else set())
            outputs.append((action.port_id, _patches(original, current, skip), ip_delta, l4_delta))
    version_ihl = frame[l3]
    udp = proto == IP_PROTO_UDP

    def plan(packet: bytes) -> Emitted:
        if packet[l3] != version_ihl or len(packet) < header_end:
            return apply_actions(packet, actions)
        emitted: Emitted = []
        for port_id, patches, ip_delta, l4_delta in outputs:
            buf = bytearray(packet)
            for at, data in patches:
                buf[at : at + len(data)] = data
            if ip_delta:
                _adjust(buf, l3 + 10, ip_delta, False)
            if l4_sum is not None and l4_delta:
                _adjust(buf, l4_sum, l4_delta, udp)
            emitted.append((port_id, bytes(buf)))
        return emitted

    return plan


def _mac_only_plan(frame: bytes, actions: Sequence[Action]) -> Plan:
    current = bytearray(frame[:12])
    outputs: list[tuple[uuid.UUID, bytes]] = []
    for action in actions:
        if isinstance(action, SetField):
            _set(current, 14, action.field, action.value)
        elif isinstance(action, Output):
            outputs.append((action.port_id, bytes(current)))

    def plan(packet: bytes) -> Emitted:
        return [(port_id, macs + packet[12:]) for port_id, macs in outputs]

    return plan


def _words(data: bytes | bytearray, start: int, end: int) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(start, end, 2)]


def _delta(old: list[int], new: list[int]) -> int:
    total = 0
    for before, after in zip(old, new, strict=True):
        if before != after:
            total += (~before & 0xFFFF) + after
    return total


def _deltas(
    original: bytes, current: bytearray, l3: int, l4: int, l4_sum: int | None
) -> tuple[int, int]:
    """The constant added to the IPv4 header checksum and to the L4 checksum."""
    ip_words = [i for i in range(l3, l4, 2) if i != l3 + 10]
    ip_delta = _delta(
        [int.from_bytes(original[i : i + 2], "big") for i in ip_words],
        [int.from_bytes(current[i : i + 2], "big") for i in ip_words],
    )
    l4_delta = 0
    if l4_sum is not None:
        # the pseudo-header's addresses and the transport header's ports
        l4_delta = _delta(_words(original, l3 + 12, l3 + 20), _words(current, l3 + 12, l3 + 20))
        l4_delta += _delta(_words(original, l4, l4 + 4), _words(current, l4, l4 + 4))
    return ip_delta, l4_delta


def _patches(original: bytes, current: bytearray, skip: set[int]) -> tuple[tuple[int, bytes], ...]:
    """The changed byte runs (checksum fields excluded: they are adjusted)."""
    runs: list[tuple[int, bytes]] = []
    start = None
    for i in range(len(original) + 1):
        changed = i < len(original) and i not in skip and original[i] != current[i]
        if changed and start is None:
            start = i
        elif not changed and start is not None:
            runs.append((start, bytes(current[start:i])))
            start = None
    return tuple(runs)


def _adjust(buf: bytearray, at: int, delta: int, udp: bool) -> None:
    old = (buf[at] << 8) | buf[at + 1]
    if udp and old == 0:
        return  # UDP without a checksum stays without one
    total = (~old & 0xFFFF) + delta
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    new = ~total & 0xFFFF
    if udp and new == 0:
        new = 0xFFFF
    buf[at] = new >> 8
    buf[at + 1] = new & 0xFF
