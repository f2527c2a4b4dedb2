"""KernelFlows keeps the kernel's flow map in step with the flow table: what it
offers, what it refuses, counts joined on removal, idle expiry asking the kernel
first (a fake map stands in for the kernel here; test_fast_path.py uses the real
one)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from midonet.agent.datapath.fast_path_entry import V_PACKETS, counters
from midonet.agent.flows.table import FlowTable, RemovalReason
from midonet.agent.kernel_flows import KernelFlows
from midonet.agent.simulation.result import Output, PushVlan, SetField
from midonet.packets.match import FlowMatch

IN, OUT, TUNNELLED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@dataclass
class FakeMap:
    entries: dict[bytes, bytearray] = field(default_factory=dict)
    full: bool = False

    def add(self, key: bytes, value: bytes) -> bool:
        if self.full:
            return False
        self.entries[key] = bytearray(value)
        return True

    def remove(self, key: bytes) -> tuple[int, int]:
        value = self.entries.pop(key, None)
        return counters(bytes(value)) if value is not None else (0, 0)

    def counted(self, key: bytes) -> tuple[int, int] | None:
        value = self.entries.get(key)
        return counters(bytes(value)) if value is not None else None

    def forward(self, key: bytes, packets: int, size: int) -> None:
        """What the kernel does for each packet it forwards: count it."""
        value = self.entries[key]
        total, total_size = counters(bytes(value))
        value[V_PACKETS : V_PACKETS + 16] = (total + packets).to_bytes(8, "little") + (
            total_size + size
        ).to_bytes(8, "little")

    def close(self) -> None:
        pass


@dataclass
class FakePort:
    number: int
    ifindex: int
    in_kernel: bool = True


class FakeDatapath:
    def __init__(self) -> None:
        self.ports = {1: FakePort(1, 11), 2: FakePort(2, 12)}
        self.by_vport = {IN: self.ports[1], OUT: self.ports[2]}


def _setup() -> tuple[KernelFlows, FakeMap, FlowTable[FlowMatch, tuple[object, ...]]]:
    fake = FakeMap()
    kernel = KernelFlows(fake, FakeDatapath())  # type: ignore[arg-type]
    table: FlowTable[FlowMatch, tuple[object, ...]] = FlowTable(
        idle_timeout=10.0,
        on_removed=lambda f, _: kernel.removed(f),  # type: ignore[arg-type]
    )
    return kernel, fake, table


MATCH = FlowMatch(in_port=1, ethertype=0x0800, nw_proto=6, nw_ttl=64, src_port=5, dst_port=80)
ROUTED = (SetField("nw_ttl", 63), SetField("nw_src", 0x0A000001), Output(OUT))


def test_a_flow_is_offered_on_install_and_leaves_with_its_kernel_counts() -> None:
    kernel, fake, table = _setup()
    flow = table.install(MATCH, ROUTED, ["tag"], 0.0)
    flow.packets, flow.bytes = 1, 60  # the first packet, forwarded by the agent
    assert kernel.installed(flow)  # type: ignore[arg-type]
    assert len(kernel) == 1 and len(fake.entries) == 1
    [key] = fake.entries
    fake.forward(key, 10, 15_000)
    table.invalidate("tag")
    assert not fake.entries and len(kernel) == 0
    assert (flow.packets, flow.bytes) == (11, 15_060)
    assert kernel.kernel_packets == 10


def test_what_the_kernel_cannot_do_stays_with_the_agent() -> None:
    kernel, fake, table = _setup()
    tunnelled = table.install(MATCH._replace(src_port=6), (Output(TUNNELLED),), [], 0.0)
    tagged = table.install(MATCH._replace(src_port=7), (PushVlan(5), Output(OUT)), [], 0.0)
    error = MATCH._replace(nw_proto=1, src_port=3, dst_port=1, icmp_data_src=5)
    icmp = table.install(error, (Output(OUT),), [], 0.0)  # it quotes a datagram
    other_port = table.install(MATCH._replace(in_port=9), (Output(OUT),), [], 0.0)  # not ours
    for flow in (tunnelled, tagged, icmp, other_port):
        assert not kernel.installed(flow)  # type: ignore[arg-type]
    fake.full = True
    assert not kernel.installed(table.install(MATCH, ROUTED, [], 0.0))  # type: ignore[arg-type]
    assert len(kernel) == 0


def test_idle_expiry_keeps_a_flow_the_kernel_still_forwards() -> None:
    kernel, fake, table = _setup()
    flow = table.install(MATCH, ROUTED, [], 0.0)
    assert kernel.installed(flow)  # type: ignore[arg-type]
    [key] = fake.entries
    fake.forward(key, 3, 180)
    assert table.expire(11.0, used_elsewhere=kernel.used) == []  # type: ignore[arg-type]
    assert flow.last_used == 11.0 and flow.packets == 3
    # Nothing since: it goes, and its entry with it.
    removed = table.expire(22.0, used_elsewhere=kernel.used)  # type: ignore[arg-type]
    assert removed == [flow] and not fake.entries


def test_eviction_removes_the_entry_too() -> None:
    kernel, fake, _ = _setup()
    evicted: list[RemovalReason] = []

    def removed(flow: object, reason: RemovalReason) -> None:
        evicted.append(reason)
        kernel.removed(flow)  # type: ignore[arg-type]

    small: FlowTable[FlowMatch, tuple[object, ...]] = FlowTable(max_flows=1, on_removed=removed)
    first = small.install(MATCH, ROUTED, [], 0.0)
    assert kernel.installed(first)  # type: ignore[arg-type]
    second = small.install(MATCH._replace(src_port=9), ROUTED, [], 1.0)
    assert kernel.installed(second)  # type: ignore[arg-type]
    assert len(fake.entries) == 1 and len(kernel) == 1
    assert evicted == [RemovalReason.EVICTED]
