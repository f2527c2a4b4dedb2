"""StoreSimulationState: the simulation's state read from a real embedded store."""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections.abc import Hashable, Iterator
from pathlib import Path

import pytest

from midonet.agent.simulation.result import (
    ArpLearned,
    ArpRequested,
    BridgeArpLearned,
    ConnTrackAdded,
    MacLearned,
    NatBound,
)
from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey, NatKind
from midonet.agent.simulation.tags import arp_tag, bridge_arp_tag, mac_tag
from midonet.agent.topology.state_tables import StoreSimulationState, mac_bytes, mac_text
from midonet.agent.topology.virtual_topology import VirtualTopology
from midonet.model import Bridge, Port, PortType, Router
from midonet.store import Create, EmbeddedStore
from midonet.store.state import ArpTable, MacTable
from midonet.store.watch import wait_until

TIMEOUT = 10.0
MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tags:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen: list[Hashable] = []

    def __call__(self, tags: frozenset[Hashable]) -> None:
        with self._lock:
            self.seen.extend(tags)

    def __contains__(self, tag: object) -> bool:
        with self._lock:
            return tag in self.seen


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "nsdb.db") as s:
        yield s


@pytest.fixture
def bridge_and_router(store: EmbeddedStore) -> tuple[Bridge, Router, Port]:
    bridge, router = Bridge(name="b"), Router(name="r")
    port = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    store.commit([Create(bridge), Create(router), Create(port)])
    return bridge, router, port


@pytest.fixture
def vt(store: EmbeddedStore, bridge_and_router: object) -> Iterator[VirtualTopology]:
    with VirtualTopology(store) as v:
        yield v


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(
    store: EmbeddedStore, vt: VirtualTopology, clock: Clock
) -> Iterator[StoreSimulationState]:
    with StoreSimulationState(store.state, vt, clock=clock) as s:
        yield s


def test_mac_text_round_trip() -> None:
    assert mac_bytes(MAC_A) == b"\x02\x00\x00\x00\x00\x0a"
    assert mac_text(mac_bytes(MAC_A)) == MAC_A
    with pytest.raises(ValueError, match="not a MAC"):
        mac_bytes("02:00")


def test_mac_entries_follow_the_table_and_announce_their_tags(
    store: EmbeddedStore,
    bridge_and_router: tuple[Bridge, Router, Port],
    state: StoreSimulationState,
) -> None:
    bridge, _, port = bridge_and_router
    tags = Tags()
    state.subscribe(tags)
    table = MacTable(store.state, bridge.id)
    table.add(MAC_A, port.id)
    mac = mac_bytes(MAC_A)
    wait_until(lambda: state.mac_port(bridge.id, 0, mac) == port.id, TIMEOUT)
    wait_until(lambda: mac_tag(bridge.id, 0, mac) in tags, TIMEOUT)
    table.remove(MAC_A)
    wait_until(lambda: state.mac_port(bridge.id, 0, mac) is None, TIMEOUT)
    assert state.mac_port(bridge.id, 1, mac) is None


def test_entries_present_before_the_adapter_starts_are_read(
    store: EmbeddedStore, bridge_and_router: tuple[Bridge, Router, Port], vt: VirtualTopology
) -> None:
    bridge, router, port = bridge_and_router
    MacTable(store.state, bridge.id).add(MAC_B, port.id)
    ArpTable(store.state, "router", router.id).add("10.0.0.9", MAC_B)
    with StoreSimulationState(store.state, vt) as state:
        wait_until(lambda: state.mac_port(bridge.id, 0, mac_bytes(MAC_B)) == port.id, TIMEOUT)
        ip = int(ipaddress.IPv4Address("10.0.0.9"))
        wait_until(lambda: state.router_arp(router.id, ip) is not None, TIMEOUT)


def test_vlan_tables_are_followed_once_the_bridge_has_a_vlan_port(
    store: EmbeddedStore,
    bridge_and_router: tuple[Bridge, Router, Port],
    vt: VirtualTopology,
    state: StoreSimulationState,
) -> None:
    bridge, _, port = bridge_and_router
    vlan_port = Port(type=PortType.BRIDGE, bridge_id=bridge.id, vlan_id=7)
    store.create(vlan_port)
    vt.wait_until(lambda t: 7 in t.vlan_ports_of(bridge.id), TIMEOUT)
    MacTable(store.state, bridge.id, 7).add(MAC_A, port.id)
    wait_until(lambda: state.mac_port(bridge.id, 7, mac_bytes(MAC_A)) == port.id, TIMEOUT)


