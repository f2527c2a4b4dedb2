"""Metrics in the Prometheus text exposition format (version 0.0.4).

A `Registry` holds counters, gauges and histograms. Most values already live where
the work happens (the pipeline's counters, the flow table's size), so a metric may
be a callback read at scrape time: nothing is added to the per-packet path. Only
histograms are fed as things happen (a simulation's latency, observed per simulated
packet, not per forwarded one).

`docs/metrics.md` lists each metric with the MidoNet JMX name it stands for.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = Mapping[str, str]
Sample = tuple[Labels, float]
Reader = Callable[[], float | Iterable[Sample]]
"""A value read at scrape time: one number, or (labels, value) samples."""

LATENCY_BUCKETS = (
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
)
"""Seconds: a simulation takes tens of microseconds; a slow one milliseconds."""


@dataclass(slots=True)
class _Metric:
    name: str
    kind: str  # counter | gauge
    help: str
    read: Reader


@dataclass(slots=True)
class Histogram:
    name: str
    help: str
    buckets: Sequence[float] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        """Count one observation (single writer: the thread that owns it)."""
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        cumulative = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            lines.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {cumulative}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {_number(self.total)}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


class Registry:
    """The metrics one process exposes."""

    def __init__(self) -> None:
        self._metrics: list[_Metric | Histogram] = []
        self._texts: list[Callable[[], str]] = []
        self._lock = threading.Lock()

    def counter(self, name: str, help: str, read: Reader) -> None:
        self._add(_Metric(name, "counter", help, read))

    def gauge(self, name: str, help: str, read: Reader) -> None:
        self._add(_Metric(name, "gauge", help, read))

    def histogram(
        self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> Histogram:
        histogram = Histogram(name, help, tuple(buckets))
        self._add(histogram)
        return histogram

    def add(self, histogram: Histogram) -> None:
        """Expose a histogram its owner feeds (e.g. the pipeline's latency)."""
        self._add(histogram)

    def text(self, render: Callable[[], str]) -> None:
        """Append exposition text rendered elsewhere (the NSDB client's metrics)."""
        with self._lock:
            self._texts.append(render)

    def _add(self, metric: _Metric | Histogram) -> None:
        with self._lock:
            if any(m.name == metric.name for m in self._metrics):
                raise ValueError(f"metric {metric.name} is already registered")
            self._metrics.append(metric)

    def render(self) -> str:
        """The exposition text; a reader that fails is reported as a comment, never
        as a failed scrape."""
        with self._lock:
            metrics = list(self._metrics)
            texts = list(self._texts)
        lines: list[str] = []
        for metric in metrics:
            if isinstance(metric, Histogram):
                lines.extend(metric.render())
                continue
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            try:
                value = metric.read()
            except Exception as e:  # a scrape must not fail because one value did
                lines.append(f"# {metric.name} unavailable: {type(e).__name__}: {e}")
                continue
            if isinstance(value, int | float):
                lines.append(f"{metric.name} {_number(value)}")
            else:
                for labels, sample in value:
                    lines.append(f"{metric.name}{_labels(labels)} {_number(sample)}")
        for render in texts:
            try:
                lines.append(render().rstrip("\n"))
            except Exception as e:
                lines.append(f"# unavailable: {type(e).__name__}: {e}")
        return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))
