"""Hosts (Host-v3) with their interfaces (Interface-v1) and port bindings
(HostInterfacePort-v1), and tunnel zones (TunnelZone-v1) with their members
(TunnelZoneHost-v1). Hosts are registered by their agents: the API reads, updates
(flooding-proxy weight, container weight and limit) and deletes them."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import bad_request, conflict, not_found
from midonet.cluster.rest_api.fields import Field, Mapping, mechanical
from midonet.cluster.rest_api.resource import Resource, crud
from midonet.cluster.rest_api.resources.ports import PORT
from midonet.cluster.rest_api.routing import Routes
from midonet.model.base import ModelObject
from midonet.model.host import Host, HostInterface
from midonet.model.port import Port
from midonet.model.tunnel_zone import TunnelZone
from midonet.store.base import Transaction
from midonet.store.state import HostAlive

HOSTS, TUNNEL_ZONES = "hosts", "tunnel_zones"
INTERFACE = "Interface-v1"
HOST_PORT = "HostInterfacePort-v1"
TZ_HOST = "TunnelZoneHost-v1"

HOST_FIELDS = Mapping(
    Host,
    [
        *mechanical(
            Host,
            exclude=("interfaces", "addresses", "alive", "tunnel_zone_ids", "port_ids", "name"),
        ),
        Field("name", "name", read_only=True),
        Field("addresses", "addresses", read_only=True),
        Field("portIds", "port_ids", read_only=True),
        Field("tunnelZoneIds", "tunnel_zone_ids", read_only=True),
    ],
)


def _interface(ctx: Context, host: Host, i: HostInterface) -> dict[str, Any]:
    return {
        "hostId": str(host.id),
        "name": i.name,
        "mac": i.mac,
        "mtu": i.mtu,
        "up": i.up,
        "hasLink": i.has_link,
        "type": i.type.value,
        "endpoint": i.endpoint.value,
        "addresses": [str(a) for a in i.addresses],
        "status": i.status,
        "uri": ctx.uri(HOSTS, host.id, "interfaces", i.name),
    }


def _host_links(host: Host, ctx: Context) -> dict[str, Any]:
    me = ctx.uri(HOSTS, host.id)
    return {
        "alive": host.alive or HostAlive(ctx.store.state).is_alive(host.id),
        "hostInterfaces": [_interface(ctx, host, i) for i in host.interfaces],
        "interfaces": f"{me}/interfaces",
        "ports": f"{me}/ports",
    }


HOST = Resource(HOSTS, Host, "Host-v3", HOST_FIELDS, _host_links)


def _host(ctx: Context, id: str) -> Host:
    host, _ = HOST.load(ctx, id)
    assert isinstance(host, Host)
    return host


def _delete_host(ctx: Context, id: str) -> Response:
    host = _host(ctx, id)
    ctx.require_admin()
    if host.alive or HostAlive(ctx.store.state).is_alive(host.id):
        raise conflict(f"Host {host.id} is alive: stop its agent before deleting it")
    if host.port_ids:
        raise conflict(f"Host {host.id} has ports bound to its interfaces; unbind them first")
    return HOST.delete(ctx, id)


def _interfaces(ctx: Context, id: str) -> Response:
    host = _host(ctx, id)
    items = [_interface(ctx, host, i) for i in host.interfaces]
    return Response(200, items, media.collection(INTERFACE))


def _one_interface(ctx: Context, id: str, name: str) -> Response:
    host = _host(ctx, id)
    found = host.interface(name)
    if found is None:
        raise not_found(f"Host {host.id} has no interface {name}")
    return Response(200, _interface(ctx, host, found), media.item(INTERFACE))


# --- interface bindings ---------------------------------------------------------------


def _binding(ctx: Context, port: Port) -> dict[str, Any]:
    return {
        "hostId": str(port.host_id),
        "portId": str(port.id),
        "interfaceName": port.interface_name,
        "uri": ctx.uri(HOSTS, port.host_id, "ports", port.id),
        "host": ctx.uri(HOSTS, port.host_id),
        "port": ctx.uri("ports", port.id),
    }


def _bindings(ctx: Context, id: str) -> Response:
    host = _host(ctx, id)
    ports = ctx.store.list(Port, ids=host.port_ids)
    return Response(200, [_binding(ctx, p) for p in ports], media.collection(HOST_PORT))


def _bind(ctx: Context, id: str) -> Response:
    host = _host(ctx, id)
    body = ctx.body()
    raw, name = body.get("portId"), body.get("interfaceName")
    try:
        port_id = uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        port_id = None
    problems = []
    if port_id is None:
        problems.append(("portId", f"expected a port UUID, got {raw!r}"))
    if not isinstance(name, str) or not name:
        problems.append(("interfaceName", "is required"))
    if problems:
        raise bad_request(
            "Validation error: " + "; ".join(f"{p}: {m}" for p, m in problems), problems
        )
    port, version = PORT.load(ctx, str(port_id))
    PORT.check_write(ctx, port)
    assert isinstance(port, Port)
    if port.peer_id is not None:
        raise conflict(
            f"Port {port.id} is linked to port {port.peer_id}; an interior port "
            "cannot be bound to an interface"
        )
    others = [p for p in ctx.store.list(Port, ids=host.port_ids) if p.id != port.id]
    if any(p.interface_name == name for p in others):
        raise conflict(f"Interface {name} of host {host.id} is already bound to another port")

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port.id).obj
        tx.update(current.replace(host_id=host.id, interface_name=name), expected_version=version)

    ctx.transact(work)
    bound = ctx.store.get(Port, port.id).obj
    body_out = _binding(ctx, bound)
    ctx.events.topology("Port", "BIND", "portId", port.id, body_out)
    return Response(201, body_out, media.item(HOST_PORT), {"Location": body_out["uri"]})


def _one_binding(ctx: Context, id: str, port: str, *, delete: bool = False) -> Response:
    host = _host(ctx, id)
    port_id = next((p for p in host.port_ids if str(p) == port.lower()), None)
    if port_id is None:
        raise not_found(f"Port {port} is not bound to host {host.id}")
    found = ctx.store.get(Port, port_id).obj
    if not delete:
        return Response(200, _binding(ctx, found), media.item(HOST_PORT))
    PORT.check_write(ctx, found)

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port_id).obj
        tx.update(current.replace(host_id=None, interface_name=None))

    ctx.transact(work)
    ctx.events.topology("Port", "UNBIND", "portId", port_id)
    return Response(204)


# --- tunnel zones ---------------------------------------------------------------------

TZ_FIELDS = Mapping(
    TunnelZone,
    [
        *mechanical(TunnelZone, exclude=("hosts", "host_ids")),
        Field("hostIds", "host_ids", read_only=True),
    ],
)


def _tz_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    if isinstance(old, TunnelZone):  # members change through /hosts only
        data["hosts"] = list(old.to_dict()["hosts"])
        data["host_ids"] = [str(h) for h in old.host_ids]
    return data


TUNNEL_ZONE = Resource(
    TUNNEL_ZONES,
    TunnelZone,
    "TunnelZone-v1",
    TZ_FIELDS,
    lambda tz, ctx: {"hosts": ctx.uri(TUNNEL_ZONES, tz.id, "hosts")},
    prepare=_tz_prepare,
    event=("TunnelZone", "tunnelZoneId"),
)


def _member(ctx: Context, tz: TunnelZone, host_id: uuid.UUID) -> dict[str, Any]:
    return {
        "tunnelZoneId": str(tz.id),
        "hostId": str(host_id),
        "ipAddress": str(tz.address_of(host_id)),
        "uri": ctx.uri(TUNNEL_ZONES, tz.id, "hosts", host_id),
        "host": ctx.uri(HOSTS, host_id),
        "tunnelZone": ctx.uri(TUNNEL_ZONES, tz.id),
    }


def _zone(ctx: Context, id: str) -> tuple[TunnelZone, int]:
    tz, version = TUNNEL_ZONE.load(ctx, id)
    assert isinstance(tz, TunnelZone)
    return tz, version


def _members(ctx: Context, id: str) -> Response:
    tz, _ = _zone(ctx, id)
    items = [_member(ctx, tz, h) for h in tz.host_ids]
    return Response(200, items, media.collection(TZ_HOST))


def _add_member(ctx: Context, id: str) -> Response:
    tz, version = _zone(ctx, id)
    ctx.require_admin()
    body = ctx.body()
    raw_host, raw_ip = body.get("hostId"), body.get("ipAddress")
    problems = []
    try:
        host_id = uuid.UUID(raw_host) if isinstance(raw_host, str) else None
    except ValueError:
        host_id = None
    if host_id is None:
        problems.append(("hostId", f"expected a host UUID, got {raw_host!r}"))
    try:
        ip = ipaddress.ip_address(raw_ip) if isinstance(raw_ip, str) else None
    except ValueError:
        ip = None
    if ip is None:
        problems.append(("ipAddress", f"is an invalid IP format: {raw_ip!r}"))
    if problems or host_id is None or ip is None:
        raise bad_request(
            "Validation error: " + "; ".join(f"{p}: {m}" for p, m in problems), problems
        )
    if host_id in tz.host_ids:
        raise conflict(f"Host {host_id} is already a member of tunnel zone {tz.id}")
    new = tz.with_member(host_id, ip)
    ctx.transact(lambda tx: tx.update(new, expected_version=version), TZ_FIELDS)
    out = _member(ctx, new, host_id)
    ctx.events.topology("TunnelZone", "MEMBER_CREATE", "tunnelZoneId", tz.id, out)
    return Response(201, out, media.item(TZ_HOST), {"Location": out["uri"]})


def _one_member(ctx: Context, id: str, host: str, *, delete: bool = False) -> Response:
    tz, version = _zone(ctx, id)
    host_id = next((h for h in tz.host_ids if str(h) == host.lower()), None)
    if host_id is None:
        raise not_found(f"Host {host} is not a member of tunnel zone {tz.id}")
    out = _member(ctx, tz, host_id)
    if not delete:
        return Response(200, out, media.item(TZ_HOST))
    ctx.require_admin()
    new = tz.without_member(host_id)
    ctx.transact(lambda tx: tx.update(new, expected_version=version), TZ_FIELDS)
    ctx.events.topology("TunnelZone", "MEMBER_DELETE", "tunnelZoneId", tz.id, out)
    return Response(204)


def register(routes: Routes) -> None:
    crud(routes, HOST, create=False, delete=False)
    routes.add("DELETE", "/hosts/{id}", _delete_host, summary="Delete a host that is down")
    routes.add("GET", "/hosts/{id}/interfaces", _interfaces, summary="List interfaces")
    routes.add("GET", "/hosts/{id}/interfaces/{name}", _one_interface, summary="Interface")
    routes.add("GET", "/hosts/{id}/ports", _bindings, summary="List interface bindings")
    routes.add(
        "POST",
        "/hosts/{id}/ports",
        _bind,
        media=media.item(HOST_PORT),
        summary="Bind a port to an interface",
    )
    routes.add("GET", "/hosts/{id}/ports/{port}", _one_binding, summary="Get a binding")
    routes.add(
        "DELETE",
        "/hosts/{id}/ports/{port}",
        lambda ctx, **kw: _one_binding(ctx, delete=True, **kw),
        summary="Unbind",
    )
    crud(routes, TUNNEL_ZONE)
    routes.add("GET", "/tunnel_zones/{id}/hosts", _members, summary="List members")
    routes.add(
        "POST",
        "/tunnel_zones/{id}/hosts",
        _add_member,
        media=media.item(TZ_HOST),
        summary="Add a member",
    )
    routes.add("GET", "/tunnel_zones/{id}/hosts/{host}", _one_member, summary="Get a member")
    routes.add(
        "DELETE",
        "/tunnel_zones/{id}/hosts/{host}",
        lambda ctx, **kw: _one_member(ctx, delete=True, **kw),
        summary="Remove a member",
    )
