"""Port groups (PortGroup-v1, members as PortGroupPort-v1) and IP address groups
(IpAddrGroup-v1, addresses as IpAddrGroupAddr-v1 under versions/{4|6}/ip_addrs)."""

from __future__ import annotations

import ipaddress
import urllib.parse
import uuid
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import bad_request, conflict, not_found
from midonet.cluster.rest_api.fields import Mapping, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, tenant_field
from midonet.cluster.rest_api.resources.ports import PORT
from midonet.cluster.rest_api.routing import Routes
from midonet.model.ip_addr_group import IPAddrGroup
from midonet.model.port import Port
from midonet.model.port_group import PortGroup
from midonet.store.base import Transaction

PORT_GROUPS, IP_ADDR_GROUPS = "port_groups", "ip_addr_groups"
PG_PORT = "PortGroupPort-v1"
IP_ADDR = "IpAddrGroupAddr-v1"

PORT_GROUP = Resource(
    PORT_GROUPS,
    PortGroup,
    "PortGroup-v1",
    Mapping(PortGroup, mechanical(PortGroup, exclude=("port_ids",))),
    lambda pg, ctx: {"ports": ctx.uri(PORT_GROUPS, pg.id, "ports")},
    owner=tenant_field,
    tenant_scoped=True,
)

IP_ADDR_GROUP = Resource(
    IP_ADDR_GROUPS,
    IPAddrGroup,
    "IpAddrGroup-v1",
    Mapping(IPAddrGroup, mechanical(IPAddrGroup, exclude=("addresses",))),
    lambda g, ctx: {"addrs": ctx.uri(IP_ADDR_GROUPS, g.id, "ip_addrs")},
)


def _member(ctx: Context, group_id: uuid.UUID, port_id: uuid.UUID) -> dict[str, Any]:
    return {
        "portGroupId": str(group_id),
        "portId": str(port_id),
        "uri": ctx.uri(PORT_GROUPS, group_id, "ports", port_id),
        "port": ctx.uri("ports", port_id),
        "portGroup": ctx.uri(PORT_GROUPS, group_id),
    }


def _members(ctx: Context, id: str) -> Response:
    group, _ = PORT_GROUP.load(ctx, id)
    assert isinstance(group, PortGroup)
    items = [_member(ctx, group.id, p) for p in group.port_ids]
    return Response(200, items, media.collection(PG_PORT))


def _groups_of_port(ctx: Context, id: str) -> Response:
    port, _ = PORT.load(ctx, id)
    assert isinstance(port, Port)
    items = [_member(ctx, g, port.id) for g in port.port_group_ids]
    return Response(200, items, media.collection(PG_PORT))


def _add_member(ctx: Context, id: str) -> Response:
    group, _ = PORT_GROUP.load(ctx, id)
    PORT_GROUP.check_write(ctx, group)
    raw = ctx.body().get("portId")
    try:
        port_id = uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        port_id = None
    if port_id is None:
        raise bad_request(
            "Validation error: portId: expected a port UUID",
            [("portId", f"expected a port UUID, got {raw!r}")],
        )
    port, _ = PORT.load(ctx, str(port_id))
    assert isinstance(port, Port)
    if group.id in port.port_group_ids:
        raise conflict(f"Port {port_id} is already a member of port group {group.id}")

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port_id).obj
        tx.update(current.replace(port_group_ids=(*current.port_group_ids, group.id)))

    ctx.transact(work)
    body = _member(ctx, group.id, port_id)
    return Response(201, body, media.item(PG_PORT), {"Location": body["uri"]})


def _one_member(ctx: Context, id: str, port: str, *, delete: bool = False) -> Response:
    group, _ = PORT_GROUP.load(ctx, id)
    assert isinstance(group, PortGroup)
    port_id = next((p for p in group.port_ids if str(p) == port.lower()), None)
    if port_id is None:
        raise not_found(f"Port {port} is not a member of port group {group.id}")
    if not delete:
        return Response(200, _member(ctx, group.id, port_id), media.item(PG_PORT))
    PORT_GROUP.check_write(ctx, group)

    def work(tx: Transaction) -> None:
        current = tx.get(Port, port_id).obj
        kept = tuple(g for g in current.port_group_ids if g != group.id)
        tx.update(current.replace(port_group_ids=kept))

    ctx.transact(work)
    return Response(204)


