"""ZooKeeper store: object create/get rates and watch latency with 10,000 objects
stored, beside raw kazoo doing the same with the same payloads.

    .venv/bin/python bench/store_zk.py [--objects 10000] [--ops 2000] [--samples 300]

A standalone ZooKeeper (Debian's package) is started in a temporary directory on a
free loopback port, warmed up, and stopped at the end. Cases:

  create        store.create(Router) one at a time      | kazoo create of the JSON
  get           store.get(Router, random stored id)     | kazoo get of the same znode
  watch         update by one client → another client's | kazoo set_data → the other
                Router type watch (callback) delivers    | client's data watch fires

Rates are operations per second on one thread; latencies are p50/p99 in ms. The
ratio compares each store figure with the raw kazoo baseline measured in this run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import uuid

from kazoo.client import KazooClient  # type: ignore[import-untyped]

from midonet.model import Router
from midonet.store import Create
from midonet.store.zookeeper import ZooKeeperStore
from midonet.testing.zookeeper import standalone


def rate(count: int, op: object) -> float:
    assert callable(op)
    start = time.perf_counter()
    for i in range(count):
        op(i)
    return count / (time.perf_counter() - start)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def bench_store(hosts: str, objects: int, ops: int, samples: int) -> dict[str, object]:
    out: dict[str, object] = {}
    with ZooKeeperStore(hosts, "/bench") as store, ZooKeeperStore(hosts, "/bench") as other:
        routers = [Router(name=f"router-{i}") for i in range(objects)]
        start = time.perf_counter()
        for i in range(0, objects, 500):
            store.commit([Create(r) for r in routers[i : i + 500]])
        out["fill"] = objects / (time.perf_counter() - start)
        new = [Router(name=f"new-{i}") for i in range(ops)]
        out["create"] = rate(ops, lambda i: store.create(new[i]))
        ids = [random.choice(routers).id for _ in range(ops)]
        out["get"] = rate(ops, lambda i: store.get(Router, ids[i]))

        arrived = threading.Event()
        wanted: list[str] = [""]

        def on_change(change: object) -> None:
            value = getattr(change, "value", None)
            if value is not None and value.name == wanted[0]:
                arrived.set()

        start = time.perf_counter()
        with other.watch(Router, callback=on_change) as w:
            w.wait_until(lambda v: len(v) >= objects + ops, timeout=120)
            out["watch_load"] = time.perf_counter() - start
            latencies = []
            for i in range(samples):
                target = routers[i % objects]
                wanted[0] = f"{target.name}-{i}"
                arrived.clear()
                t0 = time.perf_counter()
                store.update(target.replace(name=wanted[0]))
                if not arrived.wait(10):
                    raise TimeoutError("watch did not deliver")
                latencies.append(time.perf_counter() - t0)
        out["watch"] = percentiles(latencies)
    return out


def bench_kazoo(hosts: str, objects: int, ops: int, samples: int) -> dict[str, object]:
    out: dict[str, object] = {}
    a, b = KazooClient(hosts=hosts), KazooClient(hosts=hosts)
    a.start()
    b.start()
    try:
        a.ensure_path("/raw")
        payloads = [json.dumps(Router(name=f"router-{i}").to_dict()).encode() for i in range(ops)]
        paths = [f"/raw/{uuid.uuid4()}" for _ in range(ops)]
        out["create"] = rate(ops, lambda i: a.create(paths[i], payloads[i]))
        picks = [random.choice(paths) for _ in range(ops)]
        out["get"] = rate(ops, lambda i: a.get(picks[i]))

        fired = threading.Event()

        def watcher(event: object) -> None:
            fired.set()

        latencies = []
        for i in range(samples):
            path = paths[i % ops]
            b.get(path, watch=watcher)
            fired.clear()
            t0 = time.perf_counter()
            a.set(path, payloads[i % ops])
            if not fired.wait(10):
                raise TimeoutError("kazoo watch did not fire")
            b.get(path)  # the store re-reads the node too
            latencies.append(time.perf_counter() - t0)
        out["watch"] = percentiles(latencies)
    finally:
        a.stop()
        b.stop()
        a.close()
        b.close()
    return out


def warm_up(hosts: str, count: int = 3000) -> None:
    """Let the server's JIT settle first, so neither side measures a cold JVM."""
    client = KazooClient(hosts=hosts)
    client.start()
    try:
        client.ensure_path("/warm")
        for i in range(count):
            client.create(f"/warm/{i}", b"x" * 200)
            client.get(f"/warm/{i}")
        client.delete("/warm", recursive=True)
    finally:
        client.stop()
        client.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--objects", type=int, default=10_000)
    p.add_argument("--ops", type=int, default=2000)
    p.add_argument("--samples", type=int, default=300)
    args = p.parse_args()
    with standalone() as server:
        warm_up(server.address)
        raw = bench_kazoo(server.address, args.objects, args.ops, args.samples)
        store = bench_store(server.address, args.objects, args.ops, args.samples)
    print(f"ZooKeeper store, {args.objects} routers stored (filled at {store['fill']:.0f}/s)")
    print(f"{'case':<8}{'store':>16}{'raw kazoo':>16}{'ratio':>8}")
    for case in ("create", "get"):
        s, r = float(store[case]), float(raw[case])  # type: ignore[arg-type]
        print(f"{case:<8}{s:>12.0f} op/s{r:>12.0f} op/s{s / r:>8.2f}")
    (s50, s99), (r50, r99) = store["watch"], raw["watch"]  # type: ignore[misc]
    print(f"{'watch':<8}{s50:>8.2f}/{s99:.2f} ms{r50:>8.2f}/{r99:.2f} ms{s50 / r50:>8.2f}")
    print(f"(watch: p50/p99 write→notified; type watch of {args.objects + args.ops} routers")
    print(f" loaded in {store['watch_load']:.2f}s; ratio is of the p50s)")


if __name__ == "__main__":
    main()
