"""The agent's control endpoint: HTTP/JSON on 127.0.0.1:7200 (MidoNet's JMX port).

    GET    /meters                 the meter names this agent counted into
    GET    /meters/<name>          {"name", "packets", "bytes"}
    GET    /tracers[?live_only=1]  the mm-trace filters
    POST   /tracers                add one ({"level": "debug", "ip-dst": "192.0.2.1"})
    DELETE /tracers                remove the filters equal to the body's
    POST   /tracers/flush[?dead_only=1]
    POST   /trace                  trace a described packet (see `midonet.trace`)
    GET    /metrics                Prometheus text

Requests are served on their own threads; whatever reads or changes the datapath's
objects (meters, tracers, flows, state) runs on the agent's loop through `call`, so
no lock is added to the packet path. The agent advertises the endpoint's URL in the
`agent-control` state table (an entry owned by its session), which is how the
cluster finds the agent to forward a trace to.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from midonet.errors import MidonetError, NotFound

log = logging.getLogger("org.midonet.midolman.control")

CONTROL_TABLE = "agent-control"
"""State table: host id → the URL of that agent's control endpoint."""
MAX_BODY = 1024 * 1024
JSON_TYPE = "application/json"


class ControlError(MidonetError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE


def json_reply(value: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value, indent=2).encode() + b"\n")


class Commands(Protocol):
    """What the endpoint serves; the agent implements it (`agent.control_commands`)."""

    def meter_names(self) -> list[str]: ...

    def meter(self, name: str) -> tuple[int, int] | None: ...

    def tracers(self, live_only: bool) -> list[dict[str, Any]]: ...

    def add_tracer(self, options: dict[str, Any]) -> dict[str, Any]: ...

    def remove_tracer(self, options: dict[str, Any]) -> int: ...

    def flush_tracers(self, dead_only: bool) -> int: ...

    def trace(self, body: object) -> dict[str, Any]: ...

    def metrics(self) -> str: ...


Route = Callable[[Commands, dict[str, list[str]], object, str], Reply]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["0"])[-1].lower() in ("1", "true", "yes")


def _options(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object of tracer options")
    return body


def dispatch(
    commands: Commands, method: str, path: str, query: dict[str, list[str]], body: object
) -> Reply:
    """Answer one request; every failure is a JSON error naming what is wrong."""
    try:
        return _route(commands, method, path.rstrip("/") or "/", query, body)
    except ControlError as e:
        return json_reply({"message": str(e)}, e.status)
    except NotFound as e:
        return json_reply({"message": str(e)}, 404)
    except (MidonetError, ValueError) as e:
        return json_reply({"message": str(e)}, 400)
    except TimeoutError:
        return json_reply({"message": "the agent's loop did not answer in time"}, 503)
    except Exception as e:
        log.exception("control request %s %s failed", method, path)
        return json_reply({"message": f"internal error: {type(e).__name__}: {e}"}, 500)


def _route(
    commands: Commands, method: str, path: str, query: dict[str, list[str]], body: object
) -> Reply:
    if path == "/":
        return json_reply({"endpoints": ["/meters", "/tracers", "/trace", "/metrics"]})
    if path == "/meters" and method == "GET":
        return json_reply({"meters": commands.meter_names()})
    if path.startswith("/meters/") and method == "GET":
        name = urllib.parse.unquote(path[len("/meters/") :])
        value = commands.meter(name)
        if value is None:
            raise ControlError(404, f"no meter named {name!r} on this agent")
        return json_reply({"name": name, "packets": value[0], "bytes": value[1]})
    if path == "/tracers":
        if method == "GET":
            return json_reply({"tracers": commands.tracers(_flag(query, "live_only"))})
        if method == "POST":
            return json_reply({"tracer": commands.add_tracer(_options(body))}, 201)
        if method == "DELETE":
            return json_reply({"removed": commands.remove_tracer(_options(body))})
    if path == "/tracers/flush" and method == "POST":
        return json_reply({"removed": commands.flush_tracers(_flag(query, "dead_only"))})
    if path == "/trace" and method == "POST":
        return json_reply(commands.trace(body))
    if path == "/metrics" and method == "GET":
        return Reply(200, commands.metrics().encode(), "text/plain; version=0.0.4; charset=utf-8")
    known = ("/", "/meters", "/tracers", "/tracers/flush", "/trace", "/metrics")
    if path in known or path.startswith("/meters/"):
        raise ControlError(405, f"{method} is not allowed on {path}")
    raise ControlError(404, f"no such endpoint: {path}")


class ControlServer:
    """The HTTP server around `dispatch`, on a thread of its own."""

    def __init__(self, commands: Commands, address: str, port: int) -> None:
        self._server = _Server((address, port), commands)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="midolman-control",
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], commands: Commands) -> None:
        super().__init__(address, _Handler)
        self.commands = commands


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "midolman-control"
    timeout = 30.0

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        reply = self._read_and_dispatch(url)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _read_and_dispatch(self, url: urllib.parse.SplitResult) -> Reply:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return json_reply({"message": "bad Content-Length"}, 400)
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            return json_reply({"message": f"the body must be under {MAX_BODY} bytes"}, 413)
        raw = self.rfile.read(length) if length else b""
        body: object = None
        if raw:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                return json_reply({"message": f"the body is not JSON: {e}"}, 400)
        query = urllib.parse.parse_qs(url.query)
        return dispatch(self.server.commands, self.command, url.path, query, body)

    do_GET = _serve
    do_POST = _serve
    do_DELETE = _serve
    do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("control %s", format % args)


def host_key(host_id: uuid.UUID) -> str:
    return str(host_id)
