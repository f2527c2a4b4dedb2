"""Memory per connection in the agent's flow-state table, at 1M connections.

    .venv/bin/python bench/conntrack.py [--connections 1000000]

Each connection is what a SNATed, tracked TCP connection leaves in the agent's
`FlowStateTable`: one conntrack entry (the reply's key) and two NAT entries (the
forward key → binding, the return key → original source), each with its deadline
and expiry-queue item. Distinct clients (10.x.y.z) and ports, one server, one
router. Memory is what tracemalloc sees allocated by filling the table.

Baseline, measured in the same run: the least a Python program could keep for the
same facts — one dict from a plain 5-tuple to a 2-tuple for NAT (twice) and a set of
plain 5-tuples for conntrack, no deadlines, no device ids.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
import uuid
from collections.abc import Callable

from midonet.agent.simulation.result import ConnTrackAdded, NatBound
from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey, NatKind
from midonet.agent.state.flow_state import FlowStateTable

SERVER = (203 << 24) | (113 << 8) | 5
PUBLIC = (198 << 24) | (51 << 16) | (100 << 8) | 2
ROUTER = uuid.uuid4()


def client(i: int) -> tuple[int, int]:
    return (10 << 24) | (i // 60000 + 1 << 8) | (i % 250), 1024 + i % 60000


def fill_table(n: int) -> object:
    table = FlowStateTable()
    for i in range(n):
        ip, port = client(i)
        binding = NatBinding(PUBLIC + i // 64000, 1024 + i % 64000)
        fwd = NatKey(NatKind.FWD_SNAT, ip, port, SERVER, 443, 6, ROUTER)
        table.apply(NatBound(fwd, binding), 0.0)
        table.apply(NatBound(fwd.return_key(binding), fwd.return_binding()), 0.0)
        table.apply(ConnTrackAdded(ConnTrackKey(SERVER, 443, ip, port, 6, ROUTER)), 0.0)
    return table


def fill_baseline(n: int) -> object:
    forward: dict[tuple[int, int, int, int, int], tuple[int, int]] = {}
    back: dict[tuple[int, int, int, int, int], tuple[int, int]] = {}
    tracked: set[tuple[int, int, int, int, int]] = set()
    for i in range(n):
        ip, port = client(i)
        public, public_port = PUBLIC + i // 64000, 1024 + i % 64000
        forward[(ip, port, SERVER, 443, 6)] = (public, public_port)
        back[(SERVER, 443, public, public_port, 6)] = (ip, port)
        tracked.add((SERVER, 443, ip, port, 6))
    return forward, back, tracked


def measure(fill: Callable[[int], object], n: int) -> tuple[float, object]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = fill(n)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.connections
    base, kept = measure(fill_baseline, n)
    del kept
    ours, table = measure(fill_table, n)
    assert isinstance(table, FlowStateTable) and len(table) == 3 * n
    print(f"{n:,} connections (1 conntrack + 2 NAT entries each)")
    print(f"baseline (plain tuples in dicts) {base:8.0f} bytes/connection")
    print(
        f"FlowStateTable                   {ours:8.0f} bytes/connection"
        f"  ({ours / 3:.0f} bytes/entry, {ours / base:.2f}x the baseline)"
    )


if __name__ == "__main__":
    main()
