"""A VM's ARP request for its gateway is answered by the bridge on the router's
behalf; the router learns the VM from it, so the first packet back to the VM needs
no ARP round trip of its own."""

from __future__ import annotations

from midonet.agent.simulation import ArpLearned, FakeSimulationState, Outcome, simulate
from midonet.packets import builder
from midonet.testing.topology_spec import build_topology

SPEC = {
    "bridges": ["b1"],
    "routers": ["r1"],
    "ports": {
        "vm": {"bridge": "b1"},
        "b1-r": {"bridge": "b1", "peer": "r-b1"},
        "r-b1": {"router": "r1", "address": "10.0.0.1/24", "mac": "02:00:00:00:01:01"},
        "r-up": {"router": "r1", "address": "192.0.2.1/24", "mac": "02:00:00:00:01:02"},
    },
    "routes": [{"router": "r1", "dst": "10.0.0.0/24", "via": "r-b1"}],
}
VM_MAC = "02:00:00:00:00:05"


def test_the_router_learns_the_sender_of_a_request_the_bridge_answered() -> None:
    built = build_topology(SPEC)
    state = FakeSimulationState()
    request = builder.arp_request(sha=VM_MAC, spa="10.0.0.5", tpa="10.0.0.1").serialize()
    answered = simulate(request, built.id("vm"), built.topology, state, 1.0)
    assert answered.outcome is Outcome.CONSUMED and len(answered.generated) == 1
    learned = [c for c in answered.state_changes if isinstance(c, ArpLearned)]
    assert learned == [
        ArpLearned(built.id("r1"), builder.ip4("10.0.0.5"), builder.mac(VM_MAC), 1.0)
    ]
    state.apply(answered.state_changes)
    reply = builder.udp_frame(
        src_mac="02:00:00:00:fe:fe",
        dst_mac="02:00:00:00:01:02",
        src_ip="192.0.2.10",
        dst_ip="10.0.0.5",
        src_port=53,
        dst_port=4000,
    ).serialize()
    back = simulate(reply, built.id("r-up"), built.topology, state, 2.0)
    assert back.outcome is Outcome.FORWARD  # not parked waiting for ARP


def test_a_sender_outside_the_router_ports_network_is_not_learned() -> None:
    built = build_topology(SPEC)
    request = builder.arp_request(sha=VM_MAC, spa="172.16.0.5", tpa="10.0.0.1").serialize()
    answered = simulate(request, built.id("vm"), built.topology, FakeSimulationState(), 1.0)
    assert not [c for c in answered.state_changes if isinstance(c, ArpLearned)]
