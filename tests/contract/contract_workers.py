"""Code the multi-process contract tests run in child processes (spawned, so each
child opens its own client of the store, as a separate service would)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from midonet.errors import ConcurrentModification
from midonet.model import Router
from midonet.store import Create, Delete, open_store
from midonet.store.state import NatLeases, PortActive


def race_update(url: str, router_id: uuid.UUID, rounds: int, barrier: Any, out: Any) -> None:
    """Each round: read the version, wait for the rival, then update with it."""
    store = open_store(url)
    try:
        wins = []
        for round in range(rounds):
            barrier.wait()
            current = store.get(Router, router_id)
            barrier.wait()
            try:
                store.update(
                    current.obj.replace(name=f"r{round}"), expected_version=current.version
                )
                wins.append(round)
            except ConcurrentModification:
                pass
        out.put(wins)
    finally:
        store.close()


def increment(url: str, router_id: uuid.UUID, times: int, out: Any) -> None:
    """Read-modify-write a counter with optimistic versions, retrying on conflict."""
    store = open_store(url)
    conflicts = 0
    try:
        for _ in range(times):
            while True:
                current = store.get(Router, router_id)
                value = int(current.obj.name) + 1
                try:
                    store.update(
                        current.obj.replace(name=str(value)), expected_version=current.version
                    )
                    break
                except ConcurrentModification:
                    conflicts += 1
        out.put(conflicts)
    finally:
        store.close()


def race_lease(url: str, device: uuid.UUID, blocks: int, name: str, barrier: Any, out: Any) -> None:
    store = open_store(url)
    try:
        session = store.state.open_session(ttl=30, owner=name)
        nat = NatLeases(store.state)
        barrier.wait()
        won = [b for b in range(blocks) if nat.try_lease(device, "192.0.2.1", b, name, session)]
        out.put(won)
        barrier.wait()  # keep the session (and its leases) until the parent has checked
    finally:
        store.close()


def write_routers(url: str, routers: list[Router], updates: int, delete_every: int) -> None:
    """Create the routers, update each `updates` times, delete every n-th one."""
    store = open_store(url)
    try:
        store.commit([Create(r) for r in routers])
        for i in range(updates):
            for r in routers:
                store.update(r.replace(name=f"{r.name}.{i}"))
        store.commit([Delete(Router, r.id) for r in routers[::delete_every]])
    finally:
        store.close()


def hold_and_hang(url: str, port: uuid.UUID, host: uuid.UUID, ready: Any) -> None:
    """Take ephemeral entries under a short session, then hang until killed."""
    store = open_store(url)
    session = store.state.open_session(ttl=1.0)
    PortActive(store.state).set_active(port, host, session)
    NatLeases(store.state).try_lease(host, "192.0.2.1", 0, "hung", session)
    ready.set()
    time.sleep(600)


def open_and_create(url: str, count: int, barrier: Any) -> None:
    """Open the store at the same moment as the others, then write concurrently."""
    barrier.wait()
    store = open_store(url)
    try:
        for i in range(count):
            store.create(Router(name=f"concurrent-{i}"))
    finally:
        store.close()
