"""Routes (Route-v1): created under a router, listed with the router's port routes.

MidoNet has no update of a route: create, get, delete.
"""

from __future__ import annotations

import uuid
from typing import Any

from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import bad_request
from midonet.cluster.rest_api.fields import Field, Mapping, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, nested
from midonet.cluster.rest_api.resources.devices import ROUTER, ROUTERS, device_tenant
from midonet.model.base import ModelObject
from midonet.model.port import Port
from midonet.model.route import Route
from midonet.model.router import Router
from midonet.store.base import Reader

ROUTE_FIELDS = Mapping(
    Route,
    [
        *mechanical(Route, exclude=("next_hop_port_id", "learned", "router_id")),
        Field("nextHopPort", "next_hop_port_id"),
        Field("learned", "learned", read_only=True),
    ],
)


def route_router(route: Route, reader: Reader) -> uuid.UUID | None:
    """The route's router: its own, or its next-hop port's (port routes)."""
    if route.router_id is not None:
        return route.router_id
    if route.next_hop_port_id is None:
        return None
    try:
        return reader.get(Port, route.next_hop_port_id).obj.router_id
    except LookupError:
        return None


def _owner(route: Route, reader: Reader) -> str | None:
    return device_tenant(route_router(route, reader), Router, reader)


def _links(route: Route, ctx: Context) -> dict[str, Any]:
    router_id = route_router(route, ctx.store)
    return {
        "routerId": str(router_id) if router_id else None,
        "router": ctx.link(ROUTERS, router_id),
    }


def _prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    hop = data.get("next_hop_port_id")
    router_id = data.get("router_id")
    if hop is None or router_id is None:
        return data
    try:
        port = ctx.store.get(Port, uuid.UUID(str(hop))).obj
    except (ValueError, LookupError):
        return data  # a bad id is the model's or the store's to report
    if str(port.router_id) != str(router_id):
        raise bad_request(
            "Validation error: nextHopPort: the next hop port must belong to the router",
            [("nextHopPort", f"port {hop} is not a port of router {router_id}")],
        )
    return data


class RouteResource(Resource):
    def create(self, ctx: Context, base: dict[str, Any] | None = None) -> Response:
        response = super().create(ctx, base)
        route = ctx.store.get(Route, uuid.UUID(response.headers["Location"].rsplit("/", 1)[1]))
        router_id = route_router(route.obj, ctx.store)
        ctx.events.topology(
            "Router", "ROUTE_CREATE", "routerId", router_id, self.render(route.obj, ctx)
        )
        return response

    def delete(self, ctx: Context, id: str) -> Response:
        route, _ = self.load(ctx, id)
        router_id = route_router(route, ctx.store)
        response = super().delete(ctx, id)
        ctx.events.topology(
            "Router", "ROUTE_DELETE", "routerId", router_id, str(route.id), data_name="routeId"
        )
        return response


ROUTE = RouteResource(
    "routes", Route, "Route-v1", ROUTE_FIELDS, _links, owner=_owner, prepare=_prepare
)


def router_routes(router: Router, ctx: Context) -> list[uuid.UUID]:
    """The router's own routes and those of its ports, without duplicates."""
    ids = list(router.route_ids)
    for port in ctx.store.list(Port, ids=router.port_ids):
        ids.extend(port.route_ids)
    return list(dict.fromkeys(ids))


def register(routes: Any) -> None:
    crud(routes, ROUTE, listing=False, create=False, update=False)
    nested(routes, ROUTER, ROUTE, "routes", router_routes, parent_field="router_id")
