"""Declarative packet scenarios: a topology, then steps of "inject this packet at
this port → expect these packets at these ports (or this drop reason)".

A scenario is plain data (YAML in tests/scenarios): `name`, `topology` (see
`topology_spec`), optional `state` seeds and `steps`. A step:

    at: 12.5                      # the simulation clock (default: the previous step's)
    inject: {port: vm1, packet: {...}}
    expect:
      deliver: [{port: vm2, packet: {...}}]   # frames leaving exterior ports, generated
                                              # answers and released packets included
      outcome: forward | drop | consumed | parked
      drop: FILTERED                          # a DropReason name
      learned: [{bridge: b1, mac: "...", port: vm1}]
      meters: [m1]
      trace: ["rule matched", "route"]        # events that must appear, in this order
      rules: ["c1:2", "sg:1"]                 # rules that matched, chain:position, in order
    flow: false                   # skip the flow-table rerun for this step

or `give_up_arp: true` to let the agent give up on parked packets at `at`.

Packets are described by dicts that a `PacketFactory` turns into frame bytes; the
tests use scapy so that expected frames never come from the codec under test.

Every cacheable step runs twice: through the simulator, then (after its state
changes are written and their tags invalidated, as the agent does) through the flow
it installed alone — `match_frame` → `FlowTable.lookup` → `apply_actions` — and both
must deliver the expected frames. The simulator's frames are rendered through the
codec (decode, set fields, re-encode with full checksums), the flow's through
`apply_actions` (incremental checksums), so each checks the other.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from midonet.agent.flows.table import FlowTable
from midonet.agent.simulation import (
    ARP_TIMEOUT,
    Action,
    ArpLearned,
    DropReason,
    FakeSimulationState,
    MacLearned,
    Outcome,
    Output,
    Parked,
    PopVlan,
    PushVlan,
    SetField,
    SimulationResult,
    apply_actions,
    install,
    simulate,
    simulate_egress,
)
from midonet.agent.simulation.flow import Actions
from midonet.packets import ICMP, TCP, UDP, Ethernet, ICMPQuote, IPv4, VlanTag, parse
from midonet.packets.match import FlowMatch, match_frame
from midonet.testing.topology_spec import BuiltTopology, build_topology

PacketFactory = Callable[[Mapping[str, Any]], bytes]
Describe = Callable[[bytes], str]
Delivery = tuple[str, bytes]

_MAX_GENERATED_DEPTH = 4
USER_METER = "meters:user:"


class ScenarioFailure(AssertionError):
    """A step did not do what the scenario expects (the message says what)."""


@dataclass
class StepRun:
    """What one step did: the simulation result, the frames delivered to exterior
    ports, and those the installed flow alone delivered (None if not cacheable)."""

    name: str
    result: SimulationResult | None
    delivered: list[Delivery]
    flow_delivered: list[Delivery] | None = None


@dataclass
class _Run:
    built: BuiltTopology
    packet: PacketFactory
    describe: Describe
    state: FakeSimulationState = field(default_factory=FakeSimulationState)
    table: FlowTable[FlowMatch, Actions] = field(default_factory=FlowTable)
    parked: list[tuple[bytes, uuid.UUID, Parked]] = field(default_factory=list)
    now: float = 0.0

    def name_of(self, object_id: uuid.UUID) -> str:
        for name, known in self.built.ids.items():
            if known == object_id:
                return name
        return str(object_id)

    def datapath_port(self, port_id: uuid.UUID) -> int:
        return sorted(self.built.ids.values()).index(port_id) + 1


def run_scenario(
    spec: Mapping[str, Any], packet: PacketFactory, describe: Describe = bytes.hex
) -> list[StepRun]:
    """Run every step of `spec`; raises ScenarioFailure at the first unmet expectation."""
    run = _Run(build_topology(spec["topology"]), packet, describe)
    _seed(run, spec.get("state") or {})
    runs = []
    for index, step in enumerate(spec.get("steps") or (), start=1):
        label = f"{spec.get('name', 'scenario')} step {index}"
        if "name" in step:
            label += f" ({step['name']})"
        run.now = float(step.get("at", run.now))
        try:
            runs.append(_step(run, label, step))
        except ScenarioFailure:
            raise
        except (KeyError, ValueError, TypeError) as e:
            raise ScenarioFailure(f"{label}: bad scenario: {e}") from e
    return runs


def _seed(run: _Run, state: Mapping[str, Any]) -> None:
    ids = run.built.id
    for entry in state.get("macs", ()):
        run.state.learn_mac(
            ids(entry["bridge"]), _mac(entry["mac"]), ids(entry["port"]), entry.get("vlan", 0)
        )
    for entry in state.get("arp", ()):
        run.state.learn_arp(
            ids(entry["router"]), _ip(entry["ip"]), _mac(entry["mac"]), entry.get("at", 0.0)
        )
    for entry in state.get("bridge_arp", ()):
        run.state.bridge_arps[(ids(entry["bridge"]), _ip(entry["ip"]))] = _mac(entry["mac"])


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _ip(text: str) -> int:
    return int.from_bytes(bytes(int(x) for x in text.split(".")), "big")


def _step(run: _Run, label: str, step: Mapping[str, Any]) -> StepRun:
    expect = step.get("expect") or {}
    if step.get("give_up_arp"):
        delivered = _give_up(run)
        _check_deliveries(run, label, expect, delivered)
        return StepRun(label, None, delivered)
    inject = step["inject"]
    frame = run.packet(inject["packet"])
    port_id = run.built.id(inject["port"])
    result = simulate(frame, port_id, run.built.topology, run.state, run.now, trace=True)
    delivered = [(run.name_of(p), f) for p, f in render(frame, result.actions)]
    delivered += _commit(run, result, frame, port_id)
    _check(run, label, expect, result, delivered)
    flow_delivered = None
    if result.cacheable and step.get("flow", True):
        flow_delivered = _through_flow(run, label, frame, port_id, result)
        main = [(run.name_of(p), f) for p, f in render(frame, result.actions)]
        if sorted(flow_delivered) != sorted(main):
            raise ScenarioFailure(
                f"{label}: the installed flow delivered\n{_show(run, flow_delivered)}\n"
                f"but the simulation delivered\n{_show(run, main)}"
            )
    return StepRun(label, result, delivered, flow_delivered)


def _commit(
    run: _Run, result: SimulationResult, frame: bytes, port_id: uuid.UUID, depth: int = 0
) -> list[Delivery]:
    """Write state changes (invalidating their tags), send generated packets, park
    or release packets: what the agent does with a result."""
    run.state.apply(result.state_changes)
    for change in result.state_changes:
        run.table.invalidate(change.tag)
    delivered: list[Delivery] = []
    if result.parked is not None and depth == 0:
        run.parked.append((frame, port_id, result.parked))
    if depth < _MAX_GENERATED_DEPTH:
        for generated in result.generated:
            out = simulate_egress(
                generated.frame, generated.port_id, run.built.topology, run.state, run.now
            )
            delivered += [(run.name_of(p), f) for p, f in render(generated.frame, out.actions)]
            delivered += _commit(run, out, generated.frame, generated.port_id, depth + 1)
    learned = {(c.router_id, c.ip) for c in result.state_changes if isinstance(c, ArpLearned)}
    if learned:
        delivered += _release(run, learned)
    return delivered


def _release(run: _Run, learned: set[tuple[uuid.UUID, int]]) -> list[Delivery]:
    delivered: list[Delivery] = []
    waiting = run.parked
    run.parked = []
    for frame, port_id, parked in waiting:
        if (parked.router_id, parked.ip) not in learned:
            run.parked.append((frame, port_id, parked))
            continue
        result = simulate(frame, port_id, run.built.topology, run.state, run.now)
        delivered += [(run.name_of(p), f) for p, f in render(frame, result.actions)]
        delivered += _commit(run, result, frame, port_id, 1)
    return delivered


def _give_up(run: _Run) -> list[Delivery]:
    delivered: list[Delivery] = []
    waiting = run.parked
    run.parked = []
    for frame, port_id, parked in waiting:
        if run.now - parked.first_request < ARP_TIMEOUT:
            run.parked.append((frame, port_id, parked))
        elif parked.give_up is not None:
            g = parked.give_up
            out = simulate_egress(g.frame, g.port_id, run.built.topology, run.state, run.now)
            delivered += [(run.name_of(p), f) for p, f in render(g.frame, out.actions)]
    return delivered


def _through_flow(
    run: _Run, label: str, frame: bytes, port_id: uuid.UUID, result: SimulationResult
) -> list[Delivery]:
    in_port = run.datapath_port(port_id)
    install(run.table, match_frame(frame, in_port), result, run.now)
    flow = run.table.lookup(match_frame(frame, in_port), run.now)
    if flow is None:
        raise ScenarioFailure(f"{label}: no flow installed for a cacheable result")
    return [(run.name_of(p), f) for p, f in apply_actions(frame, flow.actions)]


# --- expectations ---------------------------------------------------------------------


def _check(
    run: _Run,
    label: str,
    expect: Mapping[str, Any],
    result: SimulationResult,
    delivered: list[Delivery],
) -> None:
    trace = "\n".join(f"  {s}" for s in result.trace or ())
    for name, object_id in run.built.ids.items():
        trace = trace.replace(str(object_id), name)
    where = f"\ntrace:\n{trace}"
    if "outcome" in expect and result.outcome is not Outcome(expect["outcome"]):
        raise ScenarioFailure(
            f"{label}: outcome {result.outcome.value}, expected {expect['outcome']}{where}"
        )
    if "drop" in expect:
        wanted = DropReason[expect["drop"]]
        if result.outcome is not Outcome.DROP or result.drop_reason is not wanted:
            raise ScenarioFailure(
                f"{label}: expected a drop ({wanted.name}), got {result.outcome.value} "
                f"({result.drop_reason}){where}"
            )
    _check_deliveries(run, label, expect, delivered, where)
    user_meters = [m.removeprefix(USER_METER) for m in result.meters if m.startswith(USER_METER)]
    if "meters" in expect and user_meters != list(expect["meters"]):
        raise ScenarioFailure(f"{label}: user meters {user_meters}, expected {expect['meters']}")
    if "learned" in expect:
        _check_learned(run, label, expect["learned"], result)
    if "trace" in expect:
        _check_trace(label, expect["trace"], result, where)
    if "rules" in expect:
        _check_rules(run, label, expect["rules"], result, where)


def _check_deliveries(
    run: _Run,
    label: str,
    expect: Mapping[str, Any],
    delivered: list[Delivery],
    where: str = "",
) -> None:
    if "deliver" not in expect:
        return
    wanted = [(d["port"], run.packet(d["packet"])) for d in expect["deliver"] or ()]
    if sorted(wanted) != sorted(delivered):
        raise ScenarioFailure(
            f"{label}: delivered\n{_show(run, delivered)}\nexpected\n{_show(run, wanted)}{where}"
        )


def _check_learned(
    run: _Run, label: str, learned: Sequence[Mapping[str, Any]], result: SimulationResult
) -> None:
    got = {
        (run.name_of(c.bridge_id), c.mac.hex(":"), run.name_of(c.port_id))
        for c in result.state_changes
        if isinstance(c, MacLearned)
    }
    wanted = {(e["bridge"], e["mac"].lower(), e["port"]) for e in learned}
    if got != wanted:
        raise ScenarioFailure(f"{label}: learned {sorted(got)}, expected {sorted(wanted)}")


def _check_trace(label: str, events: Sequence[str], result: SimulationResult, where: str) -> None:
    seen = iter(step.event for step in result.trace or ())
    for event in events:
        if not any(e == event for e in seen):
            raise ScenarioFailure(f"{label}: trace lacks {event!r} (in order){where}")


def _check_rules(
    run: _Run, label: str, wanted: Sequence[str], result: SimulationResult, where: str
) -> None:
    """`wanted`: the rules that matched, in order, as "chain:position"."""
    got = []
    for step in result.trace or ():
        if step.event == "rule matched":
            detail = dict(step.detail)
            chain = detail["chain"]
            assert isinstance(chain, uuid.UUID)
            got.append(f"{run.name_of(chain)}:{detail['position']}")
    if got != list(wanted):
        raise ScenarioFailure(f"{label}: rules matched {got}, expected {list(wanted)}{where}")


def _show(run: _Run, deliveries: Sequence[Delivery]) -> str:
    if not deliveries:
        return "  (nothing)"
    return "\n".join(f"  {port}: {run.describe(frame)}" for port, frame in sorted(deliveries))


# --- rendering through the codec -------------------------------------------------------


def render(frame: bytes, actions: Sequence[Action]) -> list[tuple[uuid.UUID, bytes]]:
    """The frames `actions` emit, computed by decoding `frame`, changing the decoded
    headers and encoding again (full checksums): independent of `apply_actions`."""
    packet = parse(frame, verify_checksums=False)
    emitted: list[tuple[uuid.UUID, bytes]] = []
    for action in actions:
        if isinstance(action, Output):
            emitted.append((action.port_id, packet.serialize()))
        elif isinstance(action, PushVlan):
            packet = dataclasses.replace(packet, vlans=(VlanTag(action.vid), *packet.vlans))
        elif isinstance(action, PopVlan):
            packet = dataclasses.replace(packet, vlans=packet.vlans[1:])
        elif isinstance(action, SetField):
            packet = _set_field(packet, action.field, action.value)
    return emitted


_IP_FIELDS = {"nw_src": "src", "nw_dst": "dst", "nw_ttl": "ttl", "nw_tos": "tos"}
_L4_FIELDS = {"src_port": "src_port", "dst_port": "dst_port"}
_QUOTE_FIELDS = {
    "icmp_data_src": "src",
    "icmp_data_dst": "dst",
    "icmp_data_src_port": "src_port",
    "icmp_data_dst_port": "dst_port",
}


def _set_quoted(ip: IPv4, name: str, value: int | bytes) -> IPv4:
    """NAT translating the datagram an ICMP error quotes (a quoted echo's id is both
    of its "ports")."""
    message = ip.payload
    if not isinstance(message, ICMP) or not isinstance(message.payload, ICMPQuote):
        raise ScenarioFailure(f"cannot set {name} on a packet that is not an ICMP error")
    assert isinstance(value, int)
    quote = message.payload
    wanted = _QUOTE_FIELDS[name]
    if wanted.endswith("port") and quote.icmp_id() is not None:
        rewritten = quote.rewrite(icmp_id=value)
    else:
        rewritten = quote.rewrite(**{wanted: value})
    return dataclasses.replace(ip, payload=dataclasses.replace(message, payload=rewritten))


def _set_field(packet: Ethernet, name: str, value: int | bytes) -> Ethernet:
    changes: dict[str, Any] = {}
    if name in ("eth_src", "eth_dst"):
        changes[name[4:]] = value
        return dataclasses.replace(packet, **changes)
    ip = packet.payload
    if not isinstance(ip, IPv4):
        raise ScenarioFailure(f"cannot set {name} on a non-IPv4 packet")
    if name in _IP_FIELDS:
        changes[_IP_FIELDS[name]] = value
        return dataclasses.replace(packet, payload=dataclasses.replace(ip, **changes))
    if name in _QUOTE_FIELDS:
        return dataclasses.replace(packet, payload=_set_quoted(ip, name, value))
    segment = ip.payload
    if not isinstance(segment, TCP | UDP):
        raise ScenarioFailure(f"cannot set {name} without a TCP/UDP header")
    changes[_L4_FIELDS[name]] = value
    segment = dataclasses.replace(segment, **changes)
    return dataclasses.replace(packet, payload=dataclasses.replace(ip, payload=segment))
