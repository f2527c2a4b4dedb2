"""Losing ZooKeeper, as the Operations Guide describes it: clients keep their cache
while the session can recover, refuse writes clearly, reconnect by themselves and
then see what was written meanwhile; an ensemble loses nothing when a member dies."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from midonet.errors import ObjectExists, StoreUnavailable
from midonet.model import Bridge, Router
from midonet.store import Create
from midonet.store.state import SessionExpired
from midonet.store.watch import wait_until
from midonet.store.zookeeper import ConnectionState, ZooKeeperStore
from midonet.testing.zookeeper import Ensemble, ZooKeeperServer, four_letter

FAST = {"session_timeout": 10.0, "op_timeout": 3.0, "retry_delay": 0.2, "connect_timeout": 20.0}


class States:
    """Records a store's connection states."""

    def __init__(self, store: ZooKeeperStore) -> None:
        self.seen: list[ConnectionState] = []
        self._lock = threading.Lock()
        store.add_connection_listener(self._on)

    def _on(self, state: ConnectionState) -> None:
        with self._lock:
            self.seen.append(state)

    def wait(self, state: ConnectionState, timeout: float = 30.0) -> None:
        """Until `state` is the latest one."""
        wait_until(lambda: self.seen[-1] is state, timeout=timeout)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ZooKeeperServer]:
    zk = ZooKeeperServer(tmp_path / "zk")
    zk.start()
    yield zk
    zk.stop(kill=True)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[Ensemble]:
    group = Ensemble(tmp_path / "ensemble", 3)
    try:
        group.start()
        yield group
    finally:
        group.stop()


def test_standalone_server_killed_and_restarted(server: ZooKeeperServer) -> None:
    url = f"zk://{server.address}/failover"
    with ZooKeeperStore.from_url(url, **FAST) as store:
        states = States(store)
        router = Router(name="before")
        store.create(router)
        with store.watch(Router) as w:
            w.wait_until(lambda v: router.id in v)
            server.stop(kill=True)
            states.wait(ConnectionState.SUSPENDED)
            # Reads of what the watches follow come from their cache ...
            assert store.get(Router, router.id).obj == router
            assert store.list(Router) == [router]
            # ... anything else, and every write, is refused with a clear message.
            with pytest.raises(StoreUnavailable, match="not reachable"):
                store.get(Bridge, uuid.uuid4())
            with pytest.raises(StoreUnavailable, match=f"ZooKeeper at {server.address}"):
                store.create(Router(name="during"))
            assert store.metrics.connection_state == "SUSPENDED"

            server.start()
            states.wait(ConnectionState.RECONNECTED)
            assert ConnectionState.LOST not in states.seen  # same session: nothing lost
            with ZooKeeperStore.from_url(url, **FAST) as other:
                after = Router(name="after")
                other.create(after)
                other.update(router.replace(name="changed"))
            view = w.wait_until(lambda v: after.id in v and v[router.id].name == "changed")
            assert set(view) == {router.id, after.id}
        store.create(Router(name="writes work again"))


def test_an_outage_longer_than_the_gracetime_is_reported_lost(server: ZooKeeperServer) -> None:
    url = f"zk://{server.address}/grace"
    with ZooKeeperStore.from_url(url, **{**FAST, "session_gracetime": 1.0}) as store:
        states = States(store)
        server.stop(kill=True)
        start = time.monotonic()
        states.wait(ConnectionState.LOST, timeout=20)
        assert time.monotonic() - start >= 0.9
        assert states.seen[-2:] == [ConnectionState.SUSPENDED, ConnectionState.LOST]
        server.start()
        states.wait(ConnectionState.CONNECTED)
        store.create(Router())


