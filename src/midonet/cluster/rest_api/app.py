"""The API application: root and login, authentication, the read-only system state,
dispatch to the resource routes, content types, and errors — independent of HTTP.

`Api.handle` takes a `Request` whose path is absolute (it strips the configured
root) and always returns a `Response`: every failure becomes a MidoNet error body.
"""

from __future__ import annotations

import http.cookies
import logging
import time
from typing import Any

from midonet.cluster.auth.base import AuthError, AuthService, AuthUnavailable, UserIdentity
from midonet.cluster.auth.tokens import COOKIE
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.api_metrics import ApiMetrics
from midonet.cluster.rest_api.context import Context, Request, Response
from midonet.cluster.rest_api.errors import ApiError, from_exception, not_found
from midonet.cluster.rest_api.openapi import document
from midonet.cluster.rest_api.resources import (
    chains,
    devices,
    groups,
    hosts,
    lb,
    misc,
    ports,
    routes,
    system,
    tables,
    visibility,
)
from midonet.cluster.rest_api.routing import Routes
from midonet.errors import MidonetError, StoreUnavailable
from midonet.metrics import CONTENT_TYPE
from midonet.store.base import Store
from midonet.store.state import SessionExpired

log = logging.getLogger("org.midonet.cluster.services.rest-api.root")

# (collection segment, Application name, Application template), as MidoNet's resources
# declare them (@ApiResource name/template).
APPLICATION = (
    ("bridges", "bridges", "bridgeTemplate"),
    ("chains", "chains", "chainTemplate"),
    ("health_monitors", "healthMonitors", "healthMonitorTemplate"),
    ("hosts", "hosts", "hostTemplate"),
    ("ip_addr_groups", "ipAddrGroups", "ipAddrGroupTemplate"),
    ("load_balancers", "loadBalancers", "loadBalancerTemplate"),
    ("mirrors", "mirrors", "mirrorTemplate"),
    ("pool_members", "poolMembers", "poolMemberTemplate"),
    ("pools", "pools", "poolTemplate"),
    ("port_groups", "portGroups", "portGroupTemplate"),
    ("ports", "ports", "portTemplate"),
    ("qos_policies", "qosPolicies", "qosPolicyTemplate"),
    ("routers", "routers", "routerTemplate"),
    ("system_state", "systemState", None),
    ("tenants", "tenants", "tenantTemplate"),
    ("traces", "traceRequests", "traceRequestTemplate"),
    ("tunnel_zones", "tunnelZones", "tunnelZoneTemplate"),
    ("vips", "vips", "vipTemplate"),
    ("packet_traces", "packetTraces", None),
    ("topology", "topology", None),
    ("bgp_networks", None, "bgpNetworkTemplate"),
    ("bgp_peers", None, "bgpPeerTemplate"),
    ("routes", None, "routeTemplate"),
    ("rules", None, "ruleTemplate"),
    ("qos_bw_limit_rules", None, "qosBwLimitRuleTemplate"),
    ("qos_dscp_rules", None, "qosDscpRuleTemplate"),
)

_WRITES = frozenset({"POST", "PUT", "DELETE"})


def build_routes() -> Routes:
    r = Routes()
    modules = (devices, ports, routes, chains, tables, groups, hosts, lb, misc, system, visibility)
    for module in modules:
        module.register(r)
    return r


