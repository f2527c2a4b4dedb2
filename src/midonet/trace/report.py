"""A traced simulation as people and tools read it.

`build_report` turns a `SimulationResult` with its trace into a JSON document: the
packet, every step with its device and port named, the outcome with its drop reason,
the outputs with the packet as it leaves, the state the packet would create and the
meters it feeds. `render_text` prints it for people; `render_minimal` prints only
what a regression test may compare — names instead of ids, no hashes, no timings —
so the same topology and packet always give the same lines.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from typing import Any

from midonet.agent.simulation import SimulationResult
from midonet.agent.simulation.result import Output, SetField, TraceStep
from midonet.agent.topology.snapshot import Topology
from midonet.model import (
    Bridge,
    Chain,
    LoadBalancer,
    Mirror,
    ModelObject,
    Pool,
    PoolMember,
    Port,
    Route,
    Router,
    Rule,
    Vip,
)

_NAMED_KINDS: tuple[type[ModelObject], ...] = (
    Bridge,
    Router,
    Port,
    Chain,
    Rule,
    Route,
    LoadBalancer,
    Pool,
    PoolMember,
    Vip,
    Mirror,
)
_UNSTABLE = frozenset({"ecmp hash", "key", "return key", "previous", "bytes", "mac"})
"""Details the minimal form leaves out: they vary with hashing, ids, sizes or the MACs
ports and guests were given."""
_MAC_FIELDS = frozenset({"eth_src", "eth_dst"})
_IP_FIELDS = frozenset({"nw_src", "nw_dst", "icmp_data_src", "icmp_data_dst"})


class Namer:
    """Names for the ids a trace mentions, read from the snapshot it ran on."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology

    def find(self, object_id: uuid.UUID) -> ModelObject | None:
        for kind in _NAMED_KINDS:
            found = self._topology.get(kind, object_id)
            if found is not None:
                return found
        return None

    def name(self, object_id: uuid.UUID) -> str:
        """A readable, stable name: the object's name, a port's label, a route's
        prefix, a rule's chain and position; the id when it is not in the snapshot."""
        found = self.find(object_id)
        if found is None:
            return str(object_id)
        if isinstance(found, Port):
            return self.port_label(found)
        if isinstance(found, Route):
            via = f" via {found.next_hop_gateway}" if found.next_hop_gateway else ""
            return f"{found.dst_network_addr}/{found.dst_network_length}{via}"
        if isinstance(found, Rule):
            chain = self._topology.get(Chain, found.chain_id)
            if chain is not None and found.id in chain.rule_ids:
                return f"{chain.name}:{chain.rule_ids.index(found.id) + 1}"
            return str(found.id)
        if isinstance(found, PoolMember):
            return f"{found.address}:{found.protocol_port}"
        if isinstance(found, Vip):
            return f"{found.address}:{found.protocol_port}"
        name = getattr(found, "name", None)
        return str(name) if name else f"{found.KIND.lower()} {str(found.id)[:8]}"

    def device_name(self, device_id: uuid.UUID | None) -> str | None:
        if device_id is None:
            return None
        return self.name(device_id)

    def port_label(self, port: Port) -> str:
        """`device:address` for a router port, `device:interface` for a bound port,
        `device->peer device` for an interior one, else `device:#n` (the n-th port
        added to the device)."""
        device = self.name(port.device_id) if port.device_id is not None else "?"
        if port.is_router_port and port.port_address is not None:
            return f"{device}:{port.port_address}"
        if port.interface_name:
            return f"{device}:{port.interface_name}"
        peer = self._topology.get(Port, port.peer_id)
        if peer is not None and peer.device_id is not None:
            return f"{device}->{self.name(peer.device_id)}"
        # The port's place on its device, in the order ports were added (the device's
        # port list), which is stable where ids are not.
        owner = self._topology.get(Bridge, port.bridge_id) or self._topology.get(
            Router, port.router_id
        )
        siblings = owner.port_ids if owner is not None else ()
        index = siblings.index(port.id) + 1 if port.id in siblings else 0
        return f"{device}:#{index}"

    def kind(self, object_id: uuid.UUID) -> str | None:
        found = self.find(object_id)
        return None if found is None else found.KIND


