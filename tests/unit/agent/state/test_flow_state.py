"""The agent's flow state: SNAT ports leased in NSDB blocks and never shared, entries
that expire when idle and live while a flow uses them, 1000 concurrent SNAT flows."""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from midonet.agent.simulation import FakeSimulationState, simulate
from midonet.agent.simulation.result import ConnTrackAdded, NatBound
from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey, NatKind
from midonet.agent.state.flow_state import FlowStateTable
from midonet.agent.state.nat_allocator import BLOCK_SIZE, SnatAllocator
from midonet.model import NatTarget
from midonet.packets import builder
from midonet.store import EmbeddedStore
from midonet.store.state import NatLeases
from midonet.testing.topology_spec import build_topology

DEVICE = uuid.uuid4()
SERVER = int(ipaddress.IPv4Address("203.0.113.5"))
TARGET = NatTarget(
    address_from=ipaddress.IPv4Address("198.51.100.2"),
    address_to=ipaddress.IPv4Address("198.51.100.2"),
    port_from=1024,
    port_to=65535,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "nsdb.db") as opened:
        yield opened


def _allocator(store: EmbeddedStore, name: str) -> SnatAllocator:
    session = store.state.open_session(30.0, owner=name, heartbeat=False)
    return SnatAllocator(NatLeases(store.state), session, owner=name, rng=random.Random(name))


def test_two_agents_never_hand_out_the_same_port(store: EmbeddedStore) -> None:
    a, b = _allocator(store, "agent-a"), _allocator(store, "agent-b")
    seen: set[NatBinding] = set()
    for i in range(300):  # the same destination: every binding must differ
        allocator = a if i % 2 else b
        binding = allocator.allocate(DEVICE, SERVER, 80, 6, (TARGET,))
        assert binding is not None
        assert binding not in seen
        seen.add(binding)
    blocks_a = set(a.leased(DEVICE, int(TARGET.address_from)))
    blocks_b = set(b.leased(DEVICE, int(TARGET.address_from)))
    assert blocks_a and blocks_b and not blocks_a & blocks_b
    owners = NatLeases(store.state).leases(DEVICE)
    assert set(owners.values()) == {"agent-a", "agent-b"}


def test_ports_are_reused_towards_other_destinations_and_freed_blocks_go_back(
    store: EmbeddedStore,
) -> None:
    a = _allocator(store, "agent-a")
    first = a.allocate(DEVICE, SERVER, 80, 6, (TARGET,))
    other = a.allocate(DEVICE, SERVER + 1, 80, 6, (TARGET,))
    assert first is not None and other is not None
    assert first == other  # a different destination keeps the reply key unique
    assert len(a.leased(DEVICE, first.ip)) == 1
    a.free(DEVICE, SERVER, 80, 6, first)
    assert a.leased(DEVICE, first.ip)  # still used towards the other destination
    a.free(DEVICE, SERVER + 1, 80, 6, other)
    assert a.leased(DEVICE, first.ip) == []
    assert NatLeases(store.state).leases(DEVICE) == {}


def test_a_port_range_smaller_than_a_block_is_respected_and_exhausted(
    store: EmbeddedStore,
) -> None:
    a = _allocator(store, "agent-a")
    narrow = NatTarget(
        address_from=TARGET.address_from, address_to=TARGET.address_to, port_from=100, port_to=103
    )
    ports = [a.allocate(DEVICE, SERVER, 80, 6, (narrow,)) for _ in range(5)]
    assert [p.port for p in ports[:4] if p is not None] == [100, 101, 102, 103]
    assert ports[4] is None
    assert all(b * BLOCK_SIZE <= 103 for b in a.leased(DEVICE, int(narrow.address_from)))


def test_entries_expire_when_idle_unless_a_flow_uses_them(store: EmbeddedStore) -> None:
    allocator = _allocator(store, "agent-a")
    table = FlowStateTable(allocator, idle_timeout=10.0)
    binding = table.allocate_snat(DEVICE, SERVER, 80, 6, (TARGET,))
    assert binding is not None
    fwd = NatKey(NatKind.FWD_SNAT, 1, 5000, SERVER, 80, 6, DEVICE)
    rev = fwd.return_key(binding)
    ct = ConnTrackKey(SERVER, 80, 1, 5000, 6, DEVICE)
    for change in (NatBound(fwd, binding), NatBound(rev, fwd.return_binding()), ConnTrackAdded(ct)):
        assert table.apply(change, now=0.0)
    assert not table.apply(ConnTrackAdded(ct), now=1.0)  # known: only refreshed
    in_use = {fwd, rev}
    assert table.expire(10.5, in_use.__contains__) == []  # the conntrack key moved to 11
    assert table.expire(11.5, in_use.__contains__) == [ct]
    assert table.nat_binding(fwd) == binding
    in_use.clear()
    assert set(table.expire(30.0, in_use.__contains__)) == {fwd, rev}
    assert len(table) == 0
    assert allocator.leased(DEVICE, binding.ip) == []  # the port went back


