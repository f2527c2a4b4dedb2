"""PacketContext: the mutable state of one simulation.

The packet's fields are plain attributes (read by compiled conditions, rewritten by
routers), copied once from the FlowMatch. The context also gathers what the result
reports: outputs, tags, state changes, generated packets, meters and, when asked,
the trace. Forks (a flood, a mirror) save and restore the rewritable fields.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from midonet.agent.simulation import conntrack
from midonet.agent.simulation.result import (
    DropReason,
    GeneratedPacket,
    Parked,
    StateChange,
    Tag,
    TraceStep,
)
from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey
from midonet.packets.match import FlowMatch

if TYPE_CHECKING:
    from midonet.agent.simulation.compiled import SimTopology
    from midonet.agent.simulation.state import SimulationState
    from midonet.agent.topology.snapshot import Topology

MAX_DEVICES_TRAVERSED = 12
"""MidoNet's loop guard: a packet entering more devices than this is dropped."""

Rewritable = tuple[bytes, bytes, tuple[int, ...], int, int, int, int, int, int, int, int, int, int]
"""eth_src, eth_dst, vlan_ids, nw_src, nw_dst, nw_tos, nw_ttl, src_port, dst_port,
icmp_data_src, icmp_data_dst, icmp_data_src_port, icmp_data_dst_port (the datagram
an ICMP error quotes, which NAT translates)."""

Saved = tuple[
    Rewritable,
    "uuid.UUID | None",
    "tuple[uuid.UUID, ...]",
    "uuid.UUID | None",
    "tuple[uuid.UUID, ...]",
    int,
    "set[uuid.UUID]",
    int,
]


