"""The entry points: simulate a packet entering a port, or a generated packet
leaving one, and turn the context into a SimulationResult.

Actions are derived from the difference between the packet as it entered and as it
leaves by each output (MidoNet's calculateActionsFromMatchDiff), in output order,
each output's rewrites relative to the previous one's.
"""

from __future__ import annotations

import uuid

from midonet.agent.simulation import port
from midonet.agent.simulation.compiled import SimTopology
from midonet.agent.simulation.context import PacketContext, Rewritable
from midonet.agent.simulation.result import (
    Action,
    DropReason,
    Outcome,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    SimulationResult,
)
from midonet.agent.simulation.state import SimulationState
from midonet.agent.topology.snapshot import Topology
from midonet.packets.match import FlowMatch, match_frame

# (index in Rewritable, field name) of the fields a SetField rewrites; 2 is the VLANs.
_SETTABLE = (
    (0, "eth_src"),
    (1, "eth_dst"),
    (3, "nw_src"),
    (4, "nw_dst"),
    (5, "nw_tos"),
    (6, "nw_ttl"),
    (7, "src_port"),
    (8, "dst_port"),
    (9, "icmp_data_src"),
    (10, "icmp_data_dst"),
    (11, "icmp_data_src_port"),
    (12, "icmp_data_dst_port"),
)


def simulate(
    packet: bytes,
    ingress_port_id: uuid.UUID,
    topology: Topology,
    state: SimulationState,
    now: float,
    *,
    trace: bool = False,
    match: FlowMatch | None = None,
) -> SimulationResult:
    """Simulate the Ethernet frame `packet` entering the virtual network by
    `ingress_port_id`. `match` may pass the frame's FlowMatch when the caller has it
    (the datapath always does); MalformedPacket is raised for bytes that do not parse.
    """
    if match is None:
        match = match_frame(packet, 0)
    sim = SimTopology.of(topology)
    ctx = PacketContext(packet, match, sim, state, now, trace)
    ingress = sim.port(ingress_port_id)
    ctx.ingress_device = ingress.port.device_id if ingress is not None else None
    port.ingress(ctx, ingress_port_id)
    return _result(ctx)


def simulate_egress(
    packet: bytes,
    port_id: uuid.UUID,
    topology: Topology,
    state: SimulationState,
    now: float,
    *,
    trace: bool = False,
) -> SimulationResult:
    """Simulate a packet a device generated (`GeneratedPacket`) leaving `port_id`:
    the port's outbound filter, then its peer or its output."""
    sim = SimTopology.of(topology)
    ctx = PacketContext(packet, match_frame(packet, 0), sim, state, now, trace)
    ctx.generated_packet = True
    generator = sim.port(port_id)
    ctx.ingress_device = generator.port.device_id if generator is not None else None
    port.egress(ctx, port_id)
    return _result(ctx)


def _result(ctx: PacketContext) -> SimulationResult:
    actions: tuple[Action, ...] = ()
    reason = None
    if ctx.outputs:
        outcome = Outcome.FORWARD
        actions = actions_for(ctx.match, ctx.outputs)
    elif ctx.parked is not None:
        outcome = Outcome.PARKED
    elif ctx.consumed:
        outcome = Outcome.CONSUMED
    else:
        outcome = Outcome.DROP
        reason = ctx.drop_reason or DropReason.NO_FLOOD_PORTS
    return SimulationResult(
        outcome,
        actions,
        drop_reason=reason,
        tags=frozenset(ctx.tags),
        generated=tuple(ctx.generated),
        state_changes=tuple(ctx.state_changes),
        parked=ctx.parked if outcome is Outcome.PARKED else None,
        meters=tuple(dict.fromkeys(ctx.meters)),
        userspace_only=ctx.userspace_only,
        trace=tuple(ctx.trace) if ctx.trace is not None else None,
    )


def actions_for(
    match: FlowMatch, outputs: list[tuple[uuid.UUID, Rewritable]]
) -> tuple[Action, ...]:
    """The datapath actions that emit each output's rewritten packet in turn."""
    current: Rewritable = (
        match.eth_src,
        match.eth_dst,
        match.vlan_ids,
        match.nw_src,
        match.nw_dst,
        match.nw_tos,
        match.nw_ttl,
        match.src_port,
        match.dst_port,
        match.icmp_data_src,
        match.icmp_data_dst,
        match.icmp_data_src_port,
        match.icmp_data_dst_port,
    )
    actions: list[Action] = []
    for port_id, wanted in outputs:
        if wanted != current:
            actions.extend(_diff(current, wanted))
            current = wanted
        actions.append(Output(port_id))
    return tuple(actions)


def _diff(current: Rewritable, wanted: Rewritable) -> list[Action]:
    out: list[Action] = []
    for index, name in _SETTABLE:
        value = wanted[index]
        if current[index] != value:
            assert isinstance(value, int | bytes)
            out.append(SetField(name, value))
    have, want = current[2], wanted[2]
    if have != want:
        # Tags are pushed and popped at the outside: pop down to the common inner
        # tail, then push the new outer tags.
        common = 0
        while common < min(len(have), len(want)) and have[-1 - common] == want[-1 - common]:
            common += 1
        out.extend(PopVlan() for _ in range(len(have) - common))
        out.extend(PushVlan(vid) for vid in reversed(want[: len(want) - common]))
    return out
