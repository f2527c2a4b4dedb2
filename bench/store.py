"""Embedded store: creates/s, gets/s and watch latency, beside raw SQLite.

    .venv/bin/python bench/store.py [--objects 10000] [--latency-samples 500]

Creates and gets run with `--objects` routers stored; watch latency is the time from
just before a write to the watcher's callback, in the same process and with the
watcher in another process (clocks: CLOCK_MONOTONIC, shared by processes). The
baseline is raw `sqlite3` on a file with the same pragmas (WAL, synchronous=NORMAL):
one INSERT per transaction and a SELECT by primary key, of the same JSON payloads.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from midonet.model import Router
from midonet.store import Create, EmbeddedStore
from midonet.store.watch import Change


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


# --- baseline ---------------------------------------------------------------------------


def raw_sqlite(path: Path, payloads: list[tuple[str, str]]) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t(id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID")
    start = time.perf_counter()
    commit_times = []
    for id, data in payloads:
        t0 = time.monotonic()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t(id, data) VALUES (?, ?)", (id, data))
        conn.execute("COMMIT")
        commit_times.append(time.monotonic() - t0)
    inserts = rate(len(payloads), time.perf_counter() - start)
    ids = [p[0] for p in payloads]
    random.shuffle(ids)
    start = time.perf_counter()
    for id in ids:
        conn.execute("SELECT data FROM t WHERE id = ?", (id,)).fetchone()
    selects = rate(len(ids), time.perf_counter() - start)
    conn.close()
    return {"insert": inserts, "select": selects, "commit_p50": percentiles(commit_times)[0]}


# --- the store --------------------------------------------------------------------------


def measure_latency(store: EmbeddedStore, routers: list[Router], samples: int) -> list[float]:
    """Paced updates; each sample is write start → this process's callback."""
    arrived: dict[tuple[uuid.UUID, str], float] = {}
    cond = threading.Condition()

    def on_change(change: Change[uuid.UUID, Router]) -> None:
        if change.value is not None:
            with cond:
                arrived[(change.key, change.value.name)] = time.monotonic()
                cond.notify_all()

    latencies = []
    with store.watch(Router, callback=on_change):
        for i in range(samples):
            router = routers[i % len(routers)]
            name = f"lat-{i}"
            sent = time.monotonic()
            store.update(router.replace(name=name))
            with cond:
                if not cond.wait_for(lambda r=router, n=name: (r.id, n) in arrived, timeout=10):
                    raise TimeoutError("watcher not notified within 10 s")
                latencies.append(arrived[(router.id, name)] - sent)
    return latencies


def remote_watcher(path: str, expect: int, ready: Any, out: Any) -> None:
    """Child process: follow Router; report creates seen and update latencies."""
    store = EmbeddedStore(path)
    seen: set[uuid.UUID] = set()
    latencies: list[float] = []
    all_seen = threading.Event()
    done = threading.Event()

    def on_change(change: Change[uuid.UUID, Router]) -> None:
        now = time.monotonic()
        if change.value is None:
            return
        name = change.value.name
        if name.startswith("sent@"):
            latencies.append(now - float(name.removeprefix("sent@")))
        elif name == "stop":
            done.set()
        elif name.startswith("watched-"):
            seen.add(change.key)
            if len(seen) >= expect:
                all_seen.set()

    with store.watch(Router, callback=on_change):
        ready.set()
        all_seen.wait(600)
        out.put(("seen", time.monotonic()))
        done.wait(600)
        out.put(("latencies", latencies))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=500)
    args = parser.parse_args()
    n, samples = args.objects, args.latency_samples

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        routers = [Router(name=f"router-{i}", tenant_id="bench") for i in range(n)]
        payloads = [(str(r.id), json.dumps(r.to_dict(), separators=(",", ":"))) for r in routers]
        base = raw_sqlite(Path(tmp) / "raw.db", payloads)

        path = str(Path(tmp) / "nsdb.db")
        store = EmbeddedStore(path)
        start = time.perf_counter()
        for r in routers:
            store.create(r)
        creates = rate(n, time.perf_counter() - start)

        batch = [Router(name=f"batch-{i}") for i in range(n)]
        start = time.perf_counter()
        for i in range(0, n, 500):
            store.commit([Create(r) for r in batch[i : i + 500]])
        batched = rate(n, time.perf_counter() - start)

        ids = [r.id for r in routers]
        random.shuffle(ids)
        start = time.perf_counter()
        for id in ids:
            store.get(Router, id)
        gets_cold = rate(n, time.perf_counter() - start)
        start = time.perf_counter()
        for id in ids:
            store.get(Router, id)
        gets_warm = rate(n, time.perf_counter() - start)

        local = percentiles(measure_latency(store, routers, samples))

        # Two processes: a watcher in a child, this process writes.
        ctx = multiprocessing.get_context("spawn")
        ready, out = ctx.Event(), ctx.Queue()
        more = [Router(name=f"watched-{i}") for i in range(n)]
        child = ctx.Process(target=remote_watcher, args=(path, n, ready, out), daemon=True)
        child.start()
        ready.wait(60)
        start_mono, start = time.monotonic(), time.perf_counter()
        for r in more:
            store.create(r)
        watched_creates = rate(n, time.perf_counter() - start)
        _, seen_at = out.get(timeout=600)
        delivered = rate(n, seen_at - start_mono)
        for i in range(samples):
            store.update(more[i % n].replace(name=f"sent@{time.monotonic()!r}"))
            time.sleep(0.002)  # paced: measure latency, not a queue
        store.update(more[0].replace(name="stop"))
        _, remote = out.get(timeout=600)
        child.join(60)
        remote_p = percentiles(remote)
        store.close()

    print(f"embedded store, {n} routers stored, poll interval 2 ms")
    print(f"{'':34}{'store':>12}{'raw sqlite3':>14}{'ratio':>9}")

    def row(name: str, value: float, baseline: float | None = None, unit: str = "/s") -> None:
        if baseline is None:
            print(f"{name:34}{value:>10,.0f}{unit}")
        else:
            print(f"{name:34}{value:>10,.0f}{unit}{baseline:>12,.0f}{unit}{value / baseline:>9.2f}")

    row("creates (1 per transaction)", creates, base["insert"])
    row("creates (500 per transaction)", batched, base["insert"])
    row("creates, watched by 2nd process", watched_creates, base["insert"])
    row("gets (decode)", gets_cold, base["select"])
    row("gets (decoded-object cache)", gets_warm, base["select"])
    row("creates delivered to 2nd process", delivered, base["insert"])
    raw_ms = base["commit_p50"] * 1000
    print(f"{'raw sqlite3 commit latency p50':34}{raw_ms:>10.2f}ms")
    for name, (p50, p99) in (("watch latency, same process", local),
                             ("watch latency, other process", remote_p)):  # fmt: skip
        print(
            f"{name:34}{p50 * 1000:>10.2f}ms p50 {p99 * 1000:>8.2f}ms p99"
            f"{p50 / base['commit_p50']:>9.1f}x raw commit"
        )


if __name__ == "__main__":
    main()
