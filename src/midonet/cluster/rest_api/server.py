"""The HTTP(S) front of the API, on the standard library's ThreadingHTTPServer.

Why the standard library: the API is JSON over HTTP/1.1 with a thread per
connection; `http.server` does that with no dependency, and the whole of the
routing, negotiation and error handling lives in `app.Api`, which knows nothing of
sockets. HTTPS is the same server with its listening socket wrapped by `ssl`.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from midonet.cluster.rest_api.app import Api
from midonet.cluster.rest_api.context import Request, Response
from midonet.cluster.rest_api.errors import ApiError

log = logging.getLogger("org.midonet.cluster.services.rest-api.root")

MAX_BODY = 16 * 1024 * 1024
_POLL = 0.05
"""Seconds between checks for a shutdown request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, scheme: str) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.scheme = scheme


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "midonet-api"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 30.0  # seconds a connection may sit idle (cluster.rest_api.http_idle_timeout)

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self._body()
        except ApiError as e:
            self._send(self.server.api.error(e), head=False)
            self.close_connection = True
            return
        request = Request(
            method=self.command,
            path=urllib.parse.unquote(url.path) or "/",
            query=urllib.parse.parse_qs(url.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        method = "GET" if self.command == "HEAD" else self.command
        request.method = method
        response = self.server.api.handle(request, self._origin())
        self._send(response, head=self.command == "HEAD")

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                raise ApiError(411, "Send the request body with a Content-Length")
            return b""
        try:
            size = int(length)
        except ValueError:
            raise ApiError(400, f"Bad Content-Length {length!r}") from None
        if size < 0:
            raise ApiError(400, f"Bad Content-Length {length!r}")
        if size > MAX_BODY:
            raise ApiError(413, f"The request body exceeds {MAX_BODY} bytes")
        return self.rfile.read(size)

    def _origin(self) -> str:
        host = self.headers.get("Host")
        if not host:
            addr, port = self.server.server_address[:2]
            host = f"{addr!s}:{port}"
        return f"{self.server.scheme}://{host}"

    def _send(self, response: Response, *, head: bool) -> None:
        payload = b""
        if isinstance(response.body, bytes):  # already rendered (e.g. metrics text)
            payload = response.body
        elif response.body is not None:
            payload = json.dumps(response.body, separators=(",", ":")).encode()
        self.send_response(response.status)
        if response.body is not None and response.media_type:
            self.send_header("Content-Type", f"{response.media_type}; charset=utf-8")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and not head:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class ApiServer:
    """The API on HTTP (`port`) and, when a certificate and key are given, HTTPS."""

    def __init__(
        self,
        api: Api,
        host: str = "0.0.0.0",
        port: int = 8181,
        *,
        https_port: int | None = None,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
    ) -> None:
        self.api = api
        self._servers: list[_Server] = [_Server((host, port), api, "http")]
        if certfile is not None and https_port is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
            secure = _Server((host, https_port), api, "https")
            secure.socket = context.wrap_socket(
                secure.socket, server_side=True, do_handshake_on_connect=False
            )
            self._servers.append(secure)
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def https_port(self) -> int | None:
        return int(self._servers[1].server_address[1]) if len(self._servers) > 1 else None

    def urls(self) -> list[str]:
        out = []
        for server in self._servers:
            host, port = server.server_address[:2]
            out.append(f"{server.scheme}://{host!s}:{port}{self.api.root}")
        return out

    def start(self) -> None:
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                args=(_POLL,),
                name=f"api-{server.scheme}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
