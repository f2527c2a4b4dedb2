"""What a simulation decides: actions, outcome, flow tags, state changes and trace.

Actions are applied in order to the frame, as a datapath does: `SetField` rewrites a
field, `PushVlan`/`PopVlan` change the tag stack, `Output` emits the frame as it is
at that point. A flood with different rewrites per port therefore reads
`[Output(a), SetField(...), PushVlan(7), Output(b)]`.

Outcomes: FORWARD (outputs, possibly none left after filtering) and DROP are
cacheable flows; CONSUMED (the packet was answered, e.g. an ARP request or a ping to
the router) and PARKED (waiting for ARP) are not, so the next such packet is
simulated again.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field

from midonet.agent.simulation.state import ArpEntry, FakeSimulationState
from midonet.agent.simulation.state_keys import ConnTrackKey, NatBinding, NatKey
from midonet.agent.simulation.tags import arp_tag, bridge_arp_tag, mac_tag

Tag = Hashable

# --- actions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetField:
    """Rewrite a FlowMatch field (`eth_src`, `eth_dst`, `nw_ttl`, `nw_src`, `nw_dst`,
    `nw_tos`, `src_port`, `dst_port`, and in the datagram an ICMP error quotes
    `icmp_data_src`, `icmp_data_dst`, `icmp_data_src_port`, `icmp_data_dst_port`);
    checksums follow."""

    field: str
    value: int | bytes


@dataclass(frozen=True, slots=True)
class PushVlan:
    vid: int


@dataclass(frozen=True, slots=True)
class PopVlan:
    pass


@dataclass(frozen=True, slots=True)
class Output:
    """Emit the frame on a virtual port (exterior: the agent maps it to a datapath
    port or a tunnel)."""

    port_id: uuid.UUID


Action = SetField | PushVlan | PopVlan | Output


class Outcome(enum.Enum):
    FORWARD = "forward"
    DROP = "drop"
    CONSUMED = "consumed"
    PARKED = "parked"


class DropReason(enum.Enum):
    """Why a packet went nowhere (the trace says where)."""

    PORT_DOWN = "port admin state down"
    DEVICE_DOWN = "device admin state down"
    FILTERED = "dropped by a rule"
    REJECTED = "rejected by a rule"
    LOOP = "too many devices traversed"
    MULTICAST_SOURCE = "multicast source MAC"
    SAME_PORT = "destination learned on the ingress port"
    VLAN_MISMATCH = "VLAN does not match the egress port"
    VLAN_TAGGED = "VLAN-tagged frame at a router"
    UNSUPPORTED_ETHERTYPE = "ethertype not handled by the device"
    NOT_FOR_US = "destination MAC is not the ingress port's"
    NO_ROUTE = "no route to the destination"
    BLACKHOLE = "blackhole route"
    REJECT_ROUTE = "reject route"
    TTL_EXPIRED = "TTL expired"
    LOCAL_NOT_ECHO = "non-echo packet to the router's own address"
    NO_PORT_ADDRESS = "egress router port has no address"
    ARP_UNRESOLVED = "next-hop MAC unknown and not resolvable"
    DANGLING_PORT = "interior port without a peer"
    UNKNOWN_OBJECT = "device, port or chain missing from the topology"
    NO_FLOOD_PORTS = "no port to flood to"
    NOT_IPV4 = "router handles IPv4 and ARP only"
    NO_POOL_MEMBER = "no active pool member for the VIP"
    LB_BACKEND_GONE = "reply from a backend or VIP no longer valid"


# --- state changes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacLearned:
    """The bridge saw `mac` on `port_id` (`previous`: the port it was on, if it moved).
    The agent writes the MAC table and invalidates `mac_tag(bridge, vlan, mac)`."""

    bridge_id: uuid.UUID
    vlan: int
    mac: bytes
    port_id: uuid.UUID
    previous: uuid.UUID | None

    @property
    def tag(self) -> Tag:
        return mac_tag(self.bridge_id, self.vlan, self.mac)

    def apply_to(self, state: FakeSimulationState) -> None:
        state.learn_mac(self.bridge_id, self.mac, self.port_id, self.vlan)


@dataclass(frozen=True, slots=True)
class ArpLearned:
    """A router learned (or refreshed) `ip` → `mac`, at `now`."""

    router_id: uuid.UUID
    ip: int
    mac: bytes
    now: float

    @property
    def tag(self) -> Tag:
        return arp_tag(self.router_id, self.ip)

    def apply_to(self, state: FakeSimulationState) -> None:
        state.learn_arp(self.router_id, self.ip, self.mac, self.now)


@dataclass(frozen=True, slots=True)
class BridgeArpLearned:
    """A gratuitous ARP seen by a bridge: its ARP table maps `ip` to `mac`."""

    bridge_id: uuid.UUID
    ip: int
    mac: bytes

    @property
    def tag(self) -> Tag:
        return bridge_arp_tag(self.bridge_id, self.ip)

    def apply_to(self, state: FakeSimulationState) -> None:
        state.bridge_arps[(self.bridge_id, self.ip)] = self.mac


@dataclass(frozen=True, slots=True)
class ArpRequested:
    """A router sent an ARP request for `ip` (first at `first`, the give-up clock)."""

    router_id: uuid.UUID
    ip: int
    first: float

    @property
    def tag(self) -> Tag:
        return ("arp-request", self.router_id, self.ip)

    def apply_to(self, state: FakeSimulationState) -> None:
        state.arp_requests.setdefault((self.router_id, self.ip), self.first)


@dataclass(frozen=True, slots=True)
class ConnTrackAdded:
    """A forward flow left by an exterior port: its reply, whose key this is, will be
    a return flow."""

    key: ConnTrackKey

    @property
    def tag(self) -> Tag:
        return self.key

    def apply_to(self, state: FakeSimulationState) -> None:
        state.connections.add(self.key)


@dataclass(frozen=True, slots=True)
class NatBound:
    """A translation was chosen: `key` (forward or return) maps to `binding`. A
    forward translation always comes with its return entry, in that order."""

    key: NatKey
    binding: NatBinding

    @property
    def tag(self) -> Tag:
        return self.key

    def apply_to(self, state: FakeSimulationState) -> None:
        state.nat[self.key] = self.binding


StateChange = MacLearned | ArpLearned | BridgeArpLearned | ArpRequested | ConnTrackAdded | NatBound
"""Each has `tag`: the flow tag to invalidate once the change is written."""


# --- generated packets and parking -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GeneratedPacket:
    """A frame a device emits on its own port (ARP reply, ICMP error, echo reply, ARP
    request): the agent simulates it as leaving `port_id` (`simulate_egress`)."""

    port_id: uuid.UUID
    frame: bytes


@dataclass(frozen=True, slots=True)
class Parked:
    """The packet waits for `ip` to resolve on a router port.

    The agent sends `request` (also listed in the generated packets) every
    ARP_RETRY_INTERVAL, simulates the packet again when the ARP table learns `ip`,
    and after ARP_TIMEOUT since `first_request` gives up and sends `give_up` (ICMP
    host unreachable for a directly connected host, net unreachable for a gateway).
    """

    router_id: uuid.UUID
    port_id: uuid.UUID
    ip: int
    request: GeneratedPacket
    first_request: float
    give_up: GeneratedPacket | None
    known: ArpEntry | None = None


# --- trace -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a traced simulation: what happened (`event`), where (`device_id`,
    `port_id`) and the details (rule id and position, route id, MAC, reason...)."""

    event: str
    device_id: uuid.UUID | None = None
    port_id: uuid.UUID | None = None
    detail: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        where = f" {self.device_id}" if self.device_id else ""
        port = f" port {self.port_id}" if self.port_id else ""
        extra = " ".join(f"{k}={v}" for k, v in self.detail)
        return f"{self.event}{where}{port} {extra}".rstrip()


# --- the result --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimulationResult:
    outcome: Outcome
    actions: tuple[Action, ...] = ()
    drop_reason: DropReason | None = None
    tags: frozenset[Tag] = frozenset()
    generated: tuple[GeneratedPacket, ...] = ()
    state_changes: tuple[StateChange, ...] = ()
    parked: Parked | None = None
    meters: tuple[str, ...] = ()
    userspace_only: bool = False
    """Forwarded, but each packet must be simulated (e.g. a flooded gratuitous ARP)."""
    trace: tuple[TraceStep, ...] | None = field(default=None, compare=False)

    @property
    def cacheable(self) -> bool:
        """Forwarded and dropped packets become flows; answered or parked ones do not
        (nor does one whose device also generated packets: they must be sent again)."""
        return (
            self.outcome in (Outcome.FORWARD, Outcome.DROP)
            and not self.generated
            and not self.userspace_only
        )

    @property
    def output_ports(self) -> tuple[uuid.UUID, ...]:
        return tuple(a.port_id for a in self.actions if isinstance(a, Output))
