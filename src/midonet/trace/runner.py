"""Run a trace: describe a packet, simulate it with the datapath's own code, report.

`trace_packet` is what both the agent (live topology, live state read-only) and the
cluster (the NSDB's topology and tables, an assumed conntrack verdict) call. Nothing
it does changes any state: the simulation's state changes are reported, not applied.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from midonet.agent.simulation import SimulationState, simulate
from midonet.agent.simulation.compiled import SimTopology
from midonet.agent.topology.snapshot import Topology
from midonet.errors import NotFound, ValidationError
from midonet.model import Port
from midonet.trace.packet import PacketSpec
from midonet.trace.report import Namer, build_report
from midonet.trace.state import ConnTrackAssumption

REQUEST_FIELDS = ("portId", "packet", "ct")


def parse_request(body: object) -> tuple[uuid.UUID, PacketSpec, ConnTrackAssumption | None]:
    """The ingress port, packet and conntrack assumption of a trace request body:
    `{"portId": ..., "packet": {...}, "ct": "new"|"established"}`."""
    if not isinstance(body, Mapping):
        raise ValidationError.of("body", "a trace request is a JSON object", kind="trace")
    unknown = [k for k in body if k not in REQUEST_FIELDS]
    if unknown:
        raise ValidationError.of(
            unknown[0], f"unknown field; known: {', '.join(REQUEST_FIELDS)}", kind="trace"
        )
    try:
        port_id = uuid.UUID(str(body.get("portId")))
    except ValueError:
        raise ValidationError.of(
            "portId", f"{body.get('portId')!r} is not a port id", kind="trace"
        ) from None
    packet = body.get("packet")
    if not isinstance(packet, Mapping):
        raise ValidationError.of(
            "packet", "required: an object describing the packet", kind="trace"
        )
    spec = PacketSpec.from_json(packet)
    ct = None
    if body.get("ct") is not None:
        try:
            ct = ConnTrackAssumption.parse(str(body["ct"]))
        except ValueError as e:
            raise ValidationError.of("ct", str(e), kind="trace") from None
    return port_id, spec, ct


def trace_packet(
    topology: Topology,
    state: SimulationState,
    port_id: uuid.UUID,
    spec: PacketSpec,
    *,
    traced_by: str,
    conntrack: ConnTrackAssumption | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Simulate `spec` entering `port_id` with tracing on; the report (JSON)."""
    port = topology.get(Port, port_id)
    if port is None:
        raise NotFound("Port", port_id)
    sim = SimTopology.of(topology)

    def mac_of_port(p: Port) -> bytes | None:
        return _mac_learned_on(topology, state, p)

    def mac_of_ip(bridge_id: uuid.UUID, ip: int) -> bytes | None:
        known = state.bridge_arp(bridge_id, ip)
        info = sim.bridge(bridge_id)
        if known is None and info is not None:
            known = info.router_mac_by_ip.get(ip)
            if known is None and info.router_mac_by_ip:
                known = next(iter(info.router_mac_by_ip.values()))  # the gateway
        return known

    frame = spec.frame(port, mac_of_port, mac_of_ip, Namer(topology).port_label(port))
    result = simulate(
        frame, port_id, topology, state, time.monotonic() if now is None else now, trace=True
    )
    return build_report(
        result,
        topology,
        ingress_port_id=port_id,
        packet=spec.describe(),
        traced_by=traced_by,
        conntrack=conntrack.value if conntrack is not None else None,
    )


def _mac_learned_on(topology: Topology, state: SimulationState, port: Port) -> bytes | None:
    """A MAC the port's bridge learned on it, found through the peer of a router port
    or by asking the bridge's table for the MACs it knows of its router peers; None
    when the state cannot say (the caller derives one)."""
    peer = topology.get(Port, port.peer_id)
    if peer is not None and peer.port_mac:
        return bytes.fromhex(peer.port_mac.replace(":", ""))
    finder = getattr(state, "mac_learned_on", None)
    if callable(finder) and port.bridge_id is not None:
        found = finder(port.bridge_id, port.id)
        if isinstance(found, bytes):
            return found
    return None
