"""NAT on a frame whose TCP/UDP checksum is left to the kernel (a TSO segment with
a NEEDS_CSUM virtio-net header): the pseudo-header sum in the field must move so
that the kernel's finished checksum is right for the rewritten packet."""

from __future__ import annotations

import uuid

import pytest

from midonet.agent.datapath.offload import complete_checksum
from midonet.agent.simulation import Output, SetField, apply_actions
from midonet.packets import builder, parse
from midonet.packets.checksum import checksum

OUT = uuid.uuid4()


def partial(frame: bytes) -> tuple[bytearray, int, int]:
    """The frame as a sender with checksum offload hands it over: the L4 checksum
    field holds the folded pseudo-header sum (not complemented)."""
    buf = bytearray(frame)
    l4 = 14 + 20
    proto = buf[14 + 9]
    offset = 16 if proto == 6 else 6
    length = len(buf) - l4
    pseudo = buf[26:34] + bytes([0, proto]) + length.to_bytes(2, "big")
    buf[l4 + offset : l4 + offset + 2] = (~checksum(pseudo) & 0xFFFF).to_bytes(2, "big")
    return buf, l4, offset


@pytest.mark.parametrize("proto", ["tcp", "udp"])
def test_snat_and_dnat_on_a_partial_checksum(proto: str) -> None:
    make = builder.tcp_frame if proto == "tcp" else builder.udp_frame
    common = {"src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02"}
    before = make(
        src_ip="10.0.0.11", dst_ip="198.51.100.2", src_port=40000, dst_port=80,
        payload=b"x" * 999, **common,
    ).serialize()  # fmt: skip
    frame, l4, offset = partial(before)
    actions = (
        SetField("nw_src", builder.ip4("203.0.113.1")),
        SetField("src_port", 1024),
        SetField("nw_dst", builder.ip4("198.51.100.9")),
        SetField("dst_port", 8080),
        Output(OUT),
    )
    [(_, out)] = apply_actions(bytes(frame), actions, partial_l4=True)
    finished = bytearray(out)
    assert complete_checksum(finished, l4, offset)  # what the kernel does on egress
    expected = make(
        src_ip="203.0.113.1", dst_ip="198.51.100.9", src_port=1024, dst_port=8080,
        payload=b"x" * 999, **common,
    ).serialize()  # fmt: skip
    assert bytes(finished) == expected
    assert parse(bytes(finished)) is not None
