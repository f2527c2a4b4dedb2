"""Simulation and flow-hit rates on the canonical path, beside the codec's parse.

    .venv/bin/python bench/simulation.py [--repeat 5] [--min-time 0.3]

The topology: a VM's exterior port → a bridge → a tenant router whose inbound and
outbound filters each hold 20 rules (19 that do not match the packet, on varied
fields, then an accept) → an interior link to an edge router → its exterior uplink.

  parse         midonet.packets.parse(frame), the codec's bare decode (baseline)
  simulate      simulate(frame, port, topology, state, now) with the packet's
                FlowMatch given (the datapath has it from the flow-table miss),
                trace off, over 1,000 distinct flows (new-flow simulations)
  simulate+snat the same with a dynamic SNAT rule (to the tenant router's uplink
                address, ports 1024-65535) before the outbound filter's accept:
                each simulation translates a new connection (its state changes are
                not written back, so every one allocates a binding)
  flow hit      match_frame(frame) + FlowTable.lookup → the flow's actions, over the
                same 1,000 frames, all installed from their simulations

Each case runs `--repeat` times for at least `--min-time` seconds; the best and the
median rates are printed, with each case's cost relative to one parse. One process,
one core.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from midonet.agent.flows.table import FlowTable
from midonet.agent.simulation import FakeSimulationState, Outcome, install, simulate
from midonet.agent.simulation.flow import Actions
from midonet.packets import builder, parse
from midonet.packets.match import FlowMatch, match_frame
from midonet.testing.topology_spec import BuiltTopology, build_topology

FLOWS = 1_000
VM_MAC = "02:00:00:00:00:05"
TENANT_MAC = "02:00:00:00:01:01"


def _filler_rules(prefix: str) -> list[dict[str, Any]]:
    """19 rules that each test fields of the packet and do not match it."""
    rules: list[dict[str, Any]] = []
    for i in range(19):
        kind = i % 4
        if kind == 0:
            rules.append({"type": "drop", "dl_type": 2048, "nw_src": f"172.{16 + i}.0.0/16"})
        elif kind == 1:
            rules.append({"type": "drop", "nw_proto": 6, "tp_dst": [1000 + i, 1000 + i]})
        elif kind == 2:
            rules.append({"type": "drop", "nw_dst": f"192.0.{i}.0/24", "nw_proto": 17})
        else:
            rules.append({"type": "drop", "dl_src": f"02:aa:00:00:00:{i:02x}"})
    rules.append({"type": "accept", "dl_type": 2048, "name": f"{prefix}-accept"})
    return rules


def canonical(snat: bool = False) -> BuiltTopology:
    out = _filler_rules("out")
    if snat:
        out.insert(-1, {"type": "snat", "out_ports": ["t-up"], "target": "169.254.0.1:1024-65535"})
    return build_topology(
        {
            "bridges": ["b1"],
            "routers": {
                "tenant": {"inbound_filter": "in", "outbound_filter": "out"},
                "edge": {},
            },
            "ports": {
                "vm": {"bridge": "b1"},
                "b1-t": {"bridge": "b1", "peer": "t-b1"},
                "t-b1": {"router": "tenant", "address": "10.0.0.1/24", "mac": TENANT_MAC},
                "t-up": {
                    "router": "tenant",
                    "address": "169.254.0.1/30",
                    "mac": "02:00:00:00:01:02",
                    "peer": "e-down",
                },
                "e-down": {
                    "router": "edge",
                    "address": "169.254.0.2/30",
                    "mac": "02:00:00:00:02:01",
                },
                "e-ext": {
                    "router": "edge",
                    "address": "198.51.100.1/24",
                    "mac": "02:00:00:00:02:02",
                },
            },
            "chains": {"in": _filler_rules("in"), "out": out},
            "routes": [
                {"router": "tenant", "dst": "0.0.0.0/0", "via": "t-up", "gateway": "169.254.0.2"},
                {"router": "edge", "dst": "10.0.0.0/24", "via": "e-down", "gateway": "169.254.0.1"},
                {"router": "edge", "dst": "0.0.0.0/0", "via": "e-ext", "gateway": "198.51.100.254"},
            ],
        }
    )


def frames() -> list[bytes]:
    return [
        builder.udp_frame(
            src_mac=VM_MAC,
            dst_mac=TENANT_MAC,
            src_ip="10.0.0.5",
            dst_ip="203.0.113.9",
            src_port=10_000 + i,
            dst_port=53,
            payload=b"q" * 18,
        ).serialize()
        for i in range(FLOWS)
    ]


def measure(op: Callable[[int], None], ops: int, repeat: int, min_time: float) -> list[float]:
    rates = []
    for _ in range(repeat):
        done, start = 0, time.perf_counter()
        while True:
            op(ops)
            done += ops
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(done / elapsed)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.3)
    args = parser.parse_args()

    built = canonical()
    topology, vm = built.topology, built.id("vm")
    state = FakeSimulationState()
    state.learn_mac(built.id("b1"), bytes.fromhex(VM_MAC.replace(":", "")), vm)
    state.learn_arp(
        built.id("edge"), builder.ip4("198.51.100.254"), b"\x02\x00\x00\x00\xfe\x01", 0.0
    )
    packets = frames()
    matches = [match_frame(f, 1) for f in packets]
    first = simulate(packets[0], vm, topology, state, 1.0, match=matches[0])
    if first.outcome is not Outcome.FORWARD or first.output_ports != (built.id("e-ext"),):
        raise SystemExit(f"the canonical path does not forward: {first}")

    snat_built = canonical(snat=True)
    snat_topology = snat_built.topology
    translated = simulate(packets[0], vm, snat_topology, state, 1.0, match=matches[0])
    if not any(getattr(a, "field", None) == "nw_src" for a in translated.actions):
        raise SystemExit(f"the SNAT path does not translate: {translated}")

    table: FlowTable[FlowMatch, Actions] = FlowTable()
    for frame, match in zip(packets, matches, strict=True):
        install(table, match, simulate(frame, vm, topology, state, 1.0, match=match), 1.0)

    def parse_op(n: int) -> None:
        for i in range(n):
            parse(packets[i % FLOWS])

    def simulate_op(n: int) -> None:
        for i in range(n):
            j = i % FLOWS
            simulate(packets[j], vm, topology, state, 1.0, match=matches[j])

    def snat_op(n: int) -> None:
        for i in range(n):
            j = i % FLOWS
            simulate(packets[j], vm, snat_topology, state, 1.0, match=matches[j])

    def hit_op(n: int) -> None:
        lookup = table.lookup
        for i in range(n):
            flow = lookup(match_frame(packets[i % FLOWS], 1), 1.0)
            assert flow is not None
            flow.actions  # noqa: B018  (the datapath reads them)

    cases = [
        ("parse", parse_op),
        ("simulate", simulate_op),
        ("simulate+snat", snat_op),
        ("flow hit", hit_op),
    ]
    print(f"python {platform.python_version()} on {platform.machine()}, one core")
    results = {}
    for name, op in cases:
        results[name] = measure(op, FLOWS, args.repeat, args.min_time)
    base = max(results["parse"])
    for name, rates in results.items():
        best, median = max(rates), statistics.median(rates)
        print(
            f"{name:13} best {best:>11,.0f}/s  median {median:>11,.0f}/s  "
            f"{base / best:6.2f}x the cost of a parse"
        )


if __name__ == "__main__":
    main()
