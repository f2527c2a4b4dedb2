"""NSDB client metrics, named after MidoNet's StorageCounter/StorageTimer/StorageGauge
meters (Operations Guide, "Monitoring Network State Database"), rendered in
Prometheus' text format by `render_prometheus` for a cluster to expose.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from midonet.errors import ConcurrentModification, NotFound, ObjectExists, ReferenceConflict

COUNTERS = {
    "concurrent_modification": "updates refused because the object changed since it was read",
    "object_not_found": "operations on an object that does not exist",
    "object_exists": "creates of an object whose id is taken",
    "object_reference": "writes refused by referential integrity",
    "transaction_retries": "transactions retried after a concurrent write",
    "node_triggered": "ZooKeeper data watches triggered",
    "children_triggered": "ZooKeeper children watches triggered",
    "connections_created": "ZooKeeper connections established",
    "connections_lost": "ZooKeeper connections suspended or lost",
}
TIMERS = {
    "read": "reads of one node",
    "read_children": "reads of a node's children",
    "write": "single-node writes",
    "multi": "multi-op transactions",
}
STATES = ("CONNECTED", "SUSPENDED", "LOST", "RECONNECTED", "CLOSED")

_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (ConcurrentModification, "concurrent_modification"),
    (NotFound, "object_not_found"),
    (ObjectExists, "object_exists"),
    (ReferenceConflict, "object_reference"),
)


@dataclass(slots=True)
class Timer:
    count: int = 0
    total: float = 0.0
    max: float = 0.0


class StoreMetrics:
    """Thread-safe counters, timers and the connection-state gauge of one store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.timers = {name: Timer() for name in TIMERS}
        self.connection_state = "CONNECTING"
        self.gauges: dict[str, Callable[[], int]] = {}

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                timer = self.timers[name]
                timer.count += 1
                timer.total += elapsed
                timer.max = max(timer.max, elapsed)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Count the protocol errors raised inside the block (and re-raise them)."""
        try:
            yield
        except Exception as e:
            for cls, name in _ERRORS:
                if isinstance(e, cls):
                    self.count(name)
                    break
            raise

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "counters": dict(self.counters),
                "timers": {k: (t.count, t.total, t.max) for k, t in self.timers.items()},
                "connection_state": self.connection_state,
            }


def render_prometheus(metrics: StoreMetrics, prefix: str = "midonet_nsdb") -> str:
    """The metrics in Prometheus' text exposition format (version 0.0.4)."""
    with metrics._lock:
        counters = dict(metrics.counters)
        timers = {k: Timer(t.count, t.total, t.max) for k, t in metrics.timers.items()}
        state = metrics.connection_state
    lines: list[str] = []
    for name, value in counters.items():
        full = f"{prefix}_{name}_total"
        lines += [f"# HELP {full} {COUNTERS[name]}", f"# TYPE {full} counter", f"{full} {value}"]
    for name, timer in timers.items():
        full = f"{prefix}_{name}_seconds"
        lines += [
            f"# HELP {full} {TIMERS[name]}",
            f"# TYPE {full} summary",
            f"{full}_count {timer.count}",
            f"{full}_sum {timer.total:.6f}",
            f"# HELP {full}_max slowest of the {TIMERS[name]}",
            f"# TYPE {full}_max gauge",
            f"{full}_max {timer.max:.6f}",
        ]
    full = f"{prefix}_connection_state"
    lines += [f"# HELP {full} 1 for the current ZooKeeper connection state", f"# TYPE {full} gauge"]
    lines += [f'{full}{{state="{s}"}} {int(s == state)}' for s in STATES]
    for name, gauge in sorted(metrics.gauges.items()):
        full = f"{prefix}_{name}"
        lines += [f"# TYPE {full} gauge", f"{full} {gauge()}"]
    return "\n".join(lines) + "\n"
