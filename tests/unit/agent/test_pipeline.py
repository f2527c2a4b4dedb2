"""The packet pipeline without a kernel: flows, misses, parking for ARP, give-up,
malformed frames and failing simulations, port removal, GSO headers."""

from __future__ import annotations

import uuid
import warnings

from midonet.agent.datapath.offload import VnetHeader
from midonet.agent.pipeline import PacketPipeline
from midonet.agent.simulation import ARP_TIMEOUT, FakeSimulationState
from midonet.agent.simulation.tags import arp_tag
from midonet.agent.topology.snapshot import Topology
from midonet.packets import builder
from midonet.testing.topology_spec import BuiltTopology, build_topology

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.layers.l2 import ARP, Dot1Q, Ether

VM = "02:00:00:00:00:05"
R_IN = "02:00:00:00:01:01"
R_OUT = "02:00:00:00:02:01"
HOST = "02:00:00:00:02:07"


class Harness:
    def __init__(self, built: BuiltTopology, topology: Topology | None = None) -> None:
        self.built = built
        self.state = FakeSimulationState()
        self.now = 100.0
        self.sent: list[tuple[uuid.UUID, bytes, bytes | None]] = []
        self.topology = topology if topology is not None else built.topology
        self.pipeline = PacketPipeline(
            lambda: self.topology,
            self.state,
            self.state.apply,
            self.output,
            lambda: self.now,
            idle_timeout=30.0,
        )

    def output(self, vport_id: uuid.UUID, frame: bytes, vnet: bytes | None) -> bool:
        self.sent.append((vport_id, frame, vnet))
        return True

    def take(self) -> list[tuple[uuid.UUID, Ether]]:
        out = [(port, Ether(frame)) for port, frame, _ in self.sent]
        self.sent.clear()
        return out


def routed() -> Harness:
    return Harness(
        build_topology(
            {
                "routers": ["r1"],
                "ports": {
                    "in": {"router": "r1", "address": "10.0.0.1/24", "mac": R_IN},
                    "out": {"router": "r1", "address": "10.1.0.1/24", "mac": R_OUT},
                },
            }
        )
    )


def udp(dst: str = "10.1.0.7", sport: int = 4000) -> bytes:
    return bytes(Ether(src=VM, dst=R_IN) / IP(src="10.0.0.5", dst=dst) / UDP(sport=sport) / b"x")


def test_a_miss_is_simulated_installed_and_the_next_packet_hits_the_flow() -> None:
    h = routed()
    h.state.learn_arp(h.built.id("r1"), builder.ip4("10.1.0.7"), bytes.fromhex("020000000207"), 99)
    h.pipeline.handle(1, h.built.id("in"), udp())
    h.pipeline.handle(1, h.built.id("in"), udp())
    first, second = h.take()
    assert first[0] == second[0] == h.built.id("out")
    assert first[1].dst == HOST and first[1].src == R_OUT
    assert first[1][IP].ttl == 63 and bytes(first[1]) == bytes(second[1])
    # the rewritten IPv4 header checksum is right (scapy recomputes it when deleted)
    recomputed = first[1].copy()
    del recomputed[IP].chksum
    assert Ether(bytes(recomputed))[IP].chksum == first[1][IP].chksum
    stats = h.pipeline.stats
    assert (stats.simulations, stats.flow_hits, len(h.pipeline.flows)) == (1, 1, 1)


def test_a_packet_waits_for_arp_and_is_resumed_when_the_entry_arrives() -> None:
    h = routed()
    router = h.built.id("r1")
    h.pipeline.handle(1, h.built.id("in"), udp())
    [(port, request)] = h.take()
    assert port == h.built.id("out") and request[ARP].pdst == "10.1.0.7"
    assert h.pipeline.parked_count == 1
    h.state.learn_arp(router, builder.ip4("10.1.0.7"), bytes.fromhex("020000000207"), h.now)
    h.pipeline.invalidate([arp_tag(router, builder.ip4("10.1.0.7"))])
    [(port, resumed)] = h.take()
    assert port == h.built.id("out") and resumed.dst == HOST and resumed[UDP].sport == 4000
    assert h.pipeline.parked_count == 0 and h.pipeline.stats.resumed == 1


