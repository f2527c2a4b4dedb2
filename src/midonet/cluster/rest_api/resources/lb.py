"""L4 load balancing: load balancers, pools, pool members, VIPs, health monitors."""

from __future__ import annotations

import uuid
from typing import Any

from midonet.cluster.rest_api.context import Context
from midonet.cluster.rest_api.errors import bad_request
from midonet.cluster.rest_api.fields import Field, Mapping, camel, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, nested
from midonet.cluster.rest_api.routing import Routes
from midonet.model.base import ModelObject
from midonet.model.load_balancer import HealthMonitor, LoadBalancer, Pool, PoolMember, Vip

LBS, POOLS, MEMBERS, VIPS, MONITORS = (
    "load_balancers",
    "pools",
    "pool_members",
    "vips",
    "health_monitors",
)


def _ro(*names: str) -> list[Field]:
    return [Field(camel(n), n, read_only=True) for n in names]


LOAD_BALANCER = Resource(
    LBS,
    LoadBalancer,
    "LoadBalancer-v1",
    Mapping(
        LoadBalancer,
        [
            *mechanical(LoadBalancer, exclude=("router_id", "pool_ids", "vip_ids")),
            *_ro("router_id", "pool_ids"),
        ],
    ),
    lambda lb, ctx: {
        "router": ctx.link("routers", lb.router_id),
        "pools": ctx.uri(LBS, lb.id, "pools"),
        "vips": ctx.uri(LBS, lb.id, "vips"),
    },
    event=("LoadBalancer", "loadBalancerId"),
)


def _pool_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    """As MidoNet: a pool's health-monitor mapping is PENDING_CREATE when a (new)
    monitor is attached, ACTIVE otherwise."""
    monitor = data.get("health_monitor_id")
    before = str(old.health_monitor_id) if isinstance(old, Pool) and old.health_monitor_id else None
    changed = monitor is not None and str(monitor) != before
    data["mapping_status"] = "PENDING_CREATE" if changed else "ACTIVE"
    return data


POOL = Resource(
    POOLS,
    Pool,
    "Pool-v1",
    Mapping(
        Pool,
        [
            *mechanical(Pool, exclude=("status", "mapping_status", "pool_member_ids", "vip_ids")),
            *_ro("status", "mapping_status", "pool_member_ids", "vip_ids"),
        ],
    ),
    lambda p, ctx: {
        "healthMonitor": ctx.link(MONITORS, p.health_monitor_id),
        "loadBalancer": ctx.link(LBS, p.load_balancer_id),
        "vips": ctx.uri(POOLS, p.id, "vips"),
        "poolMembers": ctx.uri(POOLS, p.id, "pool_members"),
    },
    prepare=_pool_prepare,
    event=("Pool", "poolId"),
)


def _member_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    weight = data.get("weight", 1)
    if isinstance(weight, int) and not isinstance(weight, bool) and weight < 1:
        raise bad_request(
            "Validation error: weight: must be at least 1",
            [("weight", f"must be at least 1, got {weight}")],
        )
    if data.get("pool_id") is None:
        raise bad_request("Validation error: poolId: is required", [("poolId", "is required")])
    return data


POOL_MEMBER = Resource(
    MEMBERS,
    PoolMember,
    "PoolMember-v1",
    Mapping(PoolMember, [*mechanical(PoolMember, exclude=("status",)), *_ro("status")]),
    lambda m, ctx: {"pool": ctx.link(POOLS, m.pool_id)},
    prepare=_member_prepare,
    event=("PoolMember", "poolMemberId"),
)


def _vip_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    """A VIP's load balancer is its pool's."""
    raw = data.get("pool_id")
    if raw is None:
        raise bad_request("Validation error: poolId: is required", [("poolId", "is required")])
    try:
        pool = ctx.store.get(Pool, uuid.UUID(str(raw))).obj
    except (ValueError, LookupError):
        return data  # the model or the store reports the bad reference
    data["load_balancer_id"] = str(pool.load_balancer_id) if pool.load_balancer_id else None
    return data


VIP = Resource(
    VIPS,
    Vip,
    "VIP-v1",
    Mapping(Vip, [*mechanical(Vip, exclude=("load_balancer_id",)), *_ro("load_balancer_id")]),
    lambda v, ctx: {
        "loadBalancer": ctx.link(LBS, v.load_balancer_id),
        "pool": ctx.link(POOLS, v.pool_id),
    },
    prepare=_vip_prepare,
    event=("VIP", "vipId"),
)

HEALTH_MONITOR = Resource(
    MONITORS,
    HealthMonitor,
    "HealthMonitor-v1",
    Mapping(
        HealthMonitor,
        [*mechanical(HealthMonitor, exclude=("status", "pool_ids")), *_ro("status", "pool_ids")],
    ),
    lambda h, ctx: {"pools": ctx.uri(MONITORS, h.id, "pools")},
    event=("HealthMonitor", "healthMonitorId"),
)


def register(routes: Routes) -> None:
    for res in (LOAD_BALANCER, POOL, POOL_MEMBER, VIP, HEALTH_MONITOR):
        crud(routes, res)
    nested(
        routes,
        LOAD_BALANCER,
        POOL,
        "pools",
        lambda lb, ctx: lb.pool_ids,
        parent_field="load_balancer_id",
    )
    nested(routes, LOAD_BALANCER, VIP, "vips", lambda lb, ctx: lb.vip_ids)
    nested(
        routes,
        POOL,
        POOL_MEMBER,
        "pool_members",
        lambda p, ctx: p.pool_member_ids,
        parent_field="pool_id",
    )
    nested(routes, POOL, VIP, "vips", lambda p, ctx: p.vip_ids, parent_field="pool_id")
    nested(routes, HEALTH_MONITOR, POOL, "pools", lambda h, ctx: h.pool_ids)