def test_merge_keeps_our_entries_and_exports_what_a_flow_created() -> None:
    table = FlowStateTable()
    fwd = NatKey(NatKind.FWD_DNAT, 1, 2, 3, 4, 6, DEVICE)
    table.apply(NatBound(fwd, NatBinding(9, 9)), now=0.0)
    added = table.merge([(fwd, NatBinding(8, 8)), (ConnTrackKey(1, 2, 3, 4, 6, DEVICE), None)], 0.0)
    assert added == [ConnTrackKey(1, 2, 3, 4, 6, DEVICE)]
    assert table.nat_binding(fwd) == NatBinding(9, 9)
    exported = table.entries([fwd, "some-other-tag", ConnTrackKey(1, 2, 3, 4, 6, DEVICE)])
    assert exported == [(fwd, NatBinding(9, 9)), (ConnTrackKey(1, 2, 3, 4, 6, DEVICE), None)]


def test_a_thousand_clients_through_snat_get_distinct_bindings() -> None:
    built = build_topology(
        {
            "routers": {"r1": {"outbound_filter": "post"}},
            "ports": {
                "in": {"router": "r1", "address": "10.0.0.1/16", "mac": "02:00:00:00:01:01"},
                "up": {"router": "r1", "address": "198.51.100.1/24", "mac": "02:00:00:00:01:02"},
            },
            "routes": [
                {"router": "r1", "dst": "0.0.0.0/0", "via": "up", "gateway": "198.51.100.254"}
            ],
            "chains": {
                "post": [
                    {
                        "type": "snat",
                        "out_ports": ["up"],
                        "target": "198.51.100.2-198.51.100.3:1024-65535",
                    }
                ]
            },
        }
    )
    state = FakeSimulationState()
    state.learn_arp(built.id("r1"), builder.ip4("198.51.100.254"), b"\x02\0\0\0\xfe\xfe", 0.0)
    bindings = set()
    for i in range(1000):
        frame = builder.tcp_frame(
            src_mac="02:00:00:00:00:05",
            dst_mac="02:00:00:00:01:01",
            src_ip=str(ipaddress.IPv4Address("10.0.1.0") + i),
            dst_ip="203.0.113.5",
            src_port=40000,  # every client uses the same port: the translation must not
            dst_port=443,
        ).serialize()
        result = simulate(frame, built.id("in"), built.topology, state, 0.0)
        state.apply(result.state_changes)
        fields = {a.field: a.value for a in result.actions if hasattr(a, "field")}
        bindings.add((fields["nw_src"], fields["src_port"]))
    assert len(bindings) == 1000


def test_snat_allocation_stays_fast_and_reuses_freed_ports_below_the_cursor(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "nsdb.db")
    try:
        session = store.state.open_session(30, owner="t")
        allocator = SnatAllocator(NatLeases(store.state), session, "me", rng=random.Random(3))
        device = uuid.uuid4()
        targets = [NatTarget.parse("203.0.113.1:1024-1279")]  # four blocks of 64
        taken = [allocator.allocate(device, 1, 80, 6, targets) for _ in range(256)]
        assert len({b.port for b in taken if b is not None}) == 256
        assert allocator.allocate(device, 1, 80, 6, targets) is None  # all taken
        # Free one port in the middle: the next allocation finds it, wherever the
        # search stopped last.
        freed = taken[100]
        assert freed is not None
        allocator.free(device, 1, 80, 6, freed)
        again = allocator.allocate(device, 1, 80, 6, targets)
        assert again == NatBinding(freed.ip, freed.port)
        # Another destination has every port to itself.
        assert allocator.allocate(device, 2, 80, 6, targets) is not None
    finally:
        store.close()


def test_a_connection_whose_nat_entry_expired_gets_its_translation_back(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "nsdb.db")
    try:
        session = store.state.open_session(30, owner="t")
        allocator = SnatAllocator(NatLeases(store.state), session, "me", rng=random.Random(5))
        device = uuid.uuid4()
        targets = [NatTarget.parse("203.0.113.1:1024-65535")]
        control = allocator.allocate(device, 9, 5201, 6, targets)  # an iperf3 control link
        others = [allocator.allocate(device, 9, 5300, 6, targets) for _ in range(50)]
        assert control is not None and None not in others
        allocator.free(device, 9, 5201, 6, control)  # idle past its life: freed
        for binding in others[:10]:
            assert binding is not None
            allocator.free(device, 9, 5300, 6, binding)
        # Its next packet needs a translation towards the same place: the same one.
        assert allocator.allocate(device, 9, 5201, 6, targets) == control
    finally:
        store.close()


def test_entries_outlive_the_last_flow_that_used_them_by_the_idle_timeout() -> None:
    table = FlowStateTable(idle_timeout=60.0)
    key = ConnTrackKey(1, 1000, 2, 80, 6, uuid.uuid4())
    table.apply(ConnTrackAdded(key), 0.0)
    table.outlive([key, "not-a-state-key"], 55.0)  # its flow went at 55 s
    assert table.expire(61.0, lambda _: False) == []  # kept: 55 + 60 is not due yet
    assert table.expire(116.0, lambda _: False) == [key]
