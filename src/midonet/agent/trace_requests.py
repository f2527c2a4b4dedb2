"""Live trace requests (the API's `/traces`): trace the packets that match a
condition at a device, in every agent, and keep the results where the API reads them.

An enabled `TraceRequest` names one port, bridge or router and a condition. While any
is enabled, the agent simulates new packets with tracing on; a packet whose
simulation passed through the request's device and whose ingress matches its
condition is recorded: its report (`midonet.trace.report`) goes to the state table
`traces/<request id>/results`, keyed `<host id>/<sequence>`, and no flow is installed
for it, so the next such packet is traced too. After `limit` packets (counted by each
agent, as MidoNet's agents did) the request stops matching here. Each agent keeps its
last `MAX_RESULTS_PER_HOST` results of a request, and removes them when the request
is deleted.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from midonet.agent.simulation import SimulationResult, SimulationState
from midonet.agent.simulation.compiled import SimTopology
from midonet.agent.simulation.condition import Predicate, compile_condition
from midonet.agent.simulation.context import PacketContext
from midonet.agent.topology.snapshot import Topology
from midonet.model import Port, TraceRequest
from midonet.packets.match import FlowMatch
from midonet.store.state import StateStore
from midonet.trace.packet import describe_match
from midonet.trace.report import build_report

log = logging.getLogger("org.midonet.midolman.trace-requests")

MAX_RESULTS_PER_HOST = 100


def results_table(request_id: uuid.UUID) -> str:
    return f"traces/{request_id}/results"


@dataclass(slots=True)
class _Live:
    request: TraceRequest
    device_id: uuid.UUID
    predicate: Predicate
    matched: int = 0


class LiveTraceRequests:
    """The enabled trace requests of the current topology (owned by the loop thread)."""

    def __init__(self, state: StateStore, host_id: uuid.UUID) -> None:
        self._state = state
        self._host_id = host_id
        self._live: dict[uuid.UUID, _Live] = {}
        self._sequence = 0
        self._recorded: set[uuid.UUID] = set()
        """Requests this agent wrote results for."""
        self.active = False

    def update(self, topology: Topology) -> set[uuid.UUID]:
        """Follow the snapshot: new and changed requests compiled, gone ones dropped;
        a request's count survives edits. Returns the devices of requests that are new
        or changed: their installed flows must go so that matching traffic is
        simulated (and traced) again."""
        live: dict[uuid.UUID, _Live] = {}
        changed: set[uuid.UUID] = set()
        for request in topology.objects(TraceRequest):
            device = request.device_id
            if not request.enabled or device is None:
                continue
            previous = self._live.get(request.id)
            matched = previous.matched if previous is not None else 0
            if previous is None or previous.request != request:
                changed.add(device)
            predicate = compile_condition(request.condition, topology)
            live[request.id] = _Live(request, device, predicate, matched)
        present = {request.id for request in topology.objects(TraceRequest)}
        for gone in self._recorded - present:
            self._forget_results(gone)
        self._recorded &= present
        self._live = live
        self._refresh()
        return changed

    def _forget_results(self, request_id: uuid.UUID) -> None:
        """A deleted request's results go with it (this agent's share of them)."""
        table = results_table(request_id)
        try:
            for key in list(self._state.entries(table)):
                if key.startswith(f"{self._host_id}/"):
                    self._state.remove(table, key)
        except Exception:  # the NSDB may be away; stale results are harmless
            log.exception("could not clear the results of trace request %s", request_id)

    def _refresh(self) -> None:
        self.active = any(r.matched < r.request.limit for r in self._live.values())

    def record(
        self,
        frame: bytes,
        match: FlowMatch,
        vport_id: uuid.UUID,
        result: SimulationResult,
        topology: Topology,
        state: SimulationState,
        now: float,
    ) -> bool:
        """Record `result` (simulated with tracing) for every request it matches;
        True if any did (the caller then installs no flow)."""
        if result.trace is None:
            return False
        touched = {s.device_id for s in result.trace} | {s.port_id for s in result.trace}
        hits = [
            live
            for live in self._live.values()
            if live.matched < live.request.limit
            and live.device_id in touched
            and _condition_holds(live.predicate, frame, match, vport_id, topology, state, now)
        ]
        for live in hits:
            live.matched += 1
            self._write(live.request, vport_id, match, result, topology)
        if hits:
            self._refresh()
        return bool(hits)

    def _write(
        self,
        request: TraceRequest,
        vport_id: uuid.UUID,
        match: FlowMatch,
        result: SimulationResult,
        topology: Topology,
    ) -> None:
        self._sequence += 1
        report: dict[str, Any] = build_report(
            result,
            topology,
            ingress_port_id=vport_id,
            packet=describe_match(match),
            traced_by=f"agent {self._host_id}",
        )
        report["hostId"] = str(self._host_id)
        report["timestampMs"] = int(time.time() * 1000)
        table = results_table(request.id)
        self._recorded.add(request.id)
        try:
            self._state.put(table, f"{self._host_id}/{self._sequence:012d}", report)
            old = self._sequence - MAX_RESULTS_PER_HOST
            if old > 0:
                self._state.remove(table, f"{self._host_id}/{old:012d}")
        except Exception:  # the NSDB may be away: the packet still goes
            log.exception("could not store a result of trace request %s", request.id)


def _condition_holds(
    predicate: Predicate,
    frame: bytes,
    match: FlowMatch,
    vport_id: uuid.UUID,
    topology: Topology,
    state: SimulationState,
    now: float,
) -> bool:
    """The request's condition, evaluated on the packet as it entered by `vport_id`."""
    ctx = PacketContext(frame, match, SimTopology.of(topology), state, now, False)
    ctx.in_port_id = vport_id
    port = topology.get(Port, vport_id)
    if port is not None:
        ctx.in_port_groups = port.port_group_ids
        ctx.port_groups = port.port_group_ids
        if port.device_id is not None:
            ctx.devices.add(port.device_id)
    try:
        return bool(predicate(ctx))
    except Exception:
        log.exception("evaluating a trace request's condition failed")
        return False
