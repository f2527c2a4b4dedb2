"""Flows from simulations: install a cacheable result, apply its actions to frames.

A repeated packet is forwarded by its flow alone: `FlowTable.lookup(match)` gives
the actions, `apply_actions(frame, actions)` the frames to emit. Apply the result's
state changes (and invalidate their tags) before installing the flow, or the
invalidation of a freshly learned MAC would remove the flow that learned it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from midonet.agent.flows.table import Flow, FlowTable
from midonet.agent.simulation.result import (
    Action,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    SimulationResult,
)
from midonet.packets.checksum import checksum, udp_field, update16, update32
from midonet.packets.constants import (
    ETH_TYPE_IPV4,
    ETH_TYPE_IPV6,
    ETH_TYPE_VLAN,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
    VLAN_TPIDS,
)
from midonet.packets.match import FlowMatch

Actions = tuple[Action, ...]


def install(
    table: FlowTable[FlowMatch, Actions],
    match: FlowMatch,
    result: SimulationResult,
    now: float,
) -> Flow[FlowMatch, Actions] | None:
    """Install `result` as the flow for `match` if it is cacheable; else None."""
    if not result.cacheable:
        return None
    return table.install(match, result.actions, result.tags, now)


def apply_actions(
    frame: bytes, actions: Sequence[Action], *, partial_l4: bool = False
) -> list[tuple[uuid.UUID, bytes]]:
    """The (port, frame) pairs `actions` emit from `frame`, with VLAN tags pushed and
    popped and the IPv4 header and TCP/UDP checksums kept right (RFC 1624).

    `partial_l4`: the TCP/UDP checksum field holds only the pseudo-header sum, for
    the kernel to finish (a frame with a virtio-net NEEDS_CSUM header, e.g. a TSO
    segment). Then an address change moves that sum the other way round from a
    finished checksum, and a port change leaves it alone: ports are not in the
    pseudo-header, the kernel sums them with the data."""
    buf = bytearray(frame)
    l3 = _l3_offset(buf)
    emitted: list[tuple[uuid.UUID, bytes]] = []
    for action in actions:
        if isinstance(action, Output):
            emitted.append((action.port_id, bytes(buf)))
        elif isinstance(action, SetField):
            _set(buf, l3, action.field, action.value, partial_l4)
        elif isinstance(action, PushVlan):
            buf[12:12] = ETH_TYPE_VLAN.to_bytes(2, "big") + (action.vid & 0xFFF).to_bytes(2, "big")
            l3 += 4
        elif isinstance(action, PopVlan) and int.from_bytes(buf[12:14], "big") in VLAN_TPIDS:
            del buf[12:16]
            l3 -= 4
    return emitted


def _l3_offset(buf: bytearray) -> int:
    offset = 12
    while int.from_bytes(buf[offset : offset + 2], "big") in VLAN_TPIDS:
        offset += 4
    return offset + 2


def _set(buf: bytearray, l3: int, name: str, value: int | bytes, partial_l4: bool = False) -> None:
    if isinstance(value, bytes):  # the MACs
        if name == "eth_dst":
            buf[0:6] = value
        elif name == "eth_src":
            buf[6:12] = value
        return
    ethertype = int.from_bytes(buf[l3 - 2 : l3], "big")
    if ethertype == ETH_TYPE_IPV4 and name.startswith("icmp_data_"):
        _set_quote(buf, l3, name, value)
    elif ethertype == ETH_TYPE_IPV4:
        _set_ipv4(buf, l3, name, value, partial_l4)
    elif ethertype == ETH_TYPE_IPV6 and name == "nw_ttl":
        buf[l3 + 7] = value


def _word(buf: bytearray, at: int) -> int:
    return (buf[at] << 8) | buf[at + 1]


def _put(buf: bytearray, at: int, value: int, size: int = 2) -> None:
    buf[at : at + size] = value.to_bytes(size, "big")


_PORTS = ("src_port", "dst_port")
_TCP_UDP = (IP_PROTO_TCP, IP_PROTO_UDP)


def _set_ipv4(buf: bytearray, l3: int, name: str, value: int, partial_l4: bool = False) -> None:
    if name in ("nw_ttl", "nw_tos"):
        at = l3 + 8 if name == "nw_ttl" else l3 + 1
        word_at = l3 + ((at - l3) & ~1)  # the checksum sums 16-bit words
        old = _word(buf, word_at)
        buf[at] = value
        _put(buf, l3 + 10, update16(_word(buf, l3 + 10), old, _word(buf, word_at)))
        return
    l4 = l3 + (buf[l3] & 0x0F) * 4
    proto = buf[l3 + 9]
    whole = _word(buf, l3 + 6) & 0x1FFF == 0  # offset 0: the L4 header is here
    l4_sum = _l4_checksum_at(proto, l4) if whole else None
    if l4_sum is not None and proto == IP_PROTO_UDP and _word(buf, l4_sum) == 0:
        l4_sum = None  # UDP without a checksum stays without one
    udp = proto == IP_PROTO_UDP
    if name in ("nw_src", "nw_dst"):
        at = l3 + 12 if name == "nw_src" else l3 + 16
        old = int.from_bytes(buf[at : at + 4], "big")
        _put(buf, at, value, 4)
        _put(buf, l3 + 10, update32(_word(buf, l3 + 10), old, value))
        if l4_sum is not None and partial_l4:  # the sum itself: + new - old
            _put(buf, l4_sum, update32(_word(buf, l4_sum), value, old))
        elif l4_sum is not None:
            new_sum = update32(_word(buf, l4_sum), old, value)
            _put(buf, l4_sum, udp_field(new_sum) if udp else new_sum)
    elif name in _PORTS and whole and proto in _TCP_UDP and l4 + 4 <= len(buf):
        at = l4 if name == "src_port" else l4 + 2
        old = _word(buf, at)
        _put(buf, at, value)
        # A partial sum leaves the ports to the kernel; UDP without a checksum has none.
        if l4_sum is not None and not partial_l4:
            new_sum = update16(_word(buf, l4_sum), old, value)
            _put(buf, l4_sum, udp_field(new_sum) if udp else new_sum)


def _set_quote(buf: bytearray, l3: int, name: str, value: int) -> None:
    """Rewrite the datagram an ICMP error quotes (NAT translating the error back):
    its address (and header checksum) or port (and its transport checksum when
    quoted), then the ICMP checksum, recomputed: errors are small and rare."""
    l4 = l3 + (buf[l3] & 0x0F) * 4
    inner = l4 + 8
    if buf[l3 + 9] != IP_PROTO_ICMP or len(buf) < inner + 20:
        return
    end = min(len(buf), l3 + _word(buf, l3 + 2))
    inner_l4 = inner + (buf[inner] & 0x0F) * 4
    proto = buf[inner + 9]
    csum_at = {IP_PROTO_TCP: 16, IP_PROTO_UDP: 6}.get(proto)
    l4_sum = inner_l4 + csum_at if csum_at is not None and inner_l4 + csum_at + 2 <= end else None
    if l4_sum is not None and proto == IP_PROTO_UDP and _word(buf, l4_sum) == 0:
        l4_sum = None
    if name in ("icmp_data_src", "icmp_data_dst"):
        at = inner + 12 if name == "icmp_data_src" else inner + 16
        old = int.from_bytes(buf[at : at + 4], "big")
        _put(buf, at, value, 4)
        _put(buf, inner + 10, update32(_word(buf, inner + 10), old, value))
        if l4_sum is not None:
            new_sum = update32(_word(buf, l4_sum), old, value)
            _put(buf, l4_sum, udp_field(new_sum) if proto == IP_PROTO_UDP else new_sum)
    elif inner_l4 + 4 <= end:
        if proto == IP_PROTO_ICMP:  # a quoted echo: its id is both "ports"
            at, l4_sum = inner_l4 + 4, (inner_l4 + 2 if inner_l4 + 4 <= end else None)
        elif proto in (IP_PROTO_TCP, IP_PROTO_UDP):
            at = inner_l4 if name == "icmp_data_src_port" else inner_l4 + 2
        else:
            return
        if at + 2 > end:
            return
        old = _word(buf, at)
        _put(buf, at, value)
        if l4_sum is not None and at != l4_sum:
            new_sum = update16(_word(buf, l4_sum), old, value)
            _put(buf, l4_sum, udp_field(new_sum) if proto == IP_PROTO_UDP else new_sum)
    buf[l4 + 2 : l4 + 4] = b"\0\0"
    _put(buf, l4 + 2, checksum(buf[l4:end]))


def _l4_checksum_at(proto: int, l4: int) -> int | None:
    if proto == IP_PROTO_TCP:
        return l4 + 16
    if proto == IP_PROTO_UDP:
        return l4 + 6
    return None
