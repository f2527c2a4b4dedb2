"""The cluster's metrics: API requests by method and status, their latency, which
NSDB backend serves, and (ZooKeeper) the NSDB client's own metrics as the guide's
StorageCounter/StorageTimer/StorageGauge (`docs/metrics.md`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from midonet.metrics import Histogram, Registry, Sample
from midonet.store.base import Store
from midonet.store.zk_metrics import StoreMetrics, render_prometheus

P = "midonet_api_"


class ApiMetrics:
    def __init__(self, store: Store) -> None:
        self._lock = threading.RLock()  # render() holds it while _samples() reads
        self._requests: dict[tuple[str, int], int] = {}
        self.registry = Registry()
        self._latency: Histogram = self.registry.histogram(
            P + "request_latency_seconds", "Time to answer one API request"
        )
        self.registry.counter(
            P + "requests_total", "API requests answered, by method and status", self._samples
        )
        store_metrics = getattr(store, "metrics", None)
        backend = "zookeeper" if isinstance(store_metrics, StoreMetrics) else "embedded"
        self.registry.gauge(
            "midonet_nsdb_backend",
            "1 for the NSDB backend this cluster uses",
            lambda: [({"backend": backend}, 1.0)],
        )
        if isinstance(store_metrics, StoreMetrics):
            self.registry.text(lambda: render_prometheus(store_metrics))

    def observe(self, method: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, status)
            self._requests[key] = self._requests.get(key, 0) + 1
            self._latency.observe(seconds)

    def _samples(self) -> Iterable[Sample]:
        with self._lock:
            counts = sorted(self._requests.items())
        return [({"method": m, "status": str(s)}, float(n)) for (m, s), n in counts]

    def render(self) -> str:
        with self._lock:  # the histogram is written under this lock too
            return self.registry.render()