def test_arp_is_retried_and_given_up_with_an_icmp_unreachable() -> None:
    h = routed()
    h.pipeline.handle(1, h.built.id("in"), udp())
    h.take()
    h.now += 11
    h.pipeline.check_parked()
    [(port, again)] = h.take()
    assert port == h.built.id("out") and again[ARP].pdst == "10.1.0.7"
    h.now += ARP_TIMEOUT
    h.pipeline.check_parked()
    [(port, error)] = h.take()
    assert port == h.built.id("in")
    assert error[ICMP].type == 3 and error[ICMP].code == 1 and error[IP].dst == "10.0.0.5"
    assert h.pipeline.parked_count == 0 and h.pipeline.stats.gave_up == 1


def test_malformed_frames_are_counted_and_dropped() -> None:
    h = routed()
    for frame in (b"", b"\x01" * 13, bytes(12) + b"\x08\x00" + b"\x45\x00"):
        h.pipeline.handle(1, h.built.id("in"), frame)
    assert h.pipeline.stats.malformed == 3 and not h.sent


def test_a_failing_simulation_is_counted_never_raised() -> None:
    h = routed()

    def broken() -> Topology:
        raise RuntimeError("boom")

    h.pipeline._topology = broken
    h.pipeline.handle(1, h.built.id("in"), udp())
    assert h.pipeline.stats.simulation_errors == 1 and not h.sent


def test_forgetting_a_port_removes_its_flows_and_parked_packets() -> None:
    h = routed()
    h.state.learn_arp(h.built.id("r1"), builder.ip4("10.1.0.7"), bytes.fromhex("020000000207"), 99)
    h.pipeline.handle(1, h.built.id("in"), udp())
    h.pipeline.handle(1, h.built.id("in"), udp("10.1.0.8"))  # parked
    assert len(h.pipeline.flows) == 1 and h.pipeline.parked_count == 1
    h.pipeline.forget_port(h.built.id("in"), 1)
    assert len(h.pipeline.flows) == 0 and h.pipeline.parked_count == 0


def test_flows_expire_when_idle() -> None:
    h = routed()
    h.state.learn_arp(h.built.id("r1"), builder.ip4("10.1.0.7"), bytes.fromhex("020000000207"), 99)
    h.pipeline.handle(1, h.built.id("in"), udp())
    h.now += 10
    h.pipeline.expire()
    assert len(h.pipeline.flows) == 1
    h.now += 31
    h.pipeline.expire()
    assert len(h.pipeline.flows) == 0 and h.pipeline.stats.expired == 1


def test_a_gso_header_follows_the_frame_and_shifts_with_its_vlan_tags() -> None:
    built = build_topology(
        {
            "bridges": ["b1"],
            "ports": {"trunk": {"bridge": "b1", "vlan": 10}, "vm": {"bridge": "b1"}},
        }
    )
    h = Harness(built)
    h.state.learn_mac(built.id("b1"), bytes.fromhex("020000000009"), built.id("vm"), 10)
    frame = bytes(
        Ether(src=VM, dst="02:00:00:00:00:09") / Dot1Q(vlan=10) / IP(dst="10.0.0.9") / UDP()
    )
    vnet = VnetHeader(1, 1, 54, 1448, 34 + 4, 16)
    h.pipeline.handle(1, built.id("trunk"), frame, vnet.shifted(0))
    [(port, out, header)] = h.sent
    delta = len(out) - len(frame)  # the tag stack changed between the two ports
    assert port == built.id("vm") and header is not None and delta != 0
    shifted = VnetHeader.unpack(header)
    assert (shifted.csum_start, shifted.hdr_len) == (38 + delta, 54 + delta)
    assert (shifted.gso_size, shifted.csum_offset) == (1448, 16)


def test_a_failing_output_drops_the_packet_and_is_counted() -> None:
    h = routed()
    h.state.learn_arp(h.built.id("r1"), builder.ip4("10.1.0.7"), bytes.fromhex("020000000207"), 99)

    def broken(vport_id: uuid.UUID, frame: bytes, vnet: bytes | None) -> bool:
        raise RuntimeError("boom")

    h.pipeline._output = broken
    h.pipeline.handle(1, h.built.id("in"), udp())  # miss
    h.pipeline.handle(1, h.built.id("in"), udp())  # hit
    assert h.pipeline.stats.errors == 2 and len(h.pipeline.flows) == 1
