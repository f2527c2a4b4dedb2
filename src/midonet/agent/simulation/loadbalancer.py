"""The L4 load balancer a router may carry (guide chapter 9; MidoNet's LoadBalancer,
Pool, PoolMember and Vip devices).

Inbound, after ARP and before the router's inbound filter: a TCP packet to a VIP
(address and protocol port, VIP up, load balancer up) is load-balanced and skips the
filter. Its connection keeps the backend it has (the DNAT translation is looked up
first) while that backend is valid: active, or for a non-sticky VIP also
administratively down (connections drain). Otherwise a new member is chosen among
the active ones (up, status ACTIVE, weight > 0) at random in proportion to its
weight (MidoNet's ROUND_ROBIN), and the packet is DNATed to it in the load
balancer's name. With source-IP persistence the translation is sticky: keyed on the
client's address only, every connection from it goes to the same member. A pool
with no active member drops new connections (and every sticky one).

Outbound, after the route and before the router's outbound filter: a reply whose
DNAT translation is found is translated back to the VIP and skips the filter if the
backend is still valid; it is dropped if the VIP or the backend is no longer valid.
"""

from __future__ import annotations

import bisect
import itertools
import uuid
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Final

from midonet.agent.simulation import nat
from midonet.agent.simulation.chain import ACCEPT, CONTINUE, DROP
from midonet.agent.simulation.state_keys import NatKind, ip_text
from midonet.model import (
    LBStatus,
    LoadBalancer,
    NatTarget,
    Pool,
    PoolMember,
    SessionPersistence,
    Vip,
)
from midonet.packets.constants import IP_PROTO_TCP

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext
    from midonet.agent.topology.snapshot import Topology

BACKEND_REPLY: Final = -1
"""`inbound`'s verdict for a backend's reply: the inbound filter is skipped and
`outbound` translates it back."""

Backend = tuple[int, int]
"""A member's (address, protocol port)."""


@dataclass(frozen=True, slots=True)
class CompiledPool:
    pool_id: uuid.UUID
    admin_state_up: bool
    members: tuple[tuple[uuid.UUID, NatTarget], ...]
    """The active members and their DNAT targets."""
    cumulative: tuple[int, ...]
    """Running sums of the active members' weights, for the weighted choice."""
    active: frozenset[Backend]
    disabled: frozenset[Backend]

    @property
    def is_up(self) -> bool:
        return self.admin_state_up and bool(self.members)

    def valid(self, backend: Backend, sticky: bool) -> bool:
        return backend in self.active or (not sticky and backend in self.disabled)


@dataclass(frozen=True, slots=True)
class CompiledVip:
    vip_id: uuid.UUID
    address: int
    port: int
    sticky: bool
    pool: CompiledPool


@dataclass(frozen=True, slots=True)
class CompiledLoadBalancer:
    lb_id: uuid.UUID
    admin_state_up: bool
    vips: tuple[CompiledVip, ...]
    has_sticky: bool
    has_non_sticky: bool
    tags: frozenset[uuid.UUID]


def _target(address: IPv4Address | IPv6Address, port: int) -> NatTarget:
    return NatTarget(address_from=address, address_to=address, port_from=port, port_to=port)


def _is_up(member: PoolMember) -> bool:
    return member.weight > 0 and member.admin_state_up and member.status is LBStatus.ACTIVE


def _compile_pool(topology: Topology, pool: Pool) -> CompiledPool:
    members = [m for i in pool.pool_member_ids if (m := topology.get(PoolMember, i)) is not None]
    up = [m for m in members if _is_up(m) and m.address.version == 4]
    targets = tuple((m.id, _target(m.address, m.protocol_port)) for m in up)
    return CompiledPool(
        pool.id,
        pool.admin_state_up,
        targets,
        tuple(itertools.accumulate(m.weight for m in up)),
        frozenset((int(m.address), m.protocol_port) for m in up),
        frozenset((int(m.address), m.protocol_port) for m in members if not m.admin_state_up),
    )


def _compile(topology: Topology, lb_id: uuid.UUID) -> CompiledLoadBalancer | None:
    lb = topology.get(LoadBalancer, lb_id)
    if lb is None:
        return None
    tags: set[uuid.UUID] = {lb_id}
    vips: list[CompiledVip] = []
    for pool_id in lb.pool_ids:
        pool = topology.get(Pool, pool_id)
        if pool is None:
            continue
        tags.add(pool_id)
        compiled = _compile_pool(topology, pool)
        for vip_id in pool.vip_ids:
            vip = topology.get(Vip, vip_id)
            if vip is None or not vip.admin_state_up or vip.address.version != 4:
                continue
            tags.add(vip_id)
            sticky = vip.session_persistence is SessionPersistence.SOURCE_IP
            vips.append(CompiledVip(vip_id, int(vip.address), vip.protocol_port, sticky, compiled))
    return CompiledLoadBalancer(
        lb_id,
        lb.admin_state_up,
        tuple(vips),
        any(v.sticky for v in vips),
        any(not v.sticky for v in vips),
        frozenset(tags),
    )


