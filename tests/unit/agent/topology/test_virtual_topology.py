"""VirtualTopology over a real embedded store (a temporary file), and over a fake
store for what a real one never reports (objects of the wrong kind)."""

from __future__ import annotations

import ipaddress
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from midonet.agent.topology import Topology
from midonet.agent.topology.virtual_topology import TopologyChange, VirtualTopology
from midonet.model import (
    Bridge,
    Chain,
    ModelObject,
    Port,
    PortType,
    Route,
    Router,
    Rule,
    RuleType,
)
from midonet.store import Create, EmbeddedStore
from midonet.store.watch import Change, Dispatcher, Watch, wait_until

TIMEOUT = 10.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "nsdb.db") as s:
        yield s


@pytest.fixture
def vt(store: EmbeddedStore) -> Iterator[VirtualTopology]:
    with VirtualTopology(store) as v:
        yield v


class Recorder:
    """A listener keeping every change it is told about."""

    def __init__(self) -> None:
        self.events: list[TopologyChange] = []
        self._lock = threading.Lock()

    def __call__(self, event: TopologyChange) -> None:
        with self._lock:
            self.events.append(event)

    def tags(self) -> set[uuid.UUID]:
        with self._lock:
            return {t for e in self.events for t in e.tags}

    def changed(self) -> dict[uuid.UUID, str]:
        with self._lock:
            return {k: v for e in self.events for k, v in e.changed.items()}


def router_port(router: Router, address: str = "10.0.0.1") -> Port:
    return Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=ipaddress.IPv4Address(address),
        network_length=24,
        port_mac="ac:ca:ba:00:00:01",
    )


def static_route(router: Router, port: Port, dst: str = "192.168.0.0") -> Route:
    return Route(
        dst_network_addr=ipaddress.IPv4Address(dst),
        dst_network_length=16,
        next_hop_port_id=port.id,
        router_id=router.id,
    )


def test_initial_snapshot_holds_what_the_store_has(store: EmbeddedStore) -> None:
    router, bridge = Router(name="r"), Bridge(name="b")
    port = router_port(router)
    store.commit([Create(router), Create(bridge), Create(port)])
    with VirtualTopology(store) as vt:
        topo = vt.current
        assert topo.router(router.id).port_ids == (port.id,)
        assert topo.bridge(bridge.id).name == "b"
        assert topo.port(port.id).router_id == router.id
        # The store derives the port's LOCAL and subnet routes: they are there too.
        assert len(topo.routes_of(router.id)) == 2
        assert vt.generation == 0


