"""Completing checksums left to offload, and the virtio-net header."""

from __future__ import annotations

import warnings

from midonet.agent.datapath.offload import VNET_HDR, VnetHeader, complete_checksum
from midonet.packets.checksum import fold, pseudo_sum

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether


def partial(packet: Ether, field_offset: int) -> tuple[bytearray, int]:
    """`packet` as Linux hands it over with CHECKSUM_PARTIAL: the L4 checksum field
    holds the folded pseudo-header sum (length included), not the checksum."""
    frame = bytearray(bytes(packet))
    ip = Ether(bytes(frame))[IP]  # built: the header's fields filled in
    l4 = 14 + ip.ihl * 4
    length = ip.len - ip.ihl * 4
    src = int.from_bytes(bytes(frame[26:30]), "big")
    dst = int.from_bytes(bytes(frame[30:34]), "big")
    frame[l4 + field_offset : l4 + field_offset + 2] = fold(
        pseudo_sum(src, dst, ip.proto) + length
    ).to_bytes(2, "big")
    return frame, l4


def test_a_partial_tcp_checksum_is_completed_to_what_scapy_computes() -> None:
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=2) / b"data!"
    frame, l4 = partial(packet, 16)
    assert bytes(frame) != bytes(packet)
    assert complete_checksum(frame, l4, 16)
    assert bytes(frame) == bytes(packet)


def test_a_partial_udp_checksum_is_completed_with_odd_payload() -> None:
    packet = Ether() / IP(src="192.0.2.1", dst="198.51.100.2") / UDP(sport=9, dport=53) / b"abc"
    frame, l4 = partial(packet, 6)
    assert complete_checksum(frame, l4, 6)
    assert bytes(frame) == bytes(packet)


def test_offsets_outside_the_frame_leave_it_alone() -> None:
    frame = bytearray(40)
    assert not complete_checksum(frame, 30, 16)
    assert not complete_checksum(frame, 4, 2)
    assert frame == bytearray(40)


def test_the_header_round_trips_and_shifts_only_what_moves() -> None:
    header = VnetHeader(1, 1, 66, 1448, 34, 16)
    assert VnetHeader.unpack(VNET_HDR.pack(1, 1, 66, 1448, 34, 16)) == header
    assert header.is_gso and header.needs_csum
    assert VnetHeader.unpack(header.shifted(-4)) == VnetHeader(1, 1, 62, 1448, 30, 16)
    plain = VnetHeader(0, 0, 0, 0, 0, 0)
    assert VnetHeader.unpack(plain.shifted(4)) == plain
