"""The ZooKeeper store beyond the shared contract: URLs, configuration, versions as
zxids, transaction replay, sessions, metrics."""

from __future__ import annotations

import threading
import uuid

import pytest

from midonet.config import Config, ConfigLayer
from midonet.errors import ConcurrentModification, NotFound, ObjectExists, ReferenceConflict
from midonet.model import Port, PortType, Router
from midonet.store import open_store
from midonet.store.state import NatLeases
from midonet.store.zk_metrics import render_prometheus
from midonet.store.zookeeper import ConnectionState, ZooKeeperStore, parse_url
from midonet.testing.zookeeper import ZooKeeperServer


def test_parse_url() -> None:
    assert parse_url("zk://a:1,b:2/cloud/one") == ("a:1,b:2", "/cloud/one")
    assert parse_url("zk://127.0.0.1:2181") == ("127.0.0.1:2181", "/midonet")
    assert parse_url("zk://127.0.0.1:2181/") == ("127.0.0.1:2181", "/midonet")
    for bad in ("zk:///x", "zk://host/x", "file:/x"):
        with pytest.raises(ValueError):
            parse_url(bad)


def test_open_store_and_from_config(zk_server: ZooKeeperServer, zk_root: str) -> None:
    with open_store(f"zk://{zk_server.address}{zk_root}") as store:
        router = Router(name="r")
        store.create(router)
    layer = ConfigLayer(
        "local",
        {"zookeeper.zookeeper_hosts": f" {zk_server.address} ", "zookeeper.root_key": zk_root},
    )
    with ZooKeeperStore.from_config(Config([layer])) as again:
        assert again.get(Router, router.id).obj == router
        assert again.url == f"zk://{zk_server.address}{zk_root}"


def test_versions_are_transaction_ids_that_only_grow(zk_store: ZooKeeperStore, zk_url: str) -> None:
    with ZooKeeperStore.from_url(zk_url) as other:
        versions = []
        router = Router(name="0")
        versions.append(zk_store.create(router))
        for i in range(1, 6):
            client = (zk_store, other)[i % 2]
            versions.append(client.update(router.replace(name=str(i))))
        assert versions == sorted(set(versions))
        # A commit of several objects gives them one version: its transaction's.
        a, b = Router(), Router()
        committed = other.commit([*map(_create, (a, b))])
        assert committed[("Router", a.id)] == committed[("Router", b.id)] > versions[-1]


def _create(obj: Router) -> object:
    from midonet.store import Create

    return Create(obj)


def test_a_conflicting_transaction_block_is_replayed(zk_store: ZooKeeperStore, zk_url: str) -> None:
    router = Router(name="a")
    zk_store.create(router)
    with ZooKeeperStore.from_url(zk_url) as other:
        # Last writer wins: the block's write lands although `other` wrote after its read.
        with zk_store.transaction() as tx:
            tx.get(Router, router.id)
            other.update(router.replace(name="theirs"))
            tx.update(router.replace(name="mine"))
        assert other.get(Router, router.id).obj.name == "mine"
        assert zk_store.metrics.counters["transaction_retries"] >= 1
        # With the version it read, the replay finds it stale.
        with pytest.raises(ConcurrentModification), zk_store.transaction() as tx:
            current = tx.get(Router, router.id)
            other.update(router.replace(name="theirs again"))
            tx.update(router.replace(name="stale"), expected_version=current.version)
        assert zk_store.get(Router, router.id).obj.name == "theirs again"