def test_new_objects_appear_and_listeners_hear_of_them(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    seen = Recorder()
    vt.subscribe(seen)
    router = Router(name="r")
    port = router_port(router)
    store.commit([Create(router), Create(port)])
    route = static_route(router, port)
    store.create(route)
    topo = vt.wait_until(lambda t: route in t, TIMEOUT)
    assert topo.router(router.id).route_ids == (route.id,)
    assert route in topo.routes_of(router.id)
    wait_until(lambda: {router.id, port.id, route.id} <= seen.changed().keys(), TIMEOUT)
    assert seen.changed()[route.id] == "Route"
    assert vt.generation >= 1


def test_rule_update_invalidates_the_rule_its_chain_and_the_chain_users(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    chain = Chain(name="in")
    store.create(chain)
    bridge = Bridge(inbound_filter_id=chain.id)
    rule = Rule(type=RuleType.ACCEPT, chain_id=chain.id)
    store.commit([Create(bridge), Create(rule)])
    vt.wait_until(lambda t: rule in t and bridge.id in t.ids(Bridge), TIMEOUT)

    seen = Recorder()
    vt.subscribe(seen)
    store.update(store.get(Rule, rule.id).obj.replace(type=RuleType.DROP))
    wait_until(lambda: rule.id in seen.tags(), TIMEOUT)
    event = next(e for e in seen.events if rule.id in e.changed)
    assert event.changed[rule.id] == "Rule"
    assert {chain.id, bridge.id} <= event.derived
    assert event.current.rule(rule.id).type is RuleType.DROP
    assert vt.current.rules_of(chain.id)[0].type is RuleType.DROP


def test_route_and_port_changes_invalidate_their_router(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    router = Router()
    port = router_port(router)
    route = static_route(router, port)
    store.commit([Create(router), Create(port), Create(route)])
    vt.wait_until(lambda t: route in t, TIMEOUT)
    seen = Recorder()
    vt.subscribe(seen)
    store.update(store.get(Route, route.id).obj.replace(weight=7))
    wait_until(lambda: route.id in seen.changed(), TIMEOUT)
    assert router.id in seen.tags()
    seen.events.clear()
    store.update(store.get(Port, port.id).obj.replace(admin_state_up=False))
    wait_until(lambda: port.id in seen.changed(), TIMEOUT)
    assert router.id in seen.tags()


def test_deleting_a_router_removes_its_ports_and_routes(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    router = Router()
    port = router_port(router)
    route = static_route(router, port)
    store.commit([Create(router), Create(port), Create(route)])
    before = vt.wait_until(lambda t: route in t and len(t.routes_of(router.id)) == 3, TIMEOUT)
    seen = Recorder()
    vt.subscribe(seen)

    store.delete(Router, router.id)
    after = vt.wait_until(
        lambda t: t.count(Router) == 0 and t.count(Port) == 0 and t.count(Route) == 0,
        TIMEOUT,
    )
    assert after.routes_of(router.id) == ()
    assert after.get(Port, port.id) is None
    wait_until(lambda: router.id in {d for e in seen.events for d in e.deleted}, TIMEOUT)
    deleted = {d for e in seen.events for d in e.deleted}
    assert {router.id, port.id, route.id} <= deleted
    # The snapshot taken before is untouched.
    assert before.router(router.id).port_ids == (port.id,)
    assert len(before.routes_of(router.id)) == 3


def test_an_old_snapshot_never_changes(store: EmbeddedStore, vt: VirtualTopology) -> None:
    bridge = Bridge(name="before")
    store.create(bridge)
    old = vt.wait_until(lambda t: bridge in t, TIMEOUT)
    store.update(bridge.replace(name="after"))
    store.create(Bridge(name="another"))
    vt.wait_until(lambda t: t.count(Bridge) == 2 and t.bridge(bridge.id).name == "after")
    assert old.bridge(bridge.id).name == "before"
    assert old.count(Bridge) == 1
    with pytest.raises(AttributeError):
        old.extra = 1  # type: ignore[attr-defined]


def test_concurrent_writers_end_with_the_latest_state(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    bridges = [Bridge(name="b0") for _ in range(4)]
    store.commit([Create(b) for b in bridges])
    shared = Router(name="r0")
    store.create(shared)

    def writer(index: int) -> None:
        for i in range(1, 26):
            store.update(bridges[index].replace(name=f"b{i}"))
            store.update(shared.replace(name=f"w{index}-{i}"))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(bridges))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    latest = store.get(Router, shared.id).obj.name

    def caught_up(t: Topology) -> bool:
        names = {t.get(Bridge, b.id).name for b in bridges if t.get(Bridge, b.id) is not None}
        router = t.get(Router, shared.id)
        return names == {"b25"} and router is not None and router.name == latest

    vt.wait_until(caught_up, TIMEOUT)
    for kind in (Bridge, Router, Port, Route, Chain, Rule):
        assert set(vt.current.objects(kind)) == set(store.list(kind))


def test_a_failing_listener_does_not_stop_the_others(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    def broken(event: TopologyChange) -> None:
        raise RuntimeError("listener bug")

    vt.subscribe(broken)
    seen = Recorder()
    unsubscribe = vt.subscribe(seen)
    first = Bridge()
    store.create(first)
    wait_until(lambda: first.id in seen.changed(), TIMEOUT)
    unsubscribe()
    second = Bridge()
    store.create(second)
    vt.wait_until(lambda t: second in t, TIMEOUT)
    assert second.id not in seen.changed()


def test_close_stops_following_the_store(store: EmbeddedStore) -> None:
    vt = VirtualTopology(store)
    vt.close()
    vt.close()  # idempotent
    store.create(Bridge())
    with pytest.raises(TimeoutError):
        vt.wait_until(lambda t: t.count(Bridge) == 1, timeout=0.2)
    assert vt.current.count(Bridge) == 0


# --- a fake store, to report what a real one would not --------------------------------


class FakeStore:
    """Just enough of a `Store` for VirtualTopology: type watches fed by the test."""

    def __init__(self) -> None:
        self.dispatcher = Dispatcher("fake-store")
        self.watches: dict[str, Watch[uuid.UUID, ModelObject]] = {}

    def watch(
        self,
        cls: type[ModelObject],
        id: uuid.UUID | None = None,
        *,
        callback: Callable[[Change[uuid.UUID, ModelObject]], None] | None = None,
    ) -> Watch[uuid.UUID, ModelObject]:
        watch: Watch[uuid.UUID, ModelObject] = Watch(callback=callback, dispatcher=self.dispatcher)
        self.watches[cls.KIND] = watch
        return watch

    def report(self, kind: str, key: uuid.UUID, version: int, value: object) -> None:
        self.watches[kind].offer(Change(key, version, value))  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[FakeStore]:
    store = FakeStore()
    yield store
    store.dispatcher.stop()


def test_objects_of_the_wrong_kind_are_skipped(
    fake: FakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    good = Bridge(name="good")
    with VirtualTopology(fake, kinds=[Bridge, Router]) as vt:  # type: ignore[arg-type]
        stray = Router()
        fake.report("Bridge", stray.id, 1, stray)  # a router under the bridges
        wrong_id = Bridge()
        fake.report("Bridge", uuid.uuid4(), 2, wrong_id)  # key and object disagree
        fake.report("Bridge", good.id, 3, good)
        vt.wait_until(lambda t: good in t, TIMEOUT)
        assert vt.current.count(Bridge) == 1
        assert vt.current.get(Router, stray.id) is None
    assert "skipping Bridge" in caplog.text


def test_unknown_deletions_change_nothing_and_deletions_apply(fake: FakeStore) -> None:
    bridge = Bridge(name="v5")
    with VirtualTopology(fake, kinds=[Bridge]) as vt:  # type: ignore[arg-type]
        seen = Recorder()
        vt.subscribe(seen)
        fake.report("Bridge", bridge.id, 5, bridge)
        vt.wait_until(lambda t: bridge in t, TIMEOUT)
        generation = vt.generation
        marker = Bridge(name="marker")
        # An unknown deletion, then the marker: once the marker is in, the deletion
        # was handled and changed nothing.
        fake.report("Bridge", uuid.uuid4(), 6, None)
        fake.report("Bridge", marker.id, 7, marker)
        vt.wait_until(lambda t: marker in t, TIMEOUT)
        assert vt.current.bridge(bridge.id).name == "v5"
        assert vt.generation == generation + 1
        assert all(len(e.changed) == 1 for e in seen.events)
        fake.report("Bridge", bridge.id, 8, None)
        vt.wait_until(lambda t: bridge.id not in t.ids(Bridge), TIMEOUT)