def compiled(topology: Topology, lb_id: uuid.UUID) -> CompiledLoadBalancer | None:
    return topology.memo(("loadbalancer.compiled", lb_id), lambda: _compile(topology, lb_id))


# --- inbound ----------------------------------------------------------------------------


def inbound(ctx: PacketContext, lb_id: uuid.UUID) -> int:
    """CONTINUE (not load-balanced traffic: the router's filter runs), ACCEPT
    (load-balanced: the filters are skipped), BACKEND_REPLY or DROP."""
    lb = compiled(ctx.topology, lb_id)
    ctx.tags.add(lb_id)
    if lb is None:
        return CONTINUE
    ctx.tags.update(lb.tags)
    if not lb.admin_state_up or ctx.nw_proto != IP_PROTO_TCP:
        return CONTINUE
    vip = next((v for v in lb.vips if v.address == ctx.nw_dst and v.port == ctx.dst_port), None)
    if vip is None:
        return BACKEND_REPLY if _is_backend_reply(ctx, lb) else CONTINUE
    pool = vip.pool
    if _keep_existing(ctx, lb_id, vip):
        return ACCEPT
    if not pool.is_up:
        if ctx.trace is not None:
            ctx.step("load balancer", lb_id, detail=(("vip", vip.vip_id), ("member", "none")))
        return DROP
    point = ctx.state.random.randrange(pool.cumulative[-1])
    member_id, target = pool.members[bisect.bisect_right(pool.cumulative, point)]
    if ctx.trace is not None:
        ctx.step(
            "load balancer",
            lb_id,
            detail=(
                ("vip", vip.vip_id),
                ("member", member_id),
                ("backend", f"{target.address_from}:{target.port_from}"),
                ("sticky", vip.sticky),
            ),
        )
    nat.apply_dnat(ctx, lb_id, (target,), sticky=vip.sticky, replace=True)
    return ACCEPT


def _keep_existing(ctx: PacketContext, lb_id: uuid.UUID, vip: CompiledVip) -> bool:
    """Send the connection (or, sticky, the client) to the backend it already has,
    if that backend is still valid."""
    kind = NatKind.FWD_STICKY_DNAT if vip.sticky else NatKind.FWD_DNAT
    binding = nat.existing(ctx, kind, lb_id)
    if binding is None or not vip.pool.valid((binding.ip, binding.port), vip.sticky):
        return False
    if ctx.trace is not None:
        ctx.step(
            "load balancer",
            lb_id,
            detail=(
                ("vip", vip.vip_id),
                ("existing backend", f"{ip_text(binding.ip)}:{binding.port}"),
            ),
        )
    target = _target(IPv4Address(binding.ip), binding.port)
    return nat.apply_dnat(ctx, lb_id, (target,), sticky=vip.sticky)


def _is_backend_reply(ctx: PacketContext, lb: CompiledLoadBalancer) -> bool:
    return bool(
        (lb.has_non_sticky and nat.existing(ctx, NatKind.REV_DNAT, lb.lb_id))
        or (lb.has_sticky and nat.existing(ctx, NatKind.REV_STICKY_DNAT, lb.lb_id))
    )


# --- outbound ---------------------------------------------------------------------------


def outbound(ctx: PacketContext, lb_id: uuid.UUID) -> int:
    """CONTINUE (not a reply from a backend), ACCEPT (translated back to the VIP: the
    router's outbound filter is skipped) or DROP (the VIP or backend is gone)."""
    lb = compiled(ctx.topology, lb_id)
    ctx.tags.add(lb_id)
    if lb is None:
        return CONTINUE
    ctx.tags.update(lb.tags)
    backend = (ctx.nw_src, ctx.src_port)
    translated = (lb.has_non_sticky and nat.reverse_dnat(ctx, lb_id)) or (
        lb.has_sticky and nat.reverse_dnat(ctx, lb_id, sticky=True)
    )
    if not translated:
        return CONTINUE
    if not lb.admin_state_up:
        return DROP
    vip = next(
        (
            v
            for v in lb.vips
            if v.address == ctx.nw_src and v.port == ctx.src_port and ctx.nw_proto == IP_PROTO_TCP
        ),
        None,
    )
    if vip is None or not vip.pool.valid(backend, vip.sticky):
        if ctx.trace is not None:
            ctx.step("load balancer", lb_id, detail=(("reply", "backend or VIP no longer valid"),))
        return DROP
    return ACCEPT
