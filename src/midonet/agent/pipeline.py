"""The packet pipeline: frame in → FlowMatch → flow table → actions, or simulation.

    hit:   apply the flow's actions (rewrites keep checksums right), output locally
    miss:  simulate against the current topology and state → write the state changes
           → install the flow if cacheable → execute → emit generated packets
           (simulated as leaving their device's port) → park packets waiting for ARP

Parked packets are simulated again when the router's ARP entry appears (its flow tag
arrives from the state tables), the ARP request is repeated every
ARP_RETRY_INTERVAL, and after ARP_TIMEOUT each packet's give-up packet (an ICMP
unreachable) is emitted. Everything here runs on the agent's loop thread; a packet
that cannot be parsed or whose simulation fails is dropped and counted, never allowed
to stop the loop.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from midonet.agent.datapath.offload import F_NEEDS_CSUM, VnetHeader
from midonet.agent.flows.table import Flow, FlowTable, RemovalReason
from midonet.agent.meters import MeterRegistry
from midonet.agent.simulation import (
    ARP_RETRY_INTERVAL,
    ARP_TIMEOUT,
    ArpLearned,
    GeneratedPacket,
    Parked,
    SimulationResult,
    SimulationState,
    StateChange,
    apply_actions,
    install,
    simulate,
    simulate_egress,
)
from midonet.agent.simulation.flow import Actions
from midonet.agent.simulation.flow_plan import compile_plan
from midonet.agent.simulation.tags import ARP_TAG
from midonet.agent.topology.snapshot import Topology
from midonet.agent.trace_requests import LiveTraceRequests
from midonet.agent.tracing import PacketTracer, PacketTracers
from midonet.errors import MalformedPacket
from midonet.metrics import Histogram
from midonet.packets.match import FlowMatch, match_frame
from midonet.trace.packet import describe_match
from midonet.trace.report import build_report, render_text

log = logging.getLogger(__name__)

_GENERIC = object()
"""A flow whose actions have no compiled plan: `apply_actions` runs them."""

PLAN_AFTER = 3
"""Packets a flow forwards with `apply_actions` before its plan is compiled: a plan
costs a few times one application, and most short connections never repay it."""
MAX_PARKED_PER_ADDRESS = 32
MAX_GENERATED_DEPTH = 4
"""Generated packets may generate more (an ICMP error answered by a router); bounded."""


class Output(Protocol):
    def __call__(self, vport_id: uuid.UUID, frame: bytes, vnet: bytes | None) -> bool:
        """Send `frame` out of a virtual port; False if it has nowhere to go."""
        ...


WriteState = Callable[[Iterable[StateChange]], Iterable[Hashable] | None]
"""Writes a simulation's state changes; returns the tags of those that changed
something (None: take every change's tag as changed)."""


class FlowOffload(Protocol):
    """Where installed flows may go to be forwarded without us (`KernelFlows`)."""

    def installed(self, flow: Flow[FlowMatch, Actions]) -> bool: ...

    def removed(self, flow: Flow[FlowMatch, Actions]) -> None: ...

    def used(self, flow: Flow[FlowMatch, Actions], now: float) -> bool: ...

    def sync(self, flows: list[Flow[FlowMatch, Actions]], now: float) -> None: ...


@dataclass(slots=True)
class PipelineStats:
    packets: int = 0
    flow_hits: int = 0
    simulations: int = 0
    malformed: int = 0
    simulation_errors: int = 0
    errors: int = 0  # other failures while handling one packet (it is dropped)
    dropped: int = 0
    undeliverable: int = 0
    generated: int = 0
    parked: int = 0
    resumed: int = 0
    gave_up: int = 0
    invalidated: int = 0
    expired: int = 0
    flows_created: int = 0
    flows_deleted: int = 0
    traced: int = 0
    drop_reasons: dict[str, int] = field(default_factory=dict)
    flows_deleted_by: dict[str, int] = field(default_factory=dict)
    """Flows removed, by `RemovalReason` value."""


@dataclass(slots=True)
class _ParkedPacket:
    frame: bytes
    vport_id: uuid.UUID
    in_port: int
    give_up: GeneratedPacket | None


@dataclass(slots=True)
class _Waiting:
    """The packets waiting for one router's next hop to resolve."""

    request: GeneratedPacket
    first_request: float
    last_request: float
    packets: list[_ParkedPacket] = field(default_factory=list)


class PacketPipeline:
    def __init__(
        self,
        topology: Callable[[], Topology],
        state: SimulationState,
        write_state: WriteState,
        output: Output,
        clock: Callable[[], float],
        *,
        idle_timeout: float = 60.0,
        max_flows: int = 20_000,
        share_state: Callable[[SimulationResult], None] | None = None,
        flow_removed: Callable[[frozenset[Hashable]], None] | None = None,
    ) -> None:
        self._topology = topology
        self._state = state
        self._write_state = write_state
        self._output = output
        self._clock = clock
        self._share_state = share_state
        """Given each simulated result that forwards (flow-state sharing)."""
        self._on_flow_removed = flow_removed
        """Given the tags of each flow removed (flow state outlives its flows)."""
        self.flows: FlowTable[FlowMatch, Actions] = FlowTable(
            idle_timeout=idle_timeout, max_flows=max_flows, on_removed=self._flow_removed
        )
        self.stats = PipelineStats()
        self.meters = MeterRegistry()
        self.tracers = PacketTracers()
        self.trace_requests: LiveTraceRequests | None = None
        """The API's enabled `/traces` (set by the agent)."""
        self.offload: FlowOffload | None = None
        """The kernel fast path, when the agent has one."""
        self.simulation_latency = Histogram(
            "midolman_simulation_latency_seconds",
            "Latency of simulating one packet (MidoNet's PacketPipelineHistogram.packetsProcessed)",
        )
        self._waiting: dict[tuple[uuid.UUID, int], _Waiting] = {}

    # --- packets ------------------------------------------------------------------------

    def handle(
        self, in_port: int, vport_id: uuid.UUID, frame: bytes, vnet: bytes | None = None
    ) -> None:
        """A frame received on datapath port `in_port`, bound to `vport_id`. `vnet`
        is the virtio-net header of a GSO frame (sent along with its outputs)."""
        stats = self.stats
        stats.packets += 1
        try:
            match = match_frame(frame, in_port)
        except MalformedPacket:
            stats.malformed += 1
            return
        now = self._clock()
        flow = self.flows.lookup(match, now, len(frame))
        if flow is not None:
            stats.flow_hits += 1
            try:
                if vnet is None and flow.actions and flow.packets > PLAN_AFTER:
                    plan = flow.compiled
                    if plan is None:
                        plan = flow.compiled = compile_plan(frame, flow.actions) or _GENERIC
                    if plan is not _GENERIC:
                        for out_port, out in plan(frame):
                            if not self._output(out_port, out, None):
                                stats.undeliverable += 1
                        return
                self._execute(frame, flow.actions, vnet)
            except Exception:  # a frame the actions cannot apply to: drop it alone
                stats.errors += 1
                log.exception("applying a flow to a packet from %s failed", vport_id)
            return
        tracer = self.tracers.matching(match) if self.tracers.active else None
        requests = self.trace_requests
        tracing = tracer is not None or (requests is not None and requests.active)
        try:
            topology = self._topology()
            started = time.perf_counter()
            result = simulate(
                frame, vport_id, topology, self._state, now, match=match, trace=tracing
            )
            self.simulation_latency.observe(time.perf_counter() - started)
        except MalformedPacket:
            stats.malformed += 1
            return
        except Exception:
            stats.simulation_errors += 1
            log.exception("simulating a packet from port %s failed; dropped", vport_id)
            return
        stats.simulations += 1
        try:
            traced = False
            if tracer is not None:
                self._log_trace(tracer, match, vport_id, result, topology)
                traced = True
            if requests is not None and requests.active:
                args = (frame, match, vport_id, result, topology, self._state, now)
                traced = requests.record(*args) or traced
            self._apply_state(result)
            if self._share_state is not None and result.actions:
                self._share_state(result)  # before the packet: its reply may go there
            # The packet goes first; installing its flow (evicting, offloading) is
            # bookkeeping its receiver need not wait for. No packet is read meanwhile.
            try:
                self._execute(frame, result.actions, vnet)
            except Exception:  # this packet is lost; its flow is still right
                stats.errors += 1
                log.exception("sending the packet from %s failed", vport_id)
            # A traced packet installs no flow: the next one it matches is traced too.
            flow = None if traced else install(self.flows, match, result, now)
            if flow is not None:
                stats.flows_created += 1
                self.meters.track(flow, result.meters)
                if self.offload is not None:
                    self.offload.installed(flow)
            self.meters.count(result.meters, len(frame))
            self._finish(result, frame, vport_id, in_port, 0)
        except Exception:
            stats.errors += 1
            log.exception("applying the simulation of a packet from %s failed", vport_id)

    def _log_trace(
        self,
        tracer: PacketTracer,
        match: FlowMatch,
        vport_id: uuid.UUID,
        result: SimulationResult,
        topology: Topology,
    ) -> None:
        self.stats.traced += 1
        report = build_report(
            result,
            topology,
            ingress_port_id=vport_id,
            packet=describe_match(match),
            traced_by="mm-trace " + tracer.spec(),
        )
        self.tracers.log(tracer, self.tracers.next_cookie(), render_text(report).splitlines())

    def add_tracer(self, tracer: PacketTracer) -> None:
        """Start tracing; installed flows go so that established traffic is traced."""
        self.tracers.add(tracer)
        self.stats.invalidated += len(self.flows.clear())

    def follow_trace_requests(self, topology: Topology) -> None:
        """The API's trace requests changed (or the topology did)."""
        if self.trace_requests is not None:
            self.invalidate(self.trace_requests.update(topology))

    def _flow_removed(self, flow: Flow[FlowMatch, Actions], reason: RemovalReason) -> None:
        if self.offload is not None:
            self.offload.removed(flow)  # first: the kernel's counts join the flow's
        stats = self.stats
        stats.flows_deleted += 1
        stats.flows_deleted_by[reason.value] = stats.flows_deleted_by.get(reason.value, 0) + 1
        self.meters.flow_removed(flow)
        if self._on_flow_removed is not None:
            self._on_flow_removed(flow.tags)

    def _execute(self, frame: bytes, actions: Actions, vnet: bytes | None) -> None:
        if not actions:
            self.stats.dropped += 1
            return
        partial = vnet is not None and bool(VnetHeader.unpack(vnet).flags & F_NEEDS_CSUM)
        for vport_id, out in apply_actions(frame, actions, partial_l4=partial):
            header = vnet
            if vnet is not None and len(out) != len(frame):
                header = _shift(vnet, len(out) - len(frame))
            if not self._output(vport_id, out, header):
                self.stats.undeliverable += 1

    def _apply_state(self, result: SimulationResult) -> None:
        changes = result.state_changes
        if not changes:
            return
        changed: Iterable[Hashable] | None = None
        try:
            changed = self._write_state(changes)
        except Exception:
            log.exception("writing %d state changes failed", len(changes))
        # A refresh (the same ARP answer, a MAC seen again on its port) leaves flows
        # be: dropping every flow through a next hop each time it re-ARPs would
        # hand them all back to simulation at once.
        self.invalidate(changed if changed is not None else (c.tag for c in changes))
        for change in changes:
            if isinstance(change, ArpLearned):
                self._resume((change.router_id, change.ip))

    def _finish(
        self,
        result: SimulationResult,
        frame: bytes,
        vport_id: uuid.UUID,
        in_port: int,
        depth: int,
    ) -> None:
        if result.drop_reason is not None:
            reason = result.drop_reason.name
            self.stats.drop_reasons[reason] = self.stats.drop_reasons.get(reason, 0) + 1
        for packet in result.generated:
            self.emit(packet, depth)
        if result.parked is not None:
            self._park(result.parked, frame, vport_id, in_port)

    def emit(self, packet: GeneratedPacket, depth: int = 0) -> None:
        """Send a packet a device generated, simulated as leaving its port."""
        if depth >= MAX_GENERATED_DEPTH:
            return
        self.stats.generated += 1
        try:
            result = simulate_egress(
                packet.frame, packet.port_id, self._topology(), self._state, self._clock()
            )
        except Exception:
            self.stats.simulation_errors += 1
            log.exception("simulating a packet generated at port %s failed", packet.port_id)
            return
        self._apply_state(result)
        self.meters.count(result.meters, len(packet.frame))
        self._execute(packet.frame, result.actions, None)
        self._finish(result, packet.frame, packet.port_id, 0, depth + 1)

    # --- ARP parking --------------------------------------------------------------------

    def _park(self, parked: Parked, frame: bytes, vport_id: uuid.UUID, in_port: int) -> None:
        key = (parked.router_id, parked.ip)
        waiting = self._waiting.get(key)
        if waiting is None:
            # The simulation emitted the first request itself (it is in `generated`).
            now = self._clock()
            waiting = _Waiting(parked.request, parked.first_request, now)
            self._waiting[key] = waiting
        if len(waiting.packets) >= MAX_PARKED_PER_ADDRESS:
            self.stats.dropped += 1
            return
        waiting.packets.append(_ParkedPacket(frame, vport_id, in_port, parked.give_up))
        self.stats.parked += 1

    def check_parked(self) -> None:
        """Repeat ARP requests and give up on addresses that never answered (timer)."""
        now = self._clock()
        for key, waiting in list(self._waiting.items()):
            if now - waiting.first_request >= ARP_TIMEOUT:
                del self._waiting[key]
                for packet in waiting.packets:
                    self.stats.gave_up += 1
                    if packet.give_up is not None:
                        self.emit(packet.give_up)
            elif now - waiting.last_request >= ARP_RETRY_INTERVAL:
                waiting.last_request = now
                self.emit(waiting.request)

    def _resume(self, key: tuple[uuid.UUID, int]) -> None:
        waiting = self._waiting.pop(key, None)
        if waiting is None:
            return
        for packet in waiting.packets:
            self.stats.resumed += 1
            self.handle(packet.in_port, packet.vport_id, packet.frame)

    @property
    def parked_count(self) -> int:
        return sum(len(w.packets) for w in self._waiting.values())

    # --- flows --------------------------------------------------------------------------

    def invalidate(self, tags: Iterable[Hashable]) -> None:
        """Drop the flows tagged with any of `tags`; resume packets parked for an ARP
        entry among them."""
        for tag in tags:
            self.stats.invalidated += len(self.flows.invalidate(tag))
            if isinstance(tag, tuple) and len(tag) == 3 and tag[0] == ARP_TAG:
                self._resume((tag[1], tag[2]))

    def forget_port(self, vport_id: uuid.UUID, in_port: int) -> None:
        """A port left the datapath: its flows and its parked packets go."""
        self.stats.invalidated += len(self.flows.invalidate(vport_id))
        for flow in [f for f in self.flows if f.key.in_port == in_port]:
            self.flows.remove(flow.key)
        for waiting in self._waiting.values():
            waiting.packets = [p for p in waiting.packets if p.in_port != in_port]

    def sync_offloaded(self) -> None:
        """Bring the counts of flows the kernel forwards up to date (meters read them)."""
        if self.offload is not None:
            self.offload.sync(list(self.flows), self._clock())

    def expire(self) -> None:
        used = self.offload.used if self.offload is not None else None
        self.stats.expired += len(self.flows.expire(self._clock(), used_elsewhere=used))


def _shift(vnet: bytes, delta: int) -> bytes:
    return VnetHeader.unpack(vnet).shifted(delta)
