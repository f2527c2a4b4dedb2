"""Contract: several processes on one store (the cluster and agents of a sandbox)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import contract_workers as workers
import pytest
from store_backends import Backend

from midonet.model import Router
from midonet.store import Store
from midonet.store.state import NatLeases, PortActive
from midonet.store.watch import Change

CTX = multiprocessing.get_context("spawn")
TIMEOUT = 60


@pytest.fixture
def spawn() -> Iterator[Any]:
    """Start child processes; every one is stopped and reaped at the end of the test."""
    started: list[Any] = []

    def start(target: Any, *args: Any) -> Any:
        process = CTX.Process(target=target, args=args, daemon=True)
        process.start()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.is_alive():
            process.kill()
        process.join(timeout=TIMEOUT)


def test_processes_open_a_fresh_store_and_write_at_once(backend: Backend, spawn: Any) -> None:
    processes, count = 4, 50
    barrier = CTX.Barrier(processes, timeout=TIMEOUT)
    children = [
        spawn(workers.open_and_create, backend.url, count, barrier) for _ in range(processes)
    ]
    for child in children:
        child.join(timeout=TIMEOUT)
        assert child.exitcode == 0
    with backend.open() as store:
        assert len(store.list(Router)) == processes * count


def test_racing_updates_with_the_same_version_have_one_winner(
    backend: Backend, store: Store, spawn: Any
) -> None:
    router = Router(name="start")
    store.create(router)
    rounds = 30
    barrier, out = CTX.Barrier(2, timeout=TIMEOUT), CTX.Queue()
    for _ in range(2):
        spawn(workers.race_update, backend.url, router.id, rounds, barrier, out)
    a, b = out.get(timeout=TIMEOUT), out.get(timeout=TIMEOUT)
    assert sorted(a + b) == list(range(rounds))  # every round exactly one winner


def test_optimistic_increments_lose_no_update(backend: Backend, store: Store, spawn: Any) -> None:
    router = Router(name="0")
    store.create(router)
    out = CTX.Queue()
    for _ in range(2):
        spawn(workers.increment, backend.url, router.id, 100, out)
    out.get(timeout=TIMEOUT), out.get(timeout=TIMEOUT)
    assert store.get(Router, router.id).obj.name == "200"


def test_racing_nat_leases_never_both_win(backend: Backend, store: Store, spawn: Any) -> None:
    device, blocks = uuid.uuid4(), 40
    barrier, out = CTX.Barrier(3, timeout=TIMEOUT), CTX.Queue()
    for name in ("agent-a", "agent-b"):
        spawn(workers.race_lease, backend.url, device, blocks, name, barrier, out)
    barrier.wait()
    a, b = set(out.get(timeout=TIMEOUT)), set(out.get(timeout=TIMEOUT))
    assert not a & b
    assert a | b == set(range(blocks))
    leases = NatLeases(store.state).leases(device)
    assert len(leases) == blocks
    barrier.wait()


def test_a_watcher_sees_the_final_state_written_by_another_process(
    backend: Backend, store: Store, spawn: Any
) -> None:
    routers = [Router(name=f"r{i}") for i in range(200)]
    updates, delete_every = 3, 4
    expected = {
        r.id: r.replace(name=f"{r.name}.{updates - 1}")
        for i, r in enumerate(routers)
        if i % delete_every
    }
    versions: dict[uuid.UUID, list[int]] = defaultdict(list)
    deleted: set[uuid.UUID] = set()
    lock = threading.Lock()

    def on_change(change: Change[uuid.UUID, Router]) -> None:
        with lock:
            versions[change.key].append(change.version)
            if change.deleted:
                deleted.add(change.key)

    with store.watch(Router) as w, store.watch(Router, callback=on_change):
        writer = spawn(workers.write_routers, backend.url, routers, updates, delete_every)
        writer.join(timeout=TIMEOUT)
        assert writer.exitcode == 0
        assert w.wait_until(lambda v: v == expected, timeout=TIMEOUT) == expected
        gone = {r.id for r in routers[::delete_every]}
        deadline = time.monotonic() + TIMEOUT
        while deleted != gone and time.monotonic() < deadline:
            time.sleep(0.01)
        assert deleted == gone
    for seen in versions.values():
        assert seen == sorted(set(seen))  # never backwards, never repeated


def test_entries_of_a_killed_process_expire(backend: Backend, store: Store, spawn: Any) -> None:
    port, host = uuid.uuid4(), uuid.uuid4()
    ready = CTX.Event()
    child = spawn(workers.hold_and_hang, backend.url, port, host, ready)
    assert ready.wait(TIMEOUT)
    assert PortActive(store.state).host_of(port) == host
    assert NatLeases(store.state).owner(host, "192.0.2.1", 0) == "hung"
    with store.state.watch(PortActive.name) as w:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=TIMEOUT)
        w.wait_until(lambda v: str(port) not in v, timeout=TIMEOUT)
    assert NatLeases(store.state).owner(host, "192.0.2.1", 0) is None
