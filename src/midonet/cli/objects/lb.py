"""Load balancers, pools, pool members, VIPs and health monitors."""

from __future__ import annotations

from midonet.cli.objects import Kind, plain, ref, register, state

register(
    Kind(
        "load-balancer",
        "loadBalancerTemplate",
        (state(), ref("router", "routerId", "router")),
        top="loadBalancers",
        children={"pool": "pools", "vip": "vips"},
        alias="lb",
    ),
    Kind(
        "pool",
        "poolTemplate",
        (
            ref("load-balancer", "loadBalancerId", "load-balancer"),
            ref("health-monitor", "healthMonitorId", "health-monitor"),
            plain("lb-method", "lbMethod"),
            plain("protocol", "protocol"),
            state(),
        ),
        top="pools",
        children={"member": "poolMembers", "vip": "vips"},
        parent=("loadBalancerId", "load-balancer"),
    ),
    Kind(
        "member",
        "poolMemberTemplate",
        (
            plain("address", "address"),
            plain("protocol-port", "protocolPort", int),
            plain("weight", "weight", int),
            state(),
        ),
        parent=("poolId", "pool"),
        alias="pm",
    ),
    Kind(
        "vip",
        "vipTemplate",
        (
            ref("load-balancer", "loadBalancerId", "load-balancer"),
            plain("address", "address"),
            plain("protocol-port", "protocolPort", int),
            plain("persistence", "sessionPersistence"),
            state(),
        ),
        parent=("poolId", "pool"),
    ),
    Kind(
        "health-monitor",
        "healthMonitorTemplate",
        (
            plain("type", "type"),
            plain("delay", "delay", int),
            plain("timeout", "timeout", int),
            plain("max-retries", "maxRetries", int),
            state(),
        ),
        top="healthMonitors",
        alias="hm",
    ),
)
