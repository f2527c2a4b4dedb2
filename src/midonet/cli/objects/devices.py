"""Routers and bridges."""

from __future__ import annotations

from midonet.cli.objects import Field, Kind, plain, ref, register, state
from midonet.cli.objects.misc import mirrors

_COMMON = (
    plain("name", "name"),
    state(),
    ref("infilter", "inboundFilterId", "chain"),
    ref("outfilter", "outboundFilterId", "chain"),
    mirrors("in-mirrors", "inboundMirrorIds"),
    mirrors("out-mirrors", "outboundMirrorIds"),
)

register(
    Kind(
        "router",
        "routerTemplate",
        (
            *_COMMON,
            ref("load-balancer", "loadBalancerId", "load-balancer"),
            Field(
                "asn",
                lambda v, c: {"asNumber": int(v)},
                lambda o, c: str(o["asNumber"]) if o.get("asNumber") else None,
            ),
        ),
        top="routers",
        children={
            "port": "ports",
            "route": "routes",
            "bgp-peer": "bgpPeers",
            "bgp-network": "bgpNetworks",
        },
        tenant=True,
    ),
    Kind(
        "bridge",
        "bridgeTemplate",
        (*_COMMON, plain("vxlan-port", "vxLanPortId")),
        top="bridges",
        children={"port": "ports"},
        tenant=True,
    ),
)