def build_report(
    result: SimulationResult,
    topology: Topology,
    *,
    ingress_port_id: uuid.UUID,
    packet: str,
    traced_by: str,
    conntrack: str | None = None,
) -> dict[str, Any]:
    """The JSON document of one traced simulation (`result.trace` must be set)."""
    namer = Namer(topology)
    steps = [_step(i, step, namer) for i, step in enumerate(result.trace or (), start=1)]
    outputs = []
    for action in result.actions:
        if isinstance(action, Output):
            port = topology.get(Port, action.port_id)
            outputs.append(
                {
                    "portId": str(action.port_id),
                    "port": namer.name(action.port_id),
                    "hostId": str(port.host_id) if port is not None and port.host_id else None,
                }
            )
    rewrites = [
        {"field": a.field, "value": _rewritten(a)}
        for a in result.actions
        if isinstance(a, SetField)
    ]
    return {
        "ingressPortId": str(ingress_port_id),
        "ingressPort": namer.name(ingress_port_id),
        "packet": packet,
        "tracedBy": traced_by,
        "conntrack": conntrack,
        "outcome": result.outcome.value.upper(),
        "dropReason": result.drop_reason.name if result.drop_reason is not None else None,
        "dropReasonText": result.drop_reason.value if result.drop_reason is not None else None,
        "steps": steps,
        "outputs": outputs,
        "rewrites": rewrites,
        "generated": [
            {"portId": str(g.port_id), "port": namer.name(g.port_id), "bytes": len(g.frame)}
            for g in result.generated
        ],
        "stateChanges": [type(c).__name__ for c in result.state_changes],
        "meters": list(result.meters),
        "cacheable": result.cacheable,
    }


def _step(index: int, step: TraceStep, namer: Namer) -> dict[str, Any]:
    detail = {key: _value(value) for key, value in step.detail}
    names = {key: namer.name(value) for key, value in step.detail if isinstance(value, uuid.UUID)}
    return {
        "step": index,
        "event": step.event,
        "deviceId": str(step.device_id) if step.device_id else None,
        "deviceType": namer.kind(step.device_id) if step.device_id else None,
        "device": namer.device_name(step.device_id),
        "portId": str(step.port_id) if step.port_id else None,
        "port": namer.name(step.port_id) if step.port_id else None,
        "detail": detail,
        "names": names,
    }


def _rewritten(action: SetField) -> object:
    if action.field in _IP_FIELDS and isinstance(action.value, int) and action.value < 1 << 32:
        return str(ipaddress.IPv4Address(action.value))
    return _value(action.value)


def _value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex(":")
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def render_text(report: dict[str, Any]) -> str:
    """The report for people: one numbered line per step, then the outcome."""
    lines = [
        f"trace of {report['packet']} entering {report['ingressPort']} ({report['ingressPortId']})",
        f"traced by {report['tracedBy']}"
        + (f", conntrack assumed {report['conntrack']}" if report.get("conntrack") else ""),
    ]
    for step in report["steps"]:
        lines.append(f"{step['step']:3}. {_line(step, minimal=False)}")
    lines.extend(_outcome(report))
    return "\n".join(lines)


def render_minimal(report: dict[str, Any]) -> str:
    """Stable lines: names, no ids, hashes, sizes or timings."""
    lines = [f"{report['packet']} at {report['ingressPort']}"]
    lines.extend(_line(step, minimal=True) for step in report["steps"])
    lines.extend(_outcome(report, minimal=True))
    return "\n".join(lines)


def _line(step: dict[str, Any], *, minimal: bool) -> str:
    parts = [step["event"]]
    if step.get("device"):
        parts.append(f"{(step.get('deviceType') or '').lower()} {step['device']}".strip())
    if step.get("port"):
        parts.append(f"port {step['port']}")
    parts.extend(_details(step, minimal))
    return " ".join(parts)


def _details(step: dict[str, Any], minimal: bool) -> Iterator[str]:
    names = step.get("names", {})
    for key, value in step["detail"].items():
        if minimal and key in _UNSTABLE:
            continue
        shown = names.get(key, value)
        if not minimal and key in names:
            shown = f"{shown} ({str(value)[:8]})"
        yield f"{key}={shown}"


def _outcome(report: dict[str, Any], *, minimal: bool = False) -> Iterator[str]:
    outcome = report["outcome"]
    if outcome == "DROP":
        yield f"DROP: {report['dropReason']} ({report['dropReasonText']})"
    elif outcome == "FORWARD":
        ports = ", ".join(o["port"] for o in report["outputs"]) or "nowhere"
        yield f"FORWARD to {ports}"
        for rewrite in report["rewrites"]:
            if not (minimal and rewrite["field"] in _MAC_FIELDS):
                yield f"  set {rewrite['field']}={rewrite['value']}"
    else:
        yield outcome
    for generated in report["generated"]:
        size = "" if minimal else f" ({generated['bytes']} bytes)"
        yield f"generated a packet at {generated['port']}{size}"
