"""Device behaviour beyond the YAML scenarios: ECMP, loop guard, admin state,
mirrors, port and address groups, ARP learning at routers, bridge filters."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

from midonet.agent.simulation import (
    ArpLearned,
    BridgeArpLearned,
    DropReason,
    FakeSimulationState,
    MacLearned,
    Outcome,
    SimulationResult,
    simulate,
)
from midonet.agent.simulation.tags import bridge_arp_tag
from midonet.model import Condition, Mirror
from midonet.packets import builder
from midonet.testing.topology_spec import BuiltTopology, build_topology

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Ether

VM = "02:00:00:00:00:05"
R_IN = "02:00:00:00:01:01"


def _router(extra: dict[str, Any] | None = None, uplinks: int = 4) -> BuiltTopology:
    ports: dict[str, Any] = {"in": {"router": "r1", "address": "10.0.0.1/24", "mac": R_IN}}
    routes = []
    for i in range(uplinks):
        ports[f"up{i}"] = {
            "router": "r1",
            "address": f"192.168.{i}.1/24",
            "mac": f"02:00:00:00:0{i}:01",
        }
        routes.append(
            {"router": "r1", "dst": "0.0.0.0/0", "via": f"up{i}", "gateway": f"192.168.{i}.254"}
        )
    spec: dict[str, Any] = {"routers": ["r1"], "ports": ports, "routes": routes}
    spec.update(extra or {})
    return build_topology(spec)


def _arp_for_gateways(built: BuiltTopology, uplinks: int = 4) -> FakeSimulationState:
    state = FakeSimulationState()
    for i in range(uplinks):
        state.learn_arp(
            built.id("r1"), builder.ip4(f"192.168.{i}.254"), bytes([2, 0, 0, 0, i, 0xFE]), 0.0
        )
    return state


def _udp(sport: int, dst: str = "198.51.100.7", ttl: int = 64) -> bytes:
    return bytes(
        Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst=dst, ttl=ttl) / UDP(sport=sport, dport=53)
    )


def test_ecmp_spreads_flows_over_four_equal_routes_and_keeps_each_flow_on_one() -> None:
    built = _router()
    state = _arp_for_gateways(built)
    used: Counter[Any] = Counter()
    for sport in range(2000, 2400):
        result = simulate(_udp(sport), built.id("in"), built.topology, state, 0.0)
        again = simulate(_udp(sport), built.id("in"), built.topology, state, 0.0)
        assert result.output_ports == again.output_ports
        used[result.output_ports] += 1
    assert set(used) == {(built.id(f"up{i}"),) for i in range(4)}
    assert min(used.values()) > 400 / 4 / 2  # roughly even


def test_a_routing_loop_ends_at_the_device_limit() -> None:
    built = build_topology(
        {
            "routers": ["a", "b"],
            "ports": {
                "in": {"router": "a", "address": "10.0.0.1/24", "mac": R_IN},
                "a-b": {"router": "a", "address": "169.254.0.1/30", "peer": "b-a"},
                "b-a": {"router": "b", "address": "169.254.0.2/30"},
            },
            "routes": [
                {"router": "a", "dst": "0.0.0.0/0", "via": "a-b", "gateway": "169.254.0.2"},
                {"router": "b", "dst": "0.0.0.0/0", "via": "b-a", "gateway": "169.254.0.1"},
            ],
        }
    )
    result = simulate(_udp(1), built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.LOOP
    assert result.cacheable


def test_admin_down_port_and_bridge_drop() -> None:
    spec = {"bridges": ["b1"], "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}}}
    frame = bytes(Ether(src=VM, dst="02:00:00:00:00:09") / IP() / UDP())
    down_port = build_topology(
        {**spec, "ports": {"p1": {"bridge": "b1", "admin_state_up": False}, "p2": {"bridge": "b1"}}}
    )
    result = simulate(frame, down_port.id("p1"), down_port.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.PORT_DOWN
    down_bridge = build_topology({**spec, "bridges": {"b1": {"admin_state_up": False}}})
    result = simulate(frame, down_bridge.id("p1"), down_bridge.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.DEVICE_DOWN


def test_admin_down_router_answers_prohibited() -> None:
    built = _router({"routers": {"r1": {"admin_state_up": False}}}, uplinks=1)
    result = simulate(_udp(7), built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.DEVICE_DOWN
    (generated,) = result.generated
    icmp = Ether(generated.frame)[ICMP]
    assert (icmp.type, icmp.code) == (3, 13)


def test_router_learns_from_an_arp_request_and_answers_it() -> None:
    built = _router(uplinks=1)
    request = bytes(
        Ether(src=VM, dst="ff:ff:ff:ff:ff:ff")
        / ARP(op=1, hwsrc=VM, psrc="10.0.0.5", pdst="10.0.0.1")
    )
    result = simulate(request, built.id("in"), built.topology, FakeSimulationState(), 5.0)
    assert result.outcome is Outcome.CONSUMED
    assert result.state_changes == (
        ArpLearned(built.id("r1"), builder.ip4("10.0.0.5"), bytes.fromhex("020000000005"), 5.0),
    )
    reply = Ether(result.generated[0].frame)
    assert (reply[ARP].op, reply[ARP].psrc, reply[ARP].hwsrc, reply.dst) == (
        2,
        "10.0.0.1",
        R_IN,
        VM,
    )


def test_router_ignores_arp_from_outside_the_port_subnet_and_for_other_addresses() -> None:
    built = _router(uplinks=1)
    for psrc, pdst in (("10.9.0.5", "10.0.0.1"), ("10.0.0.5", "10.0.0.77")):
        request = bytes(
            Ether(src=VM, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=VM, psrc=psrc, pdst=pdst)
        )
        result = simulate(request, built.id("in"), built.topology, FakeSimulationState(), 0.0)
        assert (result.outcome, result.generated, result.state_changes) == (
            Outcome.CONSUMED,
            (),
            (),
        )


def test_gratuitous_arp_at_a_bridge_is_learned_and_flooded_each_time() -> None:
    built = build_topology(
        {"bridges": ["b1"], "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}}}
    )
    garp = bytes(
        Ether(src=VM, dst="ff:ff:ff:ff:ff:ff")
        / ARP(op=1, hwsrc=VM, psrc="10.0.0.5", pdst="10.0.0.5")
    )
    result = simulate(garp, built.id("p1"), built.topology, FakeSimulationState(), 0.0)
    assert result.output_ports == (built.id("p2"),)
    assert (
        BridgeArpLearned(built.id("b1"), builder.ip4("10.0.0.5"), bytes.fromhex("020000000005"))
        in result.state_changes
    )
    assert not result.cacheable


def test_a_bridge_inbound_drop_still_learns_the_source() -> None:
    built = build_topology(
        {
            "bridges": {"b1": {"inbound_filter": "deny"}},
            "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}},
            "chains": {"deny": [{"type": "drop"}]},
        }
    )
    frame = bytes(Ether(src=VM, dst="02:00:00:00:00:09") / IP() / UDP())
    result = simulate(frame, built.id("p1"), built.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.FILTERED
    assert [type(c) for c in result.state_changes] == [MacLearned]


def test_port_groups_and_address_groups_in_filters() -> None:
    built = build_topology(
        {
            "bridges": ["b1"],
            "port_groups": ["trusted"],
            "ip_addr_groups": {"admins": ["10.0.0.5"]},
            "ports": {
                "p1": {"bridge": "b1", "port_groups": ["trusted"]},
                "p2": {"bridge": "b1"},
                "p3": {"bridge": "b1", "outbound_filter": "guard"},
            },
            "chains": {
                "guard": [
                    {"type": "accept", "port_group": "trusted"},
                    {"type": "accept", "ip_addr_group_src": "admins"},
                    {"type": "drop"},
                ]
            },
        }
    )

    def send(port: str, src: str) -> SimulationResult:
        frame = bytes(
            Ether(src=VM, dst="ff:ff:ff:ff:ff:ff") / IP(src=src, dst="10.0.0.255") / UDP()
        )
        return simulate(frame, built.id(port), built.topology, FakeSimulationState(), 0.0)

    p3 = built.id("p3")
    assert p3 in send("p1", "10.0.0.9").output_ports  # from a trusted port
    assert p3 in send("p2", "10.0.0.5").output_ports  # from an admin address
    assert p3 not in send("p2", "10.0.0.9").output_ports


def test_traversed_device_on_a_router_filter() -> None:
    built = build_topology(
        {
            "bridges": ["b1"],
            "routers": {"r1": {"outbound_filter": "out"}},
            "ports": {
                "vm": {"bridge": "b1"},
                "b1-r1": {"bridge": "b1", "peer": "r1-b1"},
                "r1-b1": {"router": "r1", "address": "10.0.0.1/24", "mac": R_IN},
                "up": {"router": "r1", "address": "192.168.0.1/24"},
                "direct": {"router": "r1", "address": "10.1.0.1/24", "mac": "02:00:00:00:01:09"},
            },
            "chains": {"out": [{"type": "drop", "traversed_device": "b1"}]},
        }
    )
    state = FakeSimulationState()
    state.learn_arp(built.id("r1"), builder.ip4("192.168.0.7"), bytes(6), 0.0)
    tcp = bytes(Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst="192.168.0.7") / TCP())
    via_bridge = simulate(tcp, built.id("vm"), built.topology, state, 0.0)
    assert via_bridge.drop_reason is DropReason.FILTERED
    direct = bytes(
        Ether(src=VM, dst="02:00:00:00:01:09") / IP(src="10.1.0.5", dst="192.168.0.7") / TCP()
    )
    assert (
        simulate(direct, built.id("direct"), built.topology, state, 0.0).outcome is Outcome.FORWARD
    )


def test_mirrors_copy_matching_packets_to_their_port() -> None:
    built = build_topology(
        {
            "bridges": ["b1", "b2"],
            "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}, "tap": {"bridge": "b2"}},
        }
    )
    tap = built.id("tap")
    mirror = Mirror(to_port_id=tap, conditions=(Condition(nw_proto=6),))
    p1 = built.topology.port(built.id("p1")).replace(inbound_mirror_ids=(mirror.id,))
    topology = built.topology.with_changes([mirror, p1])
    state = FakeSimulationState()
    tcp = bytes(Ether(src=VM, dst="02:00:00:00:00:09") / IP() / TCP())
    udp = bytes(Ether(src=VM, dst="02:00:00:00:00:09") / IP() / UDP())
    assert set(simulate(tcp, built.id("p1"), topology, state, 0.0).output_ports) == {
        built.id("p2"),
        tap,
    }
    assert simulate(udp, built.id("p1"), topology, state, 0.0).output_ports == (built.id("p2"),)


def test_no_icmp_errors_about_broadcasts_multicasts_bad_sources_or_later_fragments() -> None:
    built = _router(uplinks=0)
    quiet = [
        Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst="224.0.0.5") / UDP(),
        Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst="255.255.255.255") / UDP(),
        Ether(src=VM, dst=R_IN) / IP(src="0.0.0.0", dst="8.8.8.8") / UDP(),
        Ether(src=VM, dst=R_IN) / IP(src="127.0.0.1", dst="8.8.8.8") / UDP(),
        Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst="8.8.8.8", frag=10, proto=17) / (b"x" * 8),
    ]
    for packet in quiet:
        result = simulate(bytes(packet), built.id("in"), built.topology, FakeSimulationState(), 0.0)
        assert result.drop_reason is DropReason.NO_ROUTE
        assert result.generated == (), packet.summary()
    loud = (
        Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst="8.8.8.8", flags="MF") / UDP() / (b"x" * 8)
    )
    result = simulate(bytes(loud), built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert len(result.generated) == 1  # a first fragment is answered


def test_router_ports_drop_ipv6_and_a_router_drops_foreign_macs() -> None:
    built = _router(uplinks=0)
    v6 = bytes(Ether(src=VM, dst=R_IN) / IPv6(src="fd00::5", dst="fd00::1") / UDP())
    result = simulate(v6, built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.NOT_IPV4
    other = bytes(
        Ether(src=VM, dst="02:00:00:00:77:77") / IP(src="10.0.0.5", dst="8.8.8.8") / UDP()
    )
    result = simulate(other, built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert result.drop_reason is DropReason.NOT_FOR_US


def test_an_echo_reply_is_routed_back_even_by_another_port() -> None:
    built = _router(uplinks=1)  # default route via up0, gateway 192.168.0.254
    state = _arp_for_gateways(built, uplinks=1)
    ping = Ether(src=VM, dst=R_IN) / IP(src="203.0.113.9", dst="10.0.0.1") / ICMP(id=4, seq=2)
    result = simulate(bytes(ping), built.id("in"), built.topology, state, 0.0)
    assert result.outcome is Outcome.CONSUMED
    (generated,) = result.generated
    assert generated.port_id == built.id("up0")
    reply = Ether(generated.frame)
    assert (reply.src, reply.dst) == ("02:00:00:00:00:01", "02:00:00:00:00:fe")
    assert (reply[IP].src, reply[IP].dst, reply[ICMP].type, reply[ICMP].id) == (
        "10.0.0.1",
        "203.0.113.9",
        0,
        4,
    )
    unresolved = simulate(bytes(ping), built.id("in"), built.topology, FakeSimulationState(), 0.0)
    assert (unresolved.outcome, unresolved.generated) == (Outcome.CONSUMED, ())


def test_a_flooded_arp_request_is_tagged_with_the_bridge_arp_entry() -> None:
    built = build_topology(
        {"bridges": ["b1"], "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}}}
    )
    who = bytes(
        Ether(src=VM, dst="ff:ff:ff:ff:ff:ff")
        / ARP(op=1, hwsrc=VM, psrc="10.0.0.5", pdst="10.0.0.6")
    )
    result = simulate(who, built.id("p1"), built.topology, FakeSimulationState(), 0.0)
    assert result.output_ports == (built.id("p2"),)
    assert bridge_arp_tag(built.id("b1"), builder.ip4("10.0.0.6")) in result.tags


def test_a_bridge_outbound_filter_sees_the_egress_port_of_a_unicast() -> None:
    built = build_topology(
        {
            "bridges": {"b1": {"outbound_filter": "out"}},
            "ports": {n: {"bridge": "b1"} for n in ("p1", "p2", "p3")},
            "chains": {"out": [{"type": "drop", "out_ports": ["p3"]}]},
        }
    )
    state = FakeSimulationState()
    state.learn_mac(built.id("b1"), bytes.fromhex("020000000002"), built.id("p2"))
    state.learn_mac(built.id("b1"), bytes.fromhex("020000000003"), built.id("p3"))
    for dst, port in (("02:00:00:00:00:02", "p2"), ("02:00:00:00:00:03", None)):
        frame = bytes(Ether(src=VM, dst=dst) / IP() / UDP())
        result = simulate(frame, built.id("p1"), built.topology, state, 0.0)
        assert result.output_ports == ((built.id(port),) if port else ())


def test_a_router_learns_gratuitous_arp_replies_from_its_subnet() -> None:
    built = _router(uplinks=1)
    garp = Ether(src=VM, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=2, hwsrc=VM, psrc="10.0.0.5", hwdst=VM, pdst="10.0.0.5"
    )
    result = simulate(bytes(garp), built.id("in"), built.topology, FakeSimulationState(), 3.0)
    assert result.state_changes == (
        ArpLearned(built.id("r1"), builder.ip4("10.0.0.5"), bytes.fromhex("020000000005"), 3.0),
    )
    assert result.generated == ()
