"""Routers and bridges (MidoNet's Router-v3 and Bridge-v4 resources)."""

from __future__ import annotations

from typing import Any

from midonet.cluster.rest_api.context import Context
from midonet.cluster.rest_api.fields import Field, Mapping, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, tenant_field
from midonet.model.bridge import Bridge
from midonet.model.port import Port
from midonet.model.router import Router
from midonet.store.base import Reader

ROUTERS, BRIDGES, PORTS, CHAINS = "routers", "bridges", "ports", "chains"


def _as_number_out(value: Any) -> Any:
    return 0 if value is None else value


def _as_number_in(value: Any) -> Any:
    return None if value == 0 else value


ROUTER_FIELDS = Mapping(
    Router,
    [
        *(
            f
            for f in mechanical(
                Router,
                exclude=(
                    "port_ids",
                    "route_ids",
                    "bgp_network_ids",
                    "bgp_peer_ids",
                    "trace_request_ids",
                    "as_number",
                ),
            )
        ),
        Field("asNumber", "as_number", out=_as_number_out, into=_as_number_in),
    ],
)

BRIDGE_FIELDS = Mapping(
    Bridge,
    [
        *mechanical(
            Bridge,
            exclude=("port_ids", "trace_request_ids", "tunnel_key", "vni", "vxlan_port_ids"),
        ),
        Field("vxLanPortIds", "vxlan_port_ids", read_only=True),
    ],
)


def router_links(obj: Router, ctx: Context) -> dict[str, Any]:
    me = ctx.uri(ROUTERS, obj.id)
    return {
        "inboundFilter": ctx.link(CHAINS, obj.inbound_filter_id),
        "outboundFilter": ctx.link(CHAINS, obj.outbound_filter_id),
        "loadBalancer": ctx.link("load_balancers", obj.load_balancer_id),
        "ports": f"{me}/ports",
        "peerPorts": f"{me}/peer_ports",
        "routes": f"{me}/routes",
        "bgpNetworks": f"{me}/bgp_networks",
        "bgpPeers": f"{me}/bgp_peers",
    }


def bridge_links(obj: Bridge, ctx: Context) -> dict[str, Any]:
    me = ctx.uri(BRIDGES, obj.id)
    return {
        "inboundFilter": ctx.link(CHAINS, obj.inbound_filter_id),
        "outboundFilter": ctx.link(CHAINS, obj.outbound_filter_id),
        "ports": f"{me}/ports",
        "peerPorts": f"{me}/peer_ports",
        "macTable": f"{me}/mac_table",
        "arpTable": f"{me}/arp_table",
        "vlanMacTableTemplate": f"{me}/vlans/{{vlanId}}/mac_table",
        "macPortTemplate": f"{me}/mac_table/{{macAddress}}_{{portId}}",
        "vlanMacPortTemplate": f"{me}/vlans/{{vlanId}}/mac_table/{{macAddress}}_{{portId}}",
    }


ROUTER = Resource(
    ROUTERS,
    Router,
    "Router-v3",
    ROUTER_FIELDS,
    router_links,
    owner=tenant_field,
    tenant_scoped=True,
    event=("Router", "routerId"),
)
BRIDGE = Resource(
    BRIDGES,
    Bridge,
    "Bridge-v4",
    BRIDGE_FIELDS,
    bridge_links,
    owner=tenant_field,
    tenant_scoped=True,
    event=("Bridge", "bridgeId"),
)


def device_tenant(device_id: Any, kind: type[Router] | type[Bridge], reader: Reader) -> str | None:
    if device_id is None:
        return None
    try:
        return reader.get(kind, device_id).obj.tenant_id
    except LookupError:
        return None


def peer_ports(device: Router | Bridge, reader: Reader) -> list[Any]:
    """The ids of the ports linked to the device's ports."""
    ports = reader.list(Port, ids=device.port_ids)
    return [p.peer_id for p in ports if p.peer_id is not None]


def register(routes: Any) -> None:
    crud(routes, ROUTER)
    crud(routes, BRIDGE)