def test_concurrent_last_writer_wins_updates_all_land(
    zk_store: ZooKeeperStore, zk_url: str
) -> None:
    router = Router(name="start")
    zk_store.create(router)
    ports_per_writer = 10

    def add_ports(store: ZooKeeperStore) -> None:
        for _ in range(ports_per_writer):
            store.create(Port(type=PortType.ROUTER, router_id=router.id))

    with ZooKeeperStore.from_url(zk_url) as other:
        threads = [threading.Thread(target=add_ports, args=(s,)) for s in (zk_store, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    # Every port is in the router's back-references: no lost update on the router.
    assert len(zk_store.get(Router, router.id).obj.port_ids) == 2 * ports_per_writer


def test_reused_ephemeral_key_changes_owner_atomically(
    zk_store: ZooKeeperStore, zk_url: str
) -> None:
    device = uuid.uuid4()
    with ZooKeeperStore.from_url(zk_url) as other:
        a = zk_store.state.open_session(ttl=5)
        b = other.state.open_session(ttl=5)
        assert a.id != b.id
        nat = NatLeases(zk_store.state)
        assert nat.try_lease(device, "10.0.0.1", 1, "a", a)
        assert nat.try_lease(device, "10.0.0.1", 1, "a", a)  # already ours
        assert not NatLeases(other.state).try_lease(device, "10.0.0.1", 1, "b", b)
        # A plain put takes the key over: it becomes b's ephemeral entry.
        zk_store.state.put(NatLeases.table(device), NatLeases.key("10.0.0.1", 1), "b", session=b)
        entry = other.state.get(NatLeases.table(device), NatLeases.key("10.0.0.1", 1))
        assert entry is not None and entry.session == b.id
        b.close()
        assert nat.owner(device, "10.0.0.1", 1) is None
        assert b.expired
        a.close()


def test_metrics_count_errors_and_render_as_prometheus(zk_store: ZooKeeperStore) -> None:
    router = Router()
    zk_store.create(router)
    with pytest.raises(ObjectExists):
        zk_store.create(router)
    with pytest.raises(NotFound):
        zk_store.get(Router, uuid.uuid4())
    with pytest.raises(ReferenceConflict):
        zk_store.create(Port(type=PortType.ROUTER, router_id=uuid.uuid4()))
    current = zk_store.get(Router, router.id)
    zk_store.update(router.replace(name="x"))
    with pytest.raises(ConcurrentModification):
        zk_store.update(router.replace(name="y"), expected_version=current.version)
    zk_store.state.put("t", "k", 1)
    assert zk_store.metrics.timers["write"].count == 1
    with zk_store.watch(Router):
        counters = zk_store.metrics.counters
        assert counters["object_exists"] == 1
        assert counters["object_not_found"] == 1
        assert counters["object_reference"] == 1
        assert counters["concurrent_modification"] == 1
        text = render_prometheus(zk_store.metrics)
    assert "midonet_nsdb_object_exists_total 1\n" in text
    assert 'midonet_nsdb_connection_state{state="CONNECTED"} 1\n' in text
    assert "midonet_nsdb_class_observable_count 1\n" in text
    assert "# TYPE midonet_nsdb_multi_seconds summary" in text
    # The duplicate create reached ZooKeeper (creates are not read first); the
    # other refused writes did not.
    assert zk_store.metrics.timers["multi"].count == 3
    assert zk_store.metrics.counters["transaction_retries"] == 0
    assert zk_store.connection_state is ConnectionState.CONNECTED


def test_an_unreachable_ensemble_is_a_clear_error() -> None:
    from midonet.errors import StoreUnavailable
    from midonet.testing.zookeeper import free_port

    port = free_port()
    with pytest.raises(StoreUnavailable, match=f"cannot reach ZooKeeper at 127.0.0.1:{port}"):
        ZooKeeperStore(f"127.0.0.1:{port}", connect_timeout=0.5)


def test_creates_are_not_read_first_yet_errors_match_the_embedded_store(
    zk_store: ZooKeeperStore,
) -> None:
    from midonet.store import Create, Update

    router = Router(name="r")
    zk_store.create(router)
    port = Port(type=PortType.ROUTER, router_id=router.id)
    # The port's binding reads the router, which the ops then create again.
    with pytest.raises(ObjectExists, match=str(router.id)):
        zk_store.commit([Create(port), Create(router)])
    with pytest.raises(NotFound):
        zk_store.commit([Update(Router(name="ghost")), Create(Router())])
    assert not zk_store.exists(Port, port.id)
    assert zk_store.get(Router, router.id).obj.port_ids == ()


def test_racing_puts_of_one_key_under_different_sessions(
    zk_store: ZooKeeperStore, zk_url: str
) -> None:
    with ZooKeeperStore.from_url(zk_url) as other:
        sessions = [zk_store.state.open_session(ttl=5), other.state.open_session(ttl=5)]
        clients = [zk_store, other]
        errors: list[BaseException] = []

        def hammer(n: int) -> None:
            try:
                for i in range(40):
                    clients[n].state.put(
                        "mac", "02:00:00:00:00:01", f"{n}-{i}", session=sessions[n]
                    )
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=hammer, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        entry = zk_store.state.get("mac", "02:00:00:00:00:01")
        assert entry is not None
        owner = int(str(entry.value).split("-")[0])
        assert entry.session == sessions[owner].id  # value and owner from the same write
        sessions[owner].close()
        assert zk_store.state.get("mac", "02:00:00:00:00:01") is None