class PacketContext:
    __slots__ = (
        "consumed",
        "ct_forward",
        "ct_key",
        "devices",
        "drop_reason",
        "dst_port",
        "eth_dst",
        "eth_src",
        "ethertype",
        "frag_type",
        "frame",
        "generated",
        "generated_packet",
        "hops",
        "icmp_data_dst",
        "icmp_data_dst_port",
        "icmp_data_src",
        "icmp_data_src_port",
        "icmp_error",
        "in_port_groups",
        "in_port_id",
        "ingress_device",
        "match",
        "meters",
        "nat_pending",
        "now",
        "nw_dst",
        "nw_dst_rewritten",
        "nw_proto",
        "nw_src",
        "nw_tos",
        "nw_ttl",
        "out_port_groups",
        "out_port_id",
        "outputs",
        "parked",
        "port_groups",
        "received_ttl",
        "sim",
        "src_port",
        "state",
        "state_changes",
        "tags",
        "topology",
        "trace",
        "userspace_only",
        "vlan_ids",
    )

    def __init__(
        self,
        frame: bytes,
        match: FlowMatch,
        sim: SimTopology,
        state: SimulationState,
        now: float,
        trace: bool,
    ) -> None:
        self.frame = frame
        self.match = match
        self.sim = sim
        self.topology: Topology = sim.topology
        self.state = state
        self.now = now
        (
            _,
            _,
            self.eth_src,
            self.eth_dst,
            self.ethertype,
            self.vlan_ids,
            self.nw_src,
            self.nw_dst,
            self.nw_proto,
            self.nw_tos,
            self.nw_ttl,
            self.frag_type,
            self.src_port,
            self.dst_port,
            _,
            self.icmp_data_src,
            self.icmp_data_dst,
            _,
            self.icmp_data_src_port,
            self.icmp_data_dst_port,
        ) = match
        self.icmp_error = match.is_icmp_error
        self.received_ttl = self.nw_ttl
        """The TTL as the current router received it (ICMP errors quote that)."""
        self.nw_dst_rewritten = False
        self.in_port_id: uuid.UUID | None = None
        self.ingress_device: uuid.UUID | None = None
        self.port_groups: tuple[uuid.UUID, ...] = ()
        """Groups of the exterior port the packet entered by (MidoNet's portGroups)."""
        self.out_port_id: uuid.UUID | None = None
        self.in_port_groups: tuple[uuid.UUID, ...] = ()
        self.out_port_groups: tuple[uuid.UUID, ...] = ()
        self.devices: set[uuid.UUID] = set()
        self.hops = 0
        self.tags: set[Tag] = set()
        self.outputs: list[tuple[uuid.UUID, Rewritable]] = []
        self.generated: list[GeneratedPacket] = []
        self.state_changes: list[StateChange] = []
        self.meters: list[str] = []
        self.drop_reason: DropReason | None = None
        self.consumed = False
        self.userspace_only = False
        self.parked: Parked | None = None
        self.trace: list[TraceStep] | None = [] if trace else None
        self.ct_forward: bool | None = None
        """The conntrack verdict, once a rule asked (`conntrack.is_forward_flow`)."""
        self.ct_key: ConnTrackKey | None = None
        self.generated_packet = False
        """A packet a device emitted (generated packets are return flows)."""
        self.nat_pending: dict[NatKey, NatBinding] | None = None
        """Translations chosen during this simulation, not yet in the state."""

    # --- forks ----------------------------------------------------------------------

    def rewritable(self) -> Rewritable:
        return (
            self.eth_src,
            self.eth_dst,
            self.vlan_ids,
            self.nw_src,
            self.nw_dst,
            self.nw_tos,
            self.nw_ttl,
            self.src_port,
            self.dst_port,
            self.icmp_data_src,
            self.icmp_data_dst,
            self.icmp_data_src_port,
            self.icmp_data_dst_port,
        )

    def save(self) -> Saved:
        """What a fork restores before its next branch: the packet's rewritable
        fields and where it is (a branch may enter other devices)."""
        return (
            self.rewritable(),
            self.in_port_id,
            self.in_port_groups,
            self.out_port_id,
            self.out_port_groups,
            self.hops,
            set(self.devices),
            self.received_ttl,
        )

    def restore(self, saved: Saved) -> None:
        (
            fields,
            self.in_port_id,
            self.in_port_groups,
            self.out_port_id,
            self.out_port_groups,
            self.hops,
            devices,
            self.received_ttl,
        ) = saved
        self.devices = set(devices)
        (
            self.eth_src,
            self.eth_dst,
            self.vlan_ids,
            self.nw_src,
            self.nw_dst,
            self.nw_tos,
            self.nw_ttl,
            self.src_port,
            self.dst_port,
            self.icmp_data_src,
            self.icmp_data_dst,
            self.icmp_data_src_port,
            self.icmp_data_dst_port,
        ) = fields

    # --- outcomes -------------------------------------------------------------------

    def output(self, port_id: uuid.UUID) -> None:
        self.outputs.append((port_id, self.rewritable()))
        if self.trace is not None:
            self.step("output", port_id=port_id)

    def drop(self, reason: DropReason, device_id: uuid.UUID | None = None) -> None:
        self.drop_reason = reason
        if self.trace is not None:
            self.step("drop", device_id, detail=(("reason", reason.value),))

    def generate(self, port_id: uuid.UUID, frame: bytes) -> None:
        self.generated.append(GeneratedPacket(port_id, frame))
        if self.trace is not None:
            self.step("generated packet", port_id=port_id, detail=(("bytes", len(frame)),))

    def step(
        self,
        event: str,
        device_id: uuid.UUID | None = None,
        port_id: uuid.UUID | None = None,
        detail: tuple[tuple[str, object], ...] = (),
    ) -> None:
        """Record a trace step; callers guard with `if ctx.trace is not None`."""
        assert self.trace is not None
        self.trace.append(TraceStep(event, device_id, port_id, detail))

    def is_forward_flow(self) -> bool:
        """False for the reply of a tracked connection (see `conntrack`)."""
        return conntrack.is_forward_flow(self)
