"""Meters fed by flows (no per-packet work) and mm-trace filters (matching, limits,
the syntax they print)."""

from __future__ import annotations

import pytest

from midonet.agent.flows.table import FlowTable
from midonet.agent.meters import MeterRegistry
from midonet.agent.tracing import PacketTracer, PacketTracers
from midonet.errors import ValidationError
from midonet.packets import builder
from midonet.packets.match import FlowMatch, match_frame


def frame_match(dst: str = "192.0.2.1", dport: int = 80) -> FlowMatch:
    frame = builder.tcp_frame(
        src_mac="02:00:00:00:00:01",
        dst_mac="02:00:00:00:00:02",
        src_ip="10.0.0.1",
        dst_ip=dst,
        src_port=1000,
        dst_port=dport,
    ).serialize()
    return match_frame(frame, 1)


def test_a_meter_is_its_removed_flows_plus_its_live_flows() -> None:
    meters = MeterRegistry()
    table: FlowTable[str, int] = FlowTable(on_removed=lambda f, _: meters.flow_removed(f))
    a = table.install("a", 0, (), 0.0)
    b = table.install("b", 0, (), 0.0)
    meters.track(a, ("meters:device:x", "meters:user:web"))
    meters.track(b, ("meters:device:x",))
    meters.count(("meters:device:x", "meters:user:web"), 100)  # each flow's first packet
    for _ in range(3):
        table.lookup("a", 1.0, 100)
    table.lookup("b", 1.0, 60)
    assert meters.get("meters:device:x") == (5, 460)
    assert meters.get("meters:user:web") == (4, 400)
    table.remove("a")
    table.lookup("b", 2.0, 60)
    assert meters.get("meters:device:x") == (6, 520)  # a's counts were kept
    assert meters.get("meters:user:web") == (4, 400)
    assert meters.names() == ["meters:device:x", "meters:user:web"]
    assert meters.get("meters:port:rx:nope") is None


def test_tracers_print_what_add_takes_and_match_until_their_limit() -> None:
    tracers = PacketTracers()
    tracer = PacketTracer.from_json({"level": "debug", "ip-dst": "192.0.2.1", "limit": "2"})
    assert tracer.spec() == "--debug --ip-dst 192.0.2.1 --limit 2"
    other = PacketTracer.from_json({"level": "trace", "ip-src": "10.0.0.1", "dst-port": "80"})
    assert other.spec() == "--trace --ip-src 10.0.0.1 --dst-port 80"
    tracers.add(tracer)
    tracers.add(other)
    assert tracers.matching(frame_match(dport=22)) is tracer
    assert tracers.matching(frame_match(dport=22)) is tracer
    assert not tracer.live  # spent after two packets
    assert tracers.matching(frame_match(dport=22)) is None
    assert tracers.matching(frame_match(dst="198.51.100.1")) is other
    assert tracers.active
    assert [t.spec() for t in tracers.list(live_only=True)] == [other.spec()]
    assert (
        tracers.remove(
            PacketTracer.from_json({"level": "trace", "ip-src": "10.0.0.1", "dst-port": 80})
        )
        == 1
    )
    assert not tracers.active
    assert tracers.flush(dead_only=True) == 1
    assert tracers.list() == []


def test_bad_tracer_options_are_named() -> None:
    with pytest.raises(ValidationError) as e:
        PacketTracer.from_json({"ip-dst": "1.2.3", "dst-port": "http", "colour": "red"})
    text = str(e.value)
    assert "ip-dst" in text and "dst-port" in text and "colour" in text
    with pytest.raises(ValidationError, match="not within"):
        PacketTracer.from_json({"src-port": 70000})


def test_cookies_count_up() -> None:
    tracers = PacketTracers()
    assert [tracers.next_cookie() for _ in range(3)] == ["cookie:0x1", "cookie:0x2", "cookie:0x3"]
