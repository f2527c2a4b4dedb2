"""The packet simulation: a pure function from (packet, ingress port, topology
snapshot, state, now) to a SimulationResult — actions, flow tags, state changes,
generated packets and an optional trace. One module per device kind (port, bridge,
router, chain, condition, mirror); `flow` installs results as flows and applies
their actions to frames.
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
