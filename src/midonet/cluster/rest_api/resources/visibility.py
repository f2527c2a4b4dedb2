"""What the API shows operators beyond MidoNet's resources: packet traces on demand,
the results of live trace requests, and a picture of the topology.

    POST   /packet_traces              trace a described packet (PacketTrace-v1)
    GET    /traces/{id}/results        what the agents recorded for a trace request
    DELETE /traces/{id}/results        forget them
    GET    /topology?format=svg|dot    the picture (SVG by default)
    GET    /topology/view              a read-only web page showing it

A packet trace is run by the agent that owns the ingress port (its live topology and
flow state, read-only): the cluster finds the agent's control endpoint in the
`agent-control` state table and forwards the request. With no agent bound, alive or
reachable, the cluster runs the same simulation itself on the NSDB's topology and
MAC/ARP tables, with the conntrack verdict the request states (`ct`, "new" by
default), and the report says which of the two answered and why.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from midonet.agent.control import CONTROL_TABLE
from midonet.agent.topology.virtual_topology import read_topology
from midonet.agent.trace_requests import results_table
from midonet.cluster.rest_api.context import Context, Response, parse_id
from midonet.cluster.rest_api.errors import ApiError, bad_request
from midonet.cluster.rest_api.media import VENDOR
from midonet.cluster.rest_api.routing import Routes
from midonet.model import Bridge, Host, LoadBalancer, Port, Router, TraceRequest, TunnelZone
from midonet.picture.dot import TopologyObjects, to_dot
from midonet.picture.page import page
from midonet.picture.svg import RenderUnavailable, render_svg
from midonet.store.state import HostAlive, PortActive
from midonet.trace.runner import parse_request, trace_packet
from midonet.trace.state import ConnTrackAssumption, StoredTablesState

PACKET_TRACE = VENDOR + "PacketTrace-v1+json"
TRACE_RESULTS = VENDOR + "TraceResult-v1+json"
SVG = "image/svg+xml"
DOT = "text/vnd.graphviz"
HTML = "text/html"
FORWARD_TIMEOUT = 10.0


def register(routes: Routes) -> None:
    routes.add(
        "POST",
        "/packet_traces",
        packet_trace,
        media=PACKET_TRACE,
        summary="Trace a described packet through the virtual topology (changes nothing)",
    )
    routes.add("GET", "/traces/{id}/results", trace_results, summary="Packets traced")
    routes.add("DELETE", "/traces/{id}/results", clear_trace_results, summary="Forget them")
    routes.add("GET", "/topology", topology_picture, summary="The topology as SVG or DOT")
    routes.add("GET", "/topology/view", topology_page, summary="A web page showing it")


# --- packet traces -------------------------------------------------------------------------


def packet_trace(ctx: Context) -> Response:
    body = ctx.body()
    port_id, spec, ct = parse_request(body)
    port = ctx.store.get(Port, port_id).obj
    why_not = "the port is not bound to a host"
    if port.host_id is not None:
        report, why_not = _ask_agent(ctx, port.host_id, body)
        if report is not None:
            return _json(report, PACKET_TRACE)
    assumed = ct or ConnTrackAssumption.NEW
    now = time.monotonic()
    report = trace_packet(
        read_topology(ctx.store),
        StoredTablesState(ctx.store.state, now, assumed),
        port_id,
        spec,
        traced_by=f"cluster ({why_not}; conntrack assumed {assumed.value})",
        conntrack=assumed,
        now=now,
    )
    return _json(report, PACKET_TRACE)


def _ask_agent(
    ctx: Context, host_id: uuid.UUID, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, str]:
    """The agent's report, or None and why the cluster answers instead."""
    if not HostAlive(ctx.store.state).is_alive(host_id):
        return None, f"the agent of host {host_id} is not alive"
    entry = ctx.store.state.get(CONTROL_TABLE, str(host_id))
    if entry is None:
        return None, f"the agent of host {host_id} serves no control endpoint"
    url = f"{entry.value}/trace"
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=FORWARD_TIMEOUT) as response:
            report: dict[str, Any] = json.loads(response.read())
            return report, ""
    except urllib.error.HTTPError as e:
        message = _message(e.read())
        if e.code in (400, 404):  # the agent judged the request: say so, as it did
            text = f"The agent of host {host_id} refused the trace: {message}"
            raise ApiError(e.code, text) from None
        return None, f"the agent of host {host_id} failed ({e.code}: {message})"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return None, f"the agent of host {host_id} is unreachable at {entry.value} ({e})"


def _message(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)


# --- live trace requests --------------------------------------------------------------------


def trace_results(ctx: Context, id: str) -> Response:
    request_id = parse_id(id, "trace request")
    ctx.store.get(TraceRequest, request_id)  # 404 for an unknown request
    entries = ctx.store.state.entries(results_table(request_id))
    results = [entries[key].value for key in sorted(entries)]
    return _json(results, TRACE_RESULTS)


def clear_trace_results(ctx: Context, id: str) -> Response:
    request_id = parse_id(id, "trace request")
    ctx.store.get(TraceRequest, request_id)
    table = results_table(request_id)
    for key in list(ctx.store.state.entries(table)):
        ctx.store.state.remove(table, key)
    return Response(204, b"", None)


# --- the picture ----------------------------------------------------------------------------


def topology_dot(ctx: Context) -> str:
    store = ctx.store
    active = PortActive(store.state)
    ports = tuple(store.list(Port))
    objects = TopologyObjects(
        routers=tuple(store.list(Router)),
        bridges=tuple(store.list(Bridge)),
        ports=ports,
        hosts=tuple(store.list(Host)),
        tunnel_zones=tuple(store.list(TunnelZone)),
        load_balancers=tuple(store.list(LoadBalancer)),
        active_ports=frozenset(p.id for p in ports if p.host_id and active.host_of(p.id)),
        alive_hosts=frozenset(HostAlive(store.state).alive()),
    )
    return to_dot(objects)


def topology_picture(ctx: Context) -> Response:
    kind = (ctx.request.param("format") or "svg").lower()
    if kind not in ("svg", "dot"):
        raise bad_request(f"format must be svg or dot, not {kind!r}")
    source = topology_dot(ctx)
    if kind == "dot":
        return Response(200, source.encode(), DOT)
    return Response(200, _svg(source), SVG)


def topology_page(ctx: Context) -> Response:
    kind = ctx.request.param("format")
    if kind:  # the page's own links: ?format=svg|dot
        return topology_picture(ctx)
    refresh = ctx.request.param("refresh") or "0"
    if not refresh.isdigit():
        raise bad_request(f"refresh must be a number of seconds, not {refresh!r}")
    html = page(
        _svg(topology_dot(ctx)), title="MidoNet virtual topology", refresh_seconds=int(refresh)
    )
    return Response(200, html, HTML)


def _svg(source: str) -> bytes:
    try:
        return render_svg(source)
    except RenderUnavailable as e:
        raise ApiError(503, str(e)) from None


def _json(value: object, media_type: str) -> Response:
    return Response(200, value, media_type)
