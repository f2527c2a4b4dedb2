"""The L4 load balancer (guide chapter 9): a VIP on a router, members chosen in
proportion to their weight, source-IP persistence, member health and admin state,
replies translated back, the router's filters skipped for load-balanced traffic."""

from __future__ import annotations

import ipaddress
import uuid
from collections import Counter
from typing import Any

from midonet.agent.simulation import DropReason, FakeSimulationState, Outcome, SetField, simulate
from midonet.agent.simulation.result import SimulationResult
from midonet.model import (
    LBStatus,
    LoadBalancer,
    Pool,
    PoolMember,
    SessionPersistence,
    Vip,
)
from midonet.packets import builder
from midonet.packets.constants import TCP_ACK, TCP_SYN
from midonet.testing.topology_spec import BuiltTopology, build_topology

UP_MAC, IN_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"
CLIENT_MAC = "02:00:00:00:0c:0c"
VIP = "198.51.100.100"
BACKENDS = ("10.0.0.11", "10.0.0.12", "10.0.0.13")


class Lab:
    """A router with an uplink and a backend network, a load balancer with one
    pool of three members (8080) behind VIP 198.51.100.100:80."""

    def __init__(
        self,
        weights: tuple[int, ...] = (1, 1, 1),
        sticky: bool = False,
        member_changes: dict[int, dict[str, Any]] | None = None,
        filters: bool = False,
        seed: int = 7,
    ) -> None:
        spec: dict[str, Any] = {
            "routers": {"r1": {"inbound_filter": "deny", "outbound_filter": "deny"}}
            if filters
            else ["r1"],
            "ports": {
                "up": {"router": "r1", "address": "198.51.100.1/24", "mac": UP_MAC},
                "in": {"router": "r1", "address": "10.0.0.1/24", "mac": IN_MAC},
            },
            "chains": {"deny": [{"type": "drop"}]},
        }
        self.built: BuiltTopology = build_topology(spec)
        router = self.built.topology.router(self.built.id("r1"))
        lb = LoadBalancer(router_id=router.id)
        pool = Pool(load_balancer_id=lb.id)
        members = []
        for i, (address, weight) in enumerate(zip(BACKENDS, weights, strict=False)):
            fields: dict[str, Any] = {
                "pool_id": pool.id,
                "address": ipaddress.ip_address(address),
                "protocol_port": 8080,
                "weight": weight,
            }
            fields.update((member_changes or {}).get(i, {}))
            members.append(PoolMember(**fields))
        vip = Vip(
            pool_id=pool.id,
            load_balancer_id=lb.id,
            address=ipaddress.ip_address(VIP),
            protocol_port=80,
            session_persistence=SessionPersistence.SOURCE_IP if sticky else None,
        )
        self.members = members
        self.pool = pool.replace(pool_member_ids=tuple(m.id for m in members), vip_ids=(vip.id,))
        self.lb = lb.replace(pool_ids=(pool.id,), vip_ids=(vip.id,))
        self.topology = self.built.topology.with_changes(
            [router.replace(load_balancer_id=lb.id), self.lb, self.pool, vip, *members]
        )
        self.state = FakeSimulationState(seed)
        r1 = self.built.id("r1")
        self.state.learn_arp(r1, builder.ip4("198.51.100.50"), _mac(CLIENT_MAC), 0.0)
        self.state.learn_arp(r1, builder.ip4("198.51.100.51"), _mac(CLIENT_MAC), 0.0)
        for i, address in enumerate(BACKENDS):
            self.state.learn_arp(r1, builder.ip4(address), bytes([2, 0, 0, 0, 0xB, i]), 0.0)

    def update_member(self, index: int, **fields: Any) -> None:
        self.members[index] = self.members[index].replace(**fields)
        self.topology = self.topology.with_changes([self.members[index]])

    def connect(
        self, sport: int, client: str = "198.51.100.50", flags: int = TCP_SYN
    ) -> SimulationResult:
        frame = builder.tcp_frame(
            src_mac=CLIENT_MAC,
            dst_mac=UP_MAC,
            src_ip=client,
            dst_ip=VIP,
            src_port=sport,
            dst_port=80,
            flags=flags,
        ).serialize()
        result = simulate(frame, self.built.id("up"), self.topology, self.state, 0.0, trace=True)
        self.state.apply(result.state_changes)
        return result

    def reply(self, backend: str, dport: int, client: str = "198.51.100.50") -> SimulationResult:
        frame = builder.tcp_frame(
            src_mac="02:00:00:00:0b:00",
            dst_mac=IN_MAC,
            src_ip=backend,
            dst_ip=client,
            src_port=8080,
            dst_port=dport,
            flags=TCP_SYN | TCP_ACK,
        ).serialize()
        return simulate(frame, self.built.id("in"), self.topology, self.state, 0.0, trace=True)


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def backend_of(result: SimulationResult) -> str | None:
    for action in result.actions:
        if isinstance(action, SetField) and action.field == "nw_dst":
            assert isinstance(action.value, int)
            return str(ipaddress.IPv4Address(action.value))
    return None