# --- IP address groups ----------------------------------------------------------------


def _addr(ctx: Context, group_id: uuid.UUID, address: Any) -> dict[str, Any]:
    version = address.version
    quoted = urllib.parse.quote(str(address), safe="")
    return {
        "addr": str(address),
        "version": version,
        "ipAddrGroupId": str(group_id),
        "uri": ctx.uri(IP_ADDR_GROUPS, group_id, "versions", version, "ip_addrs", quoted),
        "ipAddrGroup": ctx.uri(IP_ADDR_GROUPS, group_id),
    }


def _addrs(ctx: Context, id: str) -> Response:
    group, _ = IP_ADDR_GROUP.load(ctx, id)
    assert isinstance(group, IPAddrGroup)
    items = [_addr(ctx, group.id, a) for a in group.addresses]
    return Response(200, items, media.collection(IP_ADDR))


def _add_addr(ctx: Context, id: str) -> Response:
    group, version = IP_ADDR_GROUP.load(ctx, id)
    IP_ADDR_GROUP.check_write(ctx, group)
    assert isinstance(group, IPAddrGroup)
    raw = ctx.body().get("addr")
    try:
        address = ipaddress.ip_address(raw) if isinstance(raw, str) else None
    except ValueError:
        address = None
    if address is None:
        raise bad_request(
            "Validation error: addr: is not a valid IP address",
            [("addr", f"is not a valid IP address: {raw!r}")],
        )
    if address not in group.addresses:
        new = group.replace(addresses=(*group.addresses, address))
        ctx.transact(lambda tx: tx.update(new, expected_version=version))
    body = _addr(ctx, group.id, address)
    return Response(201, body, media.item(IP_ADDR), {"Location": body["uri"]})


def _one_addr(ctx: Context, id: str, version: str, addr: str, *, delete: bool = False) -> Response:
    group, stored = IP_ADDR_GROUP.load(ctx, id)
    assert isinstance(group, IPAddrGroup)
    try:
        address = ipaddress.ip_address(urllib.parse.unquote(addr))
    except ValueError:
        raise not_found(f"{addr} is not an IP address") from None
    if str(address.version) != version or address not in group.addresses:
        raise not_found(f"Address {address} is not in IP address group {group.id}")
    if not delete:
        return Response(200, _addr(ctx, group.id, address), media.item(IP_ADDR))
    IP_ADDR_GROUP.check_write(ctx, group)
    new = group.replace(addresses=tuple(a for a in group.addresses if a != address))
    ctx.transact(lambda tx: tx.update(new, expected_version=stored))
    return Response(204)


def register(routes: Routes) -> None:
    crud(routes, PORT_GROUP)
    crud(routes, IP_ADDR_GROUP)
    routes.add("GET", "/port_groups/{id}/ports", _members, summary="List a port group's ports")
    routes.add(
        "POST",
        "/port_groups/{id}/ports",
        _add_member,
        media=media.item(PG_PORT),
        summary="Add a port to a port group",
    )
    routes.add("GET", "/port_groups/{id}/ports/{port}", _one_member, summary="Get a member")
    routes.add(
        "DELETE",
        "/port_groups/{id}/ports/{port}",
        lambda ctx, **kw: _one_member(ctx, delete=True, **kw),
        summary="Remove a port from a port group",
    )
    routes.add(
        "GET", "/ports/{id}/port_groups", _groups_of_port, summary="List the port groups of a port"
    )
    routes.add("GET", "/ip_addr_groups/{id}/ip_addrs", _addrs, summary="List addresses")
    routes.add(
        "POST",
        "/ip_addr_groups/{id}/ip_addrs",
        _add_addr,
        media=media.item(IP_ADDR),
        summary="Add an address",
    )
    pattern = "/ip_addr_groups/{id}/versions/{version}/ip_addrs/{addr}"
    routes.add("GET", pattern, _one_addr, summary="Get an address")
    routes.add(
        "DELETE",
        pattern,
        lambda ctx, **kw: _one_addr(ctx, delete=True, **kw),
        summary="Remove an address",
    )