def test_writes_made_while_a_client_was_disconnected_reach_it(trio: Ensemble) -> None:
    lonely, *others = trio.members
    root = "/partition"
    alone = ZooKeeperStore(lonely.address, root, **FAST)
    peer = ZooKeeperStore(",".join(m.address for m in others), root, **FAST)
    try:
        states = States(alone)
        kept, gone = Router(name="kept"), Router(name="gone")
        alone.commit([Create(kept), Create(gone)])
        with alone.watch(Router) as w:
            w.wait_until(lambda v: len(v) == 2)
            lonely.stop(kill=True)
            states.wait(ConnectionState.SUSPENDED)
            new = Router(name="new")
            peer.create(new)
            peer.update(kept.replace(name="kept-2"))
            peer.delete(Router, gone.id)
            assert set(w.view) == {kept.id, gone.id}  # not seen yet: disconnected
            lonely.start()
            states.wait(ConnectionState.RECONNECTED, timeout=40)
            expected = {kept.id: kept.replace(name="kept-2"), new.id: new}
            assert w.wait_until(lambda v: v == expected, timeout=30) == expected
        assert alone.get(Router, new.id).obj == new
    finally:
        alone.close()
        peer.close()


def test_killing_an_ensemble_member_mid_run_loses_no_write(trio: Ensemble) -> None:
    leader = next(m for m in trio.members if "Mode: leader" in four_letter(m.port, "srvr"))
    count = 200
    routers = [Router(name=f"r{i}") for i in range(count)]
    done: list[int] = []
    errors: list[BaseException] = []
    with ZooKeeperStore(trio.hosts, "/ensemble", **FAST) as store:

        def write() -> None:
            try:
                for i, router in enumerate(routers):
                    deadline = time.monotonic() + 60
                    while True:
                        try:
                            store.create(router)
                            break
                        except ObjectExists:
                            break  # the attempt that failed to answer had landed
                        except StoreUnavailable:
                            if time.monotonic() > deadline:
                                raise
                            time.sleep(0.05)
                    done.append(i)
            except BaseException as e:
                errors.append(e)

        writer = threading.Thread(target=write)
        writer.start()
        wait_until(lambda: len(done) >= count // 3 or bool(errors), timeout=60)
        leader.stop(kill=True)
        writer.join(120)
        assert not errors and len(done) == count
    survivors = ",".join(m.address for m in trio.members if m is not leader)
    with ZooKeeperStore(survivors, "/ensemble", **FAST) as check:
        stored = {r.id: r for r in check.list(Router)}
    assert stored == {r.id: r for r in routers}


def test_an_expired_session_is_replaced_and_watches_resynchronise(trio: Ensemble) -> None:
    lonely, *others = trio.members
    root = "/expiry"
    short = {**FAST, "session_timeout": 2.0}
    alone = ZooKeeperStore(lonely.address, root, **short)
    peer = ZooKeeperStore(",".join(m.address for m in others), root, **FAST)
    try:
        states = States(alone)
        session = alone.state.open_session(ttl=2.0)
        alone.state.put("port-active", "p1", "host-1", session=session)
        kept, gone = Router(name="kept"), Router(name="gone")
        alone.commit([Create(kept), Create(gone)])
        with alone.watch(Router) as w, peer.state.watch("port-active") as active:
            active.wait_until(lambda v: "p1" in v)
            lonely.stop(kill=True)
            states.wait(ConnectionState.SUSPENDED)
            # The ensemble expires the unreachable client's sessions: ephemerals go.
            active.wait_until(lambda v: "p1" not in v, timeout=30)
            peer.delete(Router, gone.id)
            new = Router(name="new")
            peer.create(new)
            lonely.start()
            states.wait(ConnectionState.CONNECTED, timeout=40)
            assert ConnectionState.LOST in states.seen
            expected = {kept.id: kept, new.id: new}
            assert w.wait_until(lambda v: v == expected, timeout=30) == expected
            wait_until(lambda: session.expired, timeout=30)
            with pytest.raises(SessionExpired):
                session.renew()
            alone.create(Router(name="after"))  # the new session writes
    finally:
        alone.close()
        peer.close()