def test_new_connections_spread_in_proportion_to_weights() -> None:
    lab = Lab(weights=(1, 1, 2))
    counts = Counter(backend_of(lab.connect(sport)) for sport in range(10000, 14000))
    assert set(counts) == set(BACKENDS)
    assert abs(counts["10.0.0.11"] - 1000) < 120
    assert abs(counts["10.0.0.12"] - 1000) < 120
    assert abs(counts["10.0.0.13"] - 2000) < 160


def test_the_packet_is_dnated_to_the_member_port_and_skips_the_routers_filters() -> None:
    lab = Lab(filters=True)
    result = lab.connect(40000)
    assert result.outcome is Outcome.FORWARD
    assert result.output_ports == (lab.built.id("in"),)
    assert SetField("dst_port", 8080) in result.actions
    assert "load balancer" in [s.event for s in result.trace or ()]
    assert not [s for s in result.trace or () if s.event == "filter"]


def test_replies_come_back_from_the_vip_and_skip_the_outbound_filter() -> None:
    lab = Lab(filters=True)
    backend = backend_of(lab.connect(40000))
    assert backend is not None
    reply = lab.reply(backend, 40000)
    assert reply.outcome is Outcome.FORWARD
    assert reply.output_ports == (lab.built.id("up"),)
    assert SetField("nw_src", builder.ip4(VIP)) in reply.actions
    assert SetField("src_port", 80) in reply.actions


def test_an_existing_connection_keeps_its_backend() -> None:
    lab = Lab()
    first = backend_of(lab.connect(40000))
    assert all(backend_of(lab.connect(40000, flags=TCP_ACK)) == first for _ in range(20))


def test_sticky_source_ip_pins_a_client_to_one_member() -> None:
    lab = Lab(sticky=True)
    pinned = {backend_of(lab.connect(sport)) for sport in range(30000, 30030)}
    assert len(pinned) == 1
    # the reply of any of those connections goes back through the sticky entry
    backend = pinned.pop()
    assert backend is not None
    assert lab.reply(backend, 30017).outcome is Outcome.FORWARD
    # a non-sticky VIP spreads the same client's connections
    spread = Lab()
    assert len({backend_of(spread.connect(sport)) for sport in range(30000, 30030)}) > 1


def test_inactive_admin_down_and_weight_zero_members_get_no_new_flows() -> None:
    lab = Lab(
        member_changes={
            0: {"status": LBStatus.INACTIVE},
            1: {"admin_state_up": False},
        },
    )
    assert {backend_of(lab.connect(sport)) for sport in range(1000, 1300)} == {"10.0.0.13"}
    zero = Lab(weights=(0, 1, 1))
    chosen = {backend_of(zero.connect(sport)) for sport in range(1000, 1300)}
    assert chosen == {"10.0.0.12", "10.0.0.13"}


def test_a_member_marked_inactive_loses_its_connections_admin_down_drains_them() -> None:
    lab = Lab(weights=(1, 0, 0))
    assert backend_of(lab.connect(40000)) == "10.0.0.11"
    lab.update_member(1, weight=1)
    lab.update_member(0, admin_state_up=False)  # disabled: existing connections drain
    assert backend_of(lab.connect(40000, flags=TCP_ACK)) == "10.0.0.11"
    assert backend_of(lab.connect(40001)) == "10.0.0.12"
    lab.update_member(0, admin_state_up=True, status=LBStatus.INACTIVE)  # dead
    assert backend_of(lab.connect(40000, flags=TCP_ACK)) == "10.0.0.12"
    assert lab.reply("10.0.0.11", 40001).drop_reason is None  # not a translated flow


def test_a_pool_without_active_members_drops_new_connections() -> None:
    lab = Lab(member_changes={i: {"status": LBStatus.INACTIVE} for i in range(3)})
    result = lab.connect(40000)
    assert result.outcome is Outcome.DROP
    assert result.drop_reason is DropReason.NO_POOL_MEMBER


def test_traffic_to_other_addresses_is_routed_normally() -> None:
    lab = Lab()
    frame = builder.tcp_frame(
        src_mac=CLIENT_MAC,
        dst_mac=UP_MAC,
        src_ip="198.51.100.50",
        dst_ip="10.0.0.12",
        src_port=5,
        dst_port=8080,
    ).serialize()
    result = simulate(frame, lab.built.id("up"), lab.topology, lab.state, 0.0)
    assert result.output_ports == (lab.built.id("in"),)
    assert backend_of(result) is None


def test_flows_are_tagged_with_the_load_balancer_and_pool() -> None:
    lab = Lab()
    result = lab.connect(40000)
    assert {lab.lb.id, lab.pool.id} <= result.tags
    assert uuid.UUID(int=0) not in result.tags