def test_router_arp_entries_age_from_when_they_were_seen(
    store: EmbeddedStore,
    bridge_and_router: tuple[Bridge, Router, Port],
    state: StoreSimulationState,
    clock: Clock,
) -> None:
    _, router, _ = bridge_and_router
    tags = Tags()
    state.subscribe(tags)
    ip = int(ipaddress.IPv4Address("10.0.0.2"))
    state.arp_request_sent(router.id, ip, 99.0)
    assert state.arp_requested(router.id, ip) == 99.0
    table = ArpTable(store.state, "router", router.id)
    table.add("10.0.0.2", MAC_A)
    wait_until(lambda: state.router_arp(router.id, ip) is not None, TIMEOUT)
    entry = state.router_arp(router.id, ip)
    assert entry is not None
    assert (entry.mac, entry.updated) == (mac_bytes(MAC_A), 100.0)
    assert state.arp_requested(router.id, ip) is None
    wait_until(lambda: arp_tag(router.id, ip) in tags, TIMEOUT)

    # The same MAC written again refreshes the entry without invalidating flows.
    clock.now = 150.0
    count = tags.seen.count(arp_tag(router.id, ip))
    table.add("10.0.0.2", MAC_A)

    def refreshed() -> bool:
        e = state.router_arp(router.id, ip)
        return e is not None and e.updated == 150.0

    wait_until(refreshed, TIMEOUT)
    assert tags.seen.count(arp_tag(router.id, ip)) == count
    table.remove("10.0.0.2")
    wait_until(lambda: state.router_arp(router.id, ip) is None, TIMEOUT)


def test_apply_writes_through_the_store_and_reads_back(
    store: EmbeddedStore,
    bridge_and_router: tuple[Bridge, Router, Port],
    state: StoreSimulationState,
) -> None:
    bridge, router, port = bridge_and_router
    ip = int(ipaddress.IPv4Address("10.0.0.3"))
    mac = mac_bytes(MAC_B)
    tags = Tags()
    state.subscribe(tags)
    with store.state.open_session(heartbeat=False) as session:
        learned = [
            MacLearned(bridge.id, 0, mac, port.id, None),
            BridgeArpLearned(bridge.id, ip, mac),
            ArpRequested(router.id, ip + 1, 5.0),
            ArpLearned(router.id, ip, mac, 1.0),
        ]
        changed = state.apply(learned, session)
        assert changed == [c.tag for c in learned]
        # Learned again, unchanged (a host re-ARPs, a VM sends again): written, so
        # the entries stay alive, but no flow depends on anything that changed.
        again = state.apply([learned[0], learned[1], learned[3]], session)
        assert again == []
        assert state.arp_requested(router.id, ip + 1) == 5.0
        # Known at once (no waiting for the watch): packets parked for the answer
        # go on straight away; the pipeline invalidates the learned tags itself.
        assert state.mac_port(bridge.id, 0, mac) == port.id
        assert state.bridge_arp(bridge.id, ip) == mac
        assert state.router_arp(router.id, ip) is not None
        assert MacTable(store.state, bridge.id).get(MAC_B) == port.id
        # The watch bringing the same entries back changes nothing: no tag again.
        time.sleep(0.2)
        assert bridge_arp_tag(bridge.id, ip) not in tags
        moved = ArpLearned(router.id, ip, mac_bytes(MAC_A), 2.0)  # a new answer
        assert state.apply([moved], session) == [moved.tag]
    # The entries were ephemeral: the session's end takes them away.
    wait_until(lambda: state.mac_port(bridge.id, 0, mac) is None, TIMEOUT)


def test_a_deleted_bridge_takes_its_entries_and_bad_entries_are_skipped(
    store: EmbeddedStore,
    bridge_and_router: tuple[Bridge, Router, Port],
    vt: VirtualTopology,
    state: StoreSimulationState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bridge, _, port = bridge_and_router
    table = MacTable(store.state, bridge.id)
    store.state.put(table.name, MAC_B, "not a uuid")
    table.add(MAC_A, port.id)
    wait_until(lambda: state.mac_port(bridge.id, 0, mac_bytes(MAC_A)) == port.id, TIMEOUT)
    assert state.mac_port(bridge.id, 0, mac_bytes(MAC_B)) is None
    assert "skipping entry" in caplog.text

    store.delete(Bridge, bridge.id)
    vt.wait_until(lambda t: t.count(Bridge) == 0, TIMEOUT)
    wait_until(lambda: state.mac_port(bridge.id, 0, mac_bytes(MAC_A)) is None, TIMEOUT)


def test_flow_state_is_written_and_read_through_and_close_is_final(
    store: EmbeddedStore, vt: VirtualTopology
) -> None:
    device = uuid.uuid4()
    key = ConnTrackKey(1, 2, 3, 4, 6, device)
    fwd = NatKey(NatKind.FWD_SNAT, 10, 1000, 20, 80, 6, device)
    closed = StoreSimulationState(store.state, vt)
    closed.apply([ConnTrackAdded(key), NatBound(fwd, NatBinding(99, 5))])
    assert key in closed.conntrack
    assert closed.nat_binding(fwd) == NatBinding(99, 5)
    closed.close()
    with StoreSimulationState(store.state, vt) as live:
        assert key not in live.conntrack  # flow state is the agent's own, not the NSDB's
        bridge = Bridge()
        store.create(bridge)
        vt.wait_until(lambda t: bridge in t, TIMEOUT)
        port_id = uuid.uuid4()
        MacTable(store.state, bridge.id).add(MAC_A, port_id)
        # Once the live adapter has the entry, the closed one would have had it too.
        wait_until(lambda: live.mac_port(bridge.id, 0, mac_bytes(MAC_A)) == port_id, TIMEOUT)
        assert closed.mac_port(bridge.id, 0, mac_bytes(MAC_A)) is None