class Api:
    def __init__(
        self,
        store: Store,
        auth: AuthService,
        events: EventLog | None = None,
        *,
        root: str = "/midonet-api",
    ) -> None:
        self.store = store
        self.auth = auth
        self.events = events or EventLog()
        self.root = "/" + root.strip("/")
        self.routes = build_routes()
        self.metrics = ApiMetrics(store)

    # --- entry point ------------------------------------------------------------------

    def handle(self, request: Request, origin: str) -> Response:
        """Answer `request`; `origin` is scheme://host:port as the client reached us."""
        started = time.perf_counter()
        response = self._answer(request, origin)
        self.metrics.observe(request.method, response.status, time.perf_counter() - started)
        return response

    def _answer(self, request: Request, origin: str) -> Response:
        try:
            response = self._handle(request, origin)
        except ApiError as e:
            response = self.error(e)
        except StoreUnavailable as e:
            self.events.nsdb_state(False)
            response = self.error(ApiError(503, f"The NSDB is not available: {e}"))
        except SessionExpired as e:
            self.events.nsdb("CONN_EXPIRE")
            response = self.error(ApiError(503, f"The NSDB session expired: {e}"))
        except MidonetError as e:
            response = self.error(from_exception(e))
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.path)
            response = self.error(ApiError(500, "Internal server error"))
        return self._negotiate(request, response)

    def error(self, e: ApiError) -> Response:
        headers = dict(e.headers)
        if e.code == 401:
            headers.setdefault("WWW-Authenticate", 'Basic realm="midonet-api"')
        return Response(e.code, e.body(), media.ERROR, headers)

    # --- internals --------------------------------------------------------------------

    def _handle(self, request: Request, origin: str) -> Response:
        path = request.path
        if path == "/metrics" and request.method in ("GET", "HEAD"):
            return self._metrics()
        if path != self.root and not path.startswith(self.root + "/"):
            raise not_found(f"There is no resource at {path}; the API is at {self.root}")
        rel = path[len(self.root) :] or "/"
        base = origin.rstrip("/") + self.root
        if rel == "/":
            if request.method not in ("GET", "HEAD"):
                raise ApiError(
                    405, f"{request.method} is not allowed here; use GET", headers={"Allow": "GET"}
                )
            return Response(200, self.application(base), media.APPLICATION)
        if rel == "/openapi.json" and request.method == "GET":
            return Response(200, document(self.routes, self.root), media.JSON)
        if rel == "/login":
            if request.method != "POST":
                raise ApiError(405, "use POST to log in", headers={"Allow": "POST"})
            ctx = self._context(request, base, identity=None)
            return system.login(ctx)
        route, params = self.routes.match(request.method, rel)
        ctx = self._context(request, base, identity=self._identify(request))
        if request.method in _WRITES and rel != "/system_state" and system.is_read_only(self.store):
            raise ApiError(
                503,
                "The system state is READONLY: writes are refused until an admin sets "
                "it back to READWRITE (PUT system_state)",
            )
        response = route.handler(ctx, **params)
        self.events.nsdb_state(True)
        return response

    def _metrics(self) -> Response:
        """The cluster's metrics (requests, latency, the NSDB client's where the store
        keeps them) in Prometheus' text format."""
        return Response(200, self.metrics.render().encode(), CONTENT_TYPE.split(";")[0])

    def _identify(self, request: Request) -> Any:
        token = request.header("x-auth-token")
        if not token:
            token = _cookie(request.header("cookie"), COOKIE)
        try:
            return self.auth.authorize(token)
        except AuthUnavailable as e:
            raise ApiError(503, str(e)) from None
        except AuthError as e:
            raise ApiError(401, str(e)) from None

    def _context(self, request: Request, base: str, identity: Any) -> Context:
        who = identity or UserIdentity("", "", "", "")
        return Context(
            request,
            store=self.store,
            auth=self.auth,
            events=self.events,
            base_uri=base,
            identity=who,
        )

    def application(self, base: str) -> dict[str, Any]:
        body: dict[str, Any] = {"uri": base + "/", "version": system.API_VERSION}
        for segment, name, template in APPLICATION:
            if name:
                body[name] = f"{base}/{segment}"
            if template:
                body[template] = f"{base}/{segment}/{{id}}"
        return body

    @staticmethod
    def _negotiate(request: Request, response: Response) -> Response:
        """Answer plain application/json to a client that asks only for it."""
        accept = (request.header("accept") or "").lower()
        vendor = (response.media_type or "").startswith(media.VENDOR)
        if vendor and media.JSON in accept and media.VENDOR not in accept:
            response.media_type = media.JSON
        return response


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(header)
    except http.cookies.CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None
