"""The packet simulation: a pure function from (packet, ingress port, topology
snapshot, state, now) to a SimulationResult.

    result = simulate(frame, port_id, topology, state, now, trace=False)
    result.outcome            FORWARD / DROP (cacheable), CONSUMED / PARKED (not)
    result.actions            SetField / PushVlan / PopVlan / Output, applied in order
    result.drop_reason        why nothing went out
    result.tags               every device, port, chain, route, MAC/ARP entry read
    result.generated          (port, frame) a device emits: ARP replies, ICMP errors
    result.state_changes      MAC/ARP learned (written by the agent, never here)
    result.parked             waiting for ARP: what to resend, when to give up
    result.meters, .trace     rule meters matched; the steps, when trace=True

`simulate_egress` runs a generated packet from the port that emits it; `install`
and `apply_actions` turn a cacheable result into a flow and a flow into frames.
One module per device kind: port, bridge, router (with icmp), chain (with
condition), mirror; `compiled` holds what they derive per snapshot.

Extension points for connection tracking, NAT and load balancing: conditions
already read `PacketContext.is_forward_flow()` (the `conntrack` table of the state,
empty by default) and `nw_dst_rewritten`; NAT rules are parsed and skipped, and
every rewrite the result can express (`SetField` of addresses and ports, with
checksums) is already applied by `apply_actions`.
"""

from midonet.agent.simulation.flow import apply_actions, install
from midonet.agent.simulation.result import (
    Action,
    ArpLearned,
    ArpRequested,
    BridgeArpLearned,
    DropReason,
    GeneratedPacket,
    MacLearned,
    Outcome,
    Output,
    Parked,
    PopVlan,
    PushVlan,
    SetField,
    SimulationResult,
    StateChange,
    TraceStep,
)
from midonet.agent.simulation.simulator import simulate, simulate_egress
from midonet.agent.simulation.state import (
    ARP_EXPIRATION,
    ARP_RETRY_INTERVAL,
    ARP_STALE,
    ARP_TIMEOUT,
    ArpEntry,
    FakeSimulationState,
    SimulationState,
)

__all__ = [
    "ARP_EXPIRATION",
    "ARP_RETRY_INTERVAL",
    "ARP_STALE",
    "ARP_TIMEOUT",
    "Action",
    "ArpEntry",
    "ArpLearned",
    "ArpRequested",
    "BridgeArpLearned",
    "DropReason",
    "FakeSimulationState",
    "GeneratedPacket",
    "MacLearned",
    "Outcome",
    "Output",
    "Parked",
    "PopVlan",
    "PushVlan",
    "SetField",
    "SimulationResult",
    "SimulationState",
    "StateChange",
    "TraceStep",
    "apply_actions",
    "install",
    "simulate",
    "simulate_egress",
]
