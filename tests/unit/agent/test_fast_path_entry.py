"""Kernel fast-path entries, checked without a kernel: a model of what the forwarder
does with an entry (the kernel's csum_replace_by_diff arithmetic, on little-endian
memory words) gives the same bytes as `apply_actions` for the flow's actions."""

from __future__ import annotations

import random
import struct
import uuid
import warnings

import pytest

from midonet.agent.datapath.fast_path_entry import (
    F_MARK_MANGLED_0,
    V_ADDRS_PORTS,
    V_IP_DIFF,
    V_MACS,
    V_TOS,
    V_TTL,
    entry_key,
    entry_value,
)
from midonet.agent.simulation.flow import apply_actions
from midonet.agent.simulation.result import Action, Output, SetField
from midonet.packets.match import match_frame

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import Ether

OUT = uuid.uuid4()


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _replace_by_diff(buf: bytearray, at: int, diff: int, mangled: bool = False) -> None:
    """The kernel: *sum = csum_fold(csum_add(diff, ~csum_unfold(*sum))), on the field
    as a little-endian CPU reads it."""
    old = int.from_bytes(buf[at : at + 2], "little")
    if mangled and old == 0:
        return
    new = ~_fold(diff + (~old & 0xFFFF)) & 0xFFFF
    if mangled and new == 0:
        new = 0xFFFF
    buf[at : at + 2] = new.to_bytes(2, "little")


def forwarder_model(frame: bytes, value: bytes) -> bytes:
    buf = bytearray(frame)
    l4_at = struct.unpack_from("=I", value, 4)[0]
    buf[0:12] = value[V_MACS : V_MACS + 12]
    buf[15] = value[V_TOS]
    buf[22] = value[V_TTL]
    buf[26:34] = value[V_ADDRS_PORTS : V_ADDRS_PORTS + 8]
    ip, pseudo, ports, pseudo_flags, ports_flags = struct.unpack_from("=IIIII", value, V_IP_DIFF)
    if frame[23] != 1:  # an ICMP echo keeps its type, code, id and checksum
        buf[34:38] = value[V_ADDRS_PORTS + 8 : V_ADDRS_PORTS + 12]
        _replace_by_diff(buf, l4_at, pseudo, bool(pseudo_flags & F_MARK_MANGLED_0))
        _replace_by_diff(buf, l4_at, ports, bool(ports_flags & F_MARK_MANGLED_0))
    _replace_by_diff(buf, 24, ip)
    return bytes(buf)


def _frame(proto: str, rng: random.Random, zero_udp_checksum: bool = False) -> bytes:
    l4: object
    if proto == "tcp":
        l4 = TCP(sport=rng.randrange(1, 65536), dport=rng.randrange(1, 65536), flags="S")
    elif proto == "udp":
        l4 = UDP(sport=rng.randrange(1, 65536), dport=rng.randrange(1, 65536))
    else:
        l4 = ICMP(type=rng.choice((0, 8)), id=rng.randrange(65536), seq=rng.randrange(65536))
    src = f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    ip = IP(src=src, dst="192.0.2.100", ttl=rng.randrange(2, 255), tos=rng.randrange(256))
    packet = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / ip
        / l4
        / bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    )
    raw = bytearray(bytes(packet))
    if zero_udp_checksum:
        raw[40:42] = b"\0\0"
    return bytes(raw)


def _actions(rng: random.Random, proto: str = "tcp") -> tuple[Action, ...]:
    pool: list[Action] = [
        SetField("eth_src", bytes([2, 0, 0, 0, 0xFE, rng.randrange(256)])),
        SetField("eth_dst", bytes([2, 0, 0, 0, 0xFD, rng.randrange(256)])),
        SetField("nw_ttl", rng.randrange(1, 255)),
        SetField("nw_tos", rng.randrange(256)),
        SetField("nw_src", rng.randrange(1 << 32)),
        SetField("nw_dst", rng.randrange(1 << 32)),
        SetField("src_port", rng.randrange(1, 65536)),
        SetField("dst_port", rng.randrange(1, 65536)),
    ]
    if proto == "icmp":  # NAT keeps an echo's identifier: no "ports" to rewrite
        pool = pool[:-2]
    return (*rng.sample(pool, rng.randrange(0, len(pool) + 1)), Output(OUT))


@pytest.mark.parametrize("proto", ["tcp", "udp", "icmp"])
def test_the_kernel_model_of_an_entry_matches_apply_actions(proto: str) -> None:
    rng = random.Random(proto)
    for _ in range(300):
        frame = _frame(proto, rng)
        actions = _actions(rng, proto)
        match = match_frame(frame, 1)
        assert entry_key(match, 7) is not None
        value = entry_value(match, actions, {OUT: 9}.get)
        assert value is not None
        [(port, expected)] = apply_actions(frame, actions)
        assert port == OUT
        assert forwarder_model(frame, value) == expected, actions


def test_a_udp_datagram_without_a_checksum_keeps_none() -> None:
    rng = random.Random(3)
    frame = _frame("udp", rng, zero_udp_checksum=True)
    actions = (SetField("nw_src", 0x0A000001), SetField("src_port", 4000), Output(OUT))
    value = entry_value(match_frame(frame, 1), actions, {OUT: 9}.get)
    assert value is not None
    out = forwarder_model(frame, value)
    assert out[40:42] == b"\0\0"
    # The port is rewritten all the same (apply_actions once left it, as it had no
    # checksum to adjust).
    assert out[34:36] == (4000).to_bytes(2, "big")
    assert out == apply_actions(frame, actions)[0][1]


def test_the_key_is_the_frame_with_per_packet_fields_zeroed() -> None:
    frame = _frame("tcp", random.Random(1))
    key = entry_key(match_frame(frame, 1), 7)
    assert key is not None and len(key) == 44
    header = bytearray(frame[:40])
    header[16:22] = bytes(6)  # total length, id, flags and fragment offset
    header[24:26] = bytes(2)  # header checksum
    header[38:40] = bytes(2)  # past the ports
    assert key == struct.pack("=I", 7) + bytes(header)


def test_an_echo_is_keyed_by_its_identifier_and_errors_are_not_offloaded() -> None:
    rng = random.Random(2)
    frame = _frame("icmp", rng)
    key = entry_key(match_frame(frame, 1), 7)
    assert key is not None and key[4 + 38 : 4 + 40] == frame[38:40]  # the id
    assert key[4 + 36 : 4 + 38] == b"\0\0"  # the checksum differs per packet
    error = bytes(
        Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=3, code=1)
        / IP(src="10.0.0.2", dst="192.0.2.1") / UDP(sport=1, dport=2)
    )  # fmt: skip
    assert entry_key(match_frame(error, 1), 7) is None
