"""Per-packet costs on the datapath's hot path, beside a bare struct unpack.

    .venv/bin/python bench/packets.py [--repeat 7] [--min-time 0.2]

All cases read the same 64-byte Ethernet/IPv4/UDP frame:

  baseline     one precompiled Struct unpacking the 14 + 20 + 8 header fields
  parse        midonet.packets.parse(frame) (checksums verified, the default),
               and again with verify_checksums=False
  FlowMatch    midonet.packets.match.match_frame(frame, in_port)
  flow hit     match_frame + a dict lookup in a 10,000-entry flow table
  FlowTable    match_frame + midonet.agent.flows.FlowTable.lookup (packet accounting)
  10k frames   flow hits cycling over 10,000 distinct frames, all installed

Each case runs `--repeat` times, each time for at least `--min-time` seconds; the
best and the median rate are printed with the cost per operation relative to the
baseline's best. Everything runs in this one process, on one core.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import struct
import time
from collections.abc import Callable
from itertools import repeat

from midonet.agent.flows.table import FlowTable
from midonet.packets import parse
from midonet.packets.match import FlowMatch, match_frame

IN_PORT = 3
TABLE_SIZE = 10_000
# Ethernet (dst, src, type), IPv4 (10 fields), UDP (4 fields): 14 + 20 + 8 bytes.
BASELINE = struct.Struct("!6s6sHBBHHHBBHIIHHHH")
_UDP_FRAME = struct.Struct("!6s6sHBBHHHBBHIIHHHH22s")


def udp_frame(src_ip: int, src_port: int) -> bytes:
    """A 64-byte Ethernet/IPv4/UDP frame (checksums zero: the IP one is fixed below)."""
    frame = bytearray(
        _UDP_FRAME.pack(
            b"\x02\x00\x00\x00\x00\x02",
            b"\x02\x00\x00\x00\x00\x01",
            0x0800,
            0x45,
            0,
            50,
            1,
            0x4000,
            64,
            17,
            0,
            src_ip,
            0x0A000002,
            src_port,
            53,
            30,
            0,
            b"x" * 22,
        )
    )
    total = sum(struct.unpack_from("!10H", frame, 14))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into("!H", frame, 24, ~total & 0xFFFF)
    assert len(frame) == 64
    return bytes(frame)


FRAME = udp_frame(0x0A000001, 5353)


# Each case is a loop running `n` operations; the loop is part of every case,
# the baseline included, so the ratios compare like with like.


def case_baseline(n: int) -> None:
    unpack, frame = BASELINE.unpack_from, FRAME
    for _ in repeat(None, n):
        unpack(frame)


def case_parse(n: int) -> None:
    frame = FRAME
    for _ in repeat(None, n):
        parse(frame)


def case_parse_unverified(n: int) -> None:
    frame = FRAME
    for _ in repeat(None, n):
        parse(frame, verify_checksums=False)


def case_match(n: int) -> None:
    match, frame = match_frame, FRAME
    for _ in repeat(None, n):
        match(frame, IN_PORT)


def _table() -> dict[FlowMatch, object]:
    """10,000 installed flows, one of them FRAME's, the others differing in source."""
    key = match_frame(FRAME, IN_PORT)
    table: dict[FlowMatch, object] = {
        key.replace(nw_src=key.nw_src + i, src_port=1024 + i): ("output", i)
        for i in range(1, TABLE_SIZE)
    }
    table[key] = ("output", 0)
    assert len(table) == TABLE_SIZE
    return table


TABLE = _table()


def case_flow_hit(n: int) -> None:
    match, frame, table = match_frame, FRAME, TABLE
    for _ in repeat(None, n):
        table[match(frame, IN_PORT)]


FLOW_TABLE: FlowTable[FlowMatch, object] = FlowTable(max_flows=TABLE_SIZE)
for _key, _actions in TABLE.items():
    FLOW_TABLE.install(_key, _actions, (), 0.0)


def case_flow_table(n: int) -> None:
    match, frame, lookup = match_frame, FRAME, FLOW_TABLE.lookup
    size = len(frame)
    for _ in repeat(None, n):
        if lookup(match(frame, IN_PORT), 1.0, size) is None:
            raise AssertionError("flow table miss")


FRAMES = [udp_frame(0x0A000001 + i, 1024 + i) for i in range(TABLE_SIZE)]
DISTINCT = {match_frame(f, IN_PORT): ("output", i) for i, f in enumerate(FRAMES)}


def case_distinct_hits(n: int) -> None:
    match, frames, table = match_frame, FRAMES, DISTINCT
    rounds, rest = divmod(n, len(frames))
    for batch in [frames] * rounds + [frames[:rest]]:
        for frame in batch:
            table[match(frame, IN_PORT)]


CASES: list[tuple[str, Callable[[int], None]]] = [
    ("baseline: struct.unpack_from, 17 fields", case_baseline),
    ("parse(frame)", case_parse),
    ("parse(frame, verify_checksums=False)", case_parse_unverified),
    ("FlowMatch: match_frame(frame, port)", case_match),
    ("flow hit: match_frame + dict[10k]", case_flow_hit),
    ("FlowTable.lookup(match_frame) [10k]", case_flow_table),
    ("flow hits over 10k distinct frames", case_distinct_hits),
]


def calibrate(run: Callable[[int], None], min_time: float) -> int:
    n = 1000
    while True:
        start = time.perf_counter()
        run(n)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return n
        n = max(n * 2, int(n * min_time / max(elapsed, 1e-9) * 1.2))


def measure(run: Callable[[int], None], repeats: int, min_time: float) -> list[float]:
    """Rates in operations per second, one per repetition."""
    n = calibrate(run, min_time)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(n)
        rates.append(n / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per case")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per repetition")
    args = parser.parse_args()

    assert match_frame(FRAME, IN_PORT) in TABLE
    assert parse(FRAME).payload is not None
    print(f"Python {platform.python_version()} on {platform.machine()}; frame: {len(FRAME)} bytes")
    print(f"{args.repeat} repetitions of >= {args.min_time}s each; rates in operations/s\n")
    header = f"{'case':42} {'best':>12} {'median':>12} {'ns/op':>8} {'x baseline':>11}"
    print(header)
    print("-" * len(header))
    baseline_best = 0.0
    for name, run in CASES:
        rates = measure(run, args.repeat, args.min_time)
        best, median = max(rates), statistics.median(rates)
        if run is case_baseline:
            baseline_best = best
        ratio = baseline_best / best  # how many baseline unpacks one operation costs
        print(f"{name:42} {best:12,.0f} {median:12,.0f} {1e9 / best:8.0f} {ratio:10.2f}x")


if __name__ == "__main__":
    main()
