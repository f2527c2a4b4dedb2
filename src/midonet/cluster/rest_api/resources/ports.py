"""Ports (Port-v3): created under their bridge or router, linked with
`POST /ports/{id}/link {peerId}` and unlinked with `DELETE /ports/{id}/link`."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import bad_request, conflict, not_found
from midonet.cluster.rest_api.fields import Field, Mapping, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, nested
from midonet.cluster.rest_api.resources.devices import (
    BRIDGE,
    BRIDGES,
    CHAINS,
    ROUTER,
    ROUTERS,
    device_tenant,
    peer_ports,
)
from midonet.cluster.rest_api.routing import Routes
from midonet.model.base import ModelObject
from midonet.model.bridge import Bridge
from midonet.model.port import Port, PortType
from midonet.model.router import Router
from midonet.store.base import Reader, Transaction
from midonet.store.state import PortActive

PORTS = "ports"

_TYPES = {
    "Bridge": "Bridge",
    "ExteriorBridge": "Bridge",
    "InteriorBridge": "Bridge",
    "Router": "Router",
    "ExteriorRouter": "Router",
    "InteriorRouter": "Router",
}
_ADDRESS_FIELDS = ("port_address", "network_address", "network_length")
_ROUTER_ONLY = ("networkAddress", "networkLength", "portAddress", "portMac", "portSubnet")


def _type_in(value: Any) -> Any:
    return _TYPES.get(value, value) if isinstance(value, str) else value


PORT_FIELDS = Mapping(
    Port,
    [
        *(
            f
            for f in mechanical(
                Port,
                exclude=(
                    "type",
                    "bridge_id",
                    "router_id",
                    "route_ids",
                    "mirror_ids",
                    "trace_request_ids",
                    "port_group_ids",
                    "port_subnets",
                    "peer_id",
                    "host_id",
                    "interface_name",
                    "tunnel_key",
                ),
            )
        ),
        Field("type", "type", into=_type_in),
        Field("portSubnet", "port_subnets"),
        Field("peerId", "peer_id", read_only=True),
        Field("hostId", "host_id", read_only=True),
        Field("interfaceName", "interface_name", read_only=True),
        Field("tunnelKey", "tunnel_key", read_only=True),
    ],
)


def port_owner(port: Port, reader: Reader) -> str | None:
    if port.type is PortType.ROUTER:
        return device_tenant(port.router_id, Router, reader)
    return device_tenant(port.bridge_id, Bridge, reader)


def port_links(port: Port, ctx: Context) -> dict[str, Any]:
    me = ctx.uri(PORTS, port.id)
    device = (ROUTERS, port.router_id) if port.is_router_port else (BRIDGES, port.bridge_id)
    host_port = ctx.uri("hosts", port.host_id, PORTS, port.id) if port.host_id is not None else None
    return {
        "portSubnet": _subnets_out(port),
        "deviceId": str(port.device_id) if port.device_id else None,
        "device": ctx.link(*device),
        "host": ctx.link("hosts", port.host_id),
        "peer": ctx.link(PORTS, port.peer_id),
        "link": f"{me}/link",
        "portGroups": f"{me}/port_groups",
        "hostInterfacePort": host_port,
        "inboundFilter": ctx.link(CHAINS, port.inbound_filter_id),
        "outboundFilter": ctx.link(CHAINS, port.outbound_filter_id),
        "active": PortActive(ctx.store.state).host_of(port.id) is not None,
    }


def _subnets_in(data: dict[str, Any], old: ModelObject | None) -> None:
    """MidoNet writes a router port's subnets as interfaces ("10.0.0.1/24": the port's
    address with its prefix) and, when they are given, takes the port's address and
    primary network from the first IPv4 one. The model keeps networks and address
    apart. An update that changes only the address fields re-derives the subnets."""
    given = data.get("port_subnets")
    if isinstance(old, Port):
        before = old.to_dict()
        moved = any(data.get(k) != before[k] for k in _ADDRESS_FIELDS)
        if moved and given == before["port_subnets"]:
            data.pop("port_subnets")
            return
    if not isinstance(given, list) or not given:
        return
    networks: list[Any] = []
    primary = None
    for item in given:
        try:
            interface = ipaddress.ip_interface(item) if isinstance(item, str) else None
        except ValueError:
            interface = None
        if interface is None:
            networks.append(item)  # the model names the bad entry
            continue
        networks.append(interface.network.with_prefixlen)
        if primary is None and interface.version == 4:
            primary = interface
    data["port_subnets"] = networks
    if primary is not None:
        data["network_address"] = str(primary.network.network_address)
        data["network_length"] = primary.network.prefixlen
        if primary.ip != primary.network.network_address:
            data["port_address"] = str(primary.ip)


def _subnets_out(port: Port) -> list[str]:
    out = []
    for subnet in port.port_subnets:
        address = port.port_address
        if address is not None and address in subnet and subnet.version == 4:
            out.append(f"{address}/{subnet.prefixlen}")
        else:
            out.append(subnet.with_prefixlen)
    return out


def _prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    _subnets_in(data, old)
    if isinstance(old, Port):
        data["type"] = old.type.value
        return data
    wanted = "Router" if data.get("router_id") else "Bridge"
    given = data.get("type", wanted)
    if given != wanted:
        raise bad_request(
            f"Validation error: type: a port of a {wanted.lower()} has type {wanted}",
            [("type", f"must be {wanted} for a port of a {wanted.lower()}, got {given!r}")],
        )
    data["type"] = wanted
    return data


class PortResource(Resource):
    def render(self, obj: ModelObject, ctx: Context) -> dict[str, Any]:
        data = super().render(obj, ctx)
        assert isinstance(obj, Port)
        if obj.is_bridge_port:
            for key in _ROUTER_ONLY:
                data.pop(key, None)
        else:
            data.pop("vlanId", None)
        return data


PORT = PortResource(
    PORTS,
    Port,
    "Port-v3",
    PORT_FIELDS,
    port_links,
    owner=port_owner,
    prepare=_prepare,
    event=("Port", "portId"),
)


def _link(ctx: Context, id: str) -> Response:
    port, _ = PORT.load(ctx, id)
    PORT.check_write(ctx, port)
    body = ctx.body()
    raw = body.get("peerId")
    if not isinstance(raw, str):
        raise bad_request(
            "Validation error: peerId: is required (a port UUID)",
            [("peerId", "is required (a port UUID)")],
        )
    try:
        peer_id = uuid.UUID(raw)
    except ValueError:
        raise bad_request(
            "Validation error: peerId: expected a UUID",
            [("peerId", f"expected a UUID, got {raw!r}")],
        ) from None
    peer, _ = PORT.load(ctx, str(peer_id))
    PORT.check_write(ctx, peer)
    _check_linkable(port, peer)

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port.id).obj
        tx.update(current.replace(peer_id=peer_id))

    ctx.transact(work, PORT_FIELDS)
    ctx.events.topology(
        "Port", "LINK", "portId", port.id, {"portId": str(port.id), "peerId": str(peer_id)}
    )
    return Response(201, None, None, {"Location": ctx.uri(PORTS, port.id, "link")})


def _check_linkable(port: Port, peer: Port) -> None:
    if port.id == peer.id:
        raise bad_request("A port cannot be linked to itself", [("peerId", "is the port itself")])
    for p in (port, peer):
        if p.peer_id is not None:
            raise conflict(f"Port {p.id} is already linked to port {p.peer_id}")
        if p.host_id is not None:
            raise conflict(f"Port {p.id} is bound to an interface of host {p.host_id}")
    if port.device_id is not None and port.device_id == peer.device_id:
        raise bad_request(
            "Two ports of the same device cannot be linked",
            [("peerId", "is a port of the same device")],
        )
    if (
        port.is_bridge_port
        and peer.is_bridge_port
        and (port.vlan_id is None and peer.vlan_id is None)
    ):
        raise bad_request(
            "Two bridge ports can only be linked when one of them has a vlanId",
            [("peerId", "links two bridges without a VLAN")],
        )


def _get_link(ctx: Context, id: str) -> Response:
    """The link a POST created (its Location): the port and its peer."""
    port, _ = PORT.load(ctx, id)
    if port.peer_id is None:
        raise not_found(f"port {port.id} is not linked")
    body = {
        "portId": str(port.id),
        "peerId": str(port.peer_id),
        "uri": ctx.uri(PORTS, port.id, "link"),
        "port": ctx.uri(PORTS, port.id),
        "peer": ctx.uri(PORTS, port.peer_id),
    }
    return Response(200, body, media.PORT_LINK)


def _unlink(ctx: Context, id: str) -> Response:
    port, _ = PORT.load(ctx, id)
    PORT.check_write(ctx, port)
    if port.peer_id is None:
        return Response(204)
    peer_id = port.peer_id

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port.id).obj
        tx.update(current.replace(peer_id=None))

    ctx.transact(work, PORT_FIELDS)
    ctx.events.topology(
        "Port", "UNLINK", "portId", port.id, {"portId": str(port.id), "peerId": str(peer_id)}
    )
    return Response(204)


def register(routes: Routes) -> None:
    crud(routes, PORT, create=False)
    for device in (ROUTER, BRIDGE):
        field = "router_id" if device is ROUTER else "bridge_id"
        nested(routes, device, PORT, "ports", lambda d, ctx: d.port_ids, parent_field=field)
        nested(routes, device, PORT, "peer_ports", lambda d, ctx: peer_ports(d, ctx.store))
    routes.add(
        "POST",
        "/ports/{id}/link",
        _link,
        media=media.PORT_LINK,
        summary="Link a port to a peer port",
    )
    routes.add("GET", "/ports/{id}/link", _get_link, summary="The port's link to its peer")
    routes.add("DELETE", "/ports/{id}/link", _unlink, summary="Unlink a port")
