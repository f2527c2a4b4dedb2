"""The Prometheus text the services expose."""

from __future__ import annotations

import pytest

from midonet.metrics import Registry


def test_counters_gauges_labels_histograms_and_failing_readers() -> None:
    r = Registry()
    r.counter("x_total", "things", lambda: 3)
    r.gauge("y", "by kind", lambda: [({"kind": 'a"b'}, 1.5), ({"kind": "c"}, 2)])
    r.gauge("broken", "fails", lambda: 1 / 0)
    h = r.histogram("lat_seconds", "latency", buckets=(0.1, 1.0))
    for value in (0.05, 0.5, 5.0):
        h.observe(value)
    r.text(lambda: "# TYPE other gauge\nother 1\n")
    text = r.render()
    assert "# TYPE x_total counter\nx_total 3\n" in text
    assert 'y{kind="a\\"b"} 1.5' in text and 'y{kind="c"} 2' in text
    assert "# broken unavailable: ZeroDivisionError" in text
    assert 'lat_seconds_bucket{le="0.1"} 1' in text
    assert 'lat_seconds_bucket{le="1.0"} 2' in text
    assert 'lat_seconds_bucket{le="+Inf"} 3' in text
    assert "lat_seconds_count 3" in text and "lat_seconds_sum 5.55" in text
    assert text.endswith("other 1\n")
    with pytest.raises(ValueError, match="already registered"):
        r.counter("x_total", "again", lambda: 0)
