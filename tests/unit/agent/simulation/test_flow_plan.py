"""Compiled flow plans give exactly the bytes apply_actions gives."""

from __future__ import annotations

import random
import uuid

from midonet.agent.simulation.flow import apply_actions
from midonet.agent.simulation.flow_plan import compile_plan
from midonet.agent.simulation.result import Action, Output, PushVlan, SetField
from midonet.packets import builder

A, B = uuid.uuid4(), uuid.uuid4()


def _frames(rng: random.Random, kind: str, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60)))
        common = {
            "src_mac": "02:00:00:00:00:01",
            "dst_mac": "02:00:00:00:00:02",
            "src_ip": "10.0.0.11",
            "dst_ip": "192.0.2.100",
            "payload": payload,
        }
        if kind == "udp":
            frame = builder.udp_frame(src_port=5000, dst_port=53, **common)
        else:
            frame = builder.tcp_frame(src_port=40000, dst_port=443, seq=i * 7919, **common)
        raw = bytearray(frame.serialize())
        raw[18:20] = rng.randrange(65536).to_bytes(2, "big")  # IP id varies per packet
        raw[24:26] = b"\0\0"
        header = bytes(raw[14:34])
        total = sum(int.from_bytes(header[j : j + 2], "big") for j in range(0, 20, 2))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        raw[24:26] = (~total & 0xFFFF).to_bytes(2, "big")
        out.append(bytes(raw))
    return out


SNAT: tuple[Action, ...] = (
    SetField("eth_src", b"\x02\x00\x00\x00\x09\x01"),
    SetField("eth_dst", b"\x02\x00\x00\x00\x09\x02"),
    SetField("nw_ttl", 62),
    SetField("nw_src", 0xAC100002),
    SetField("src_port", 1024),
    Output(A),
    SetField("nw_dst", 0x0A000063),
    SetField("dst_port", 8080),
    Output(B),
)


def test_plans_match_apply_actions_for_tcp_and_udp() -> None:
    rng = random.Random(3)
    for kind in ("udp", "tcp"):
        frames = _frames(rng, kind, 200)
        plan = compile_plan(frames[0], SNAT)
        assert plan is not None
        for frame in frames:
            assert plan(frame) == apply_actions(frame, SNAT)


def test_udp_without_checksum_stays_without_and_macs_only_plans() -> None:
    frame = bytearray(_frames(random.Random(1), "udp", 1)[0])
    frame[40:42] = b"\0\0"
    plan = compile_plan(bytes(frame), SNAT)
    assert plan is not None and plan(bytes(frame)) == apply_actions(bytes(frame), SNAT)
    arp = builder.arp_request(sha="02:00:00:00:00:01", spa="10.0.0.1", tpa="10.0.0.2").serialize()
    macs: tuple[Action, ...] = (SetField("eth_dst", b"\x02" * 6), Output(A))
    plan = compile_plan(arp, macs)
    assert plan is not None and plan(arp) == apply_actions(arp, macs)


def test_what_plans_do_not_cover_goes_to_apply_actions() -> None:
    frame = _frames(random.Random(2), "udp", 1)[0]
    assert compile_plan(frame, (PushVlan(5), Output(A))) is None
    assert compile_plan(frame, (SetField("icmp_data_src", 1), Output(A))) is None
