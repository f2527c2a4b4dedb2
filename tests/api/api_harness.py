"""The REST API tests' harness: a real server on 127.0.0.1 over a temporary embedded
store, and a small HTTP client. (A module of its own, not conftest, so that test
modules can import it whatever other conftest files pytest loaded first.)"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from midonet.cluster.auth import AuthService, MockAuthService
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import Api, ApiServer
from midonet.store import EmbeddedStore

ROOT = "/midonet-api"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0]


@dataclass
class Client:
    port: int
    headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[3]
        elif not path.startswith(ROOT):
            path = ROOT + path
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {**self.headers, **(headers or {})}
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=sent)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)

    def create(self, path: str, body: Any) -> dict[str, Any]:
        """POST and expect 201; the created object, read back from its Location."""
        reply = self.post(path, body)
        assert reply.status == 201, (reply.status, reply.body)
        back = self.get(reply.headers["location"])
        assert back.status == 200, back.body
        return back.body  # type: ignore[no-any-return]


@dataclass
class Running:
    api: Api
    server: ApiServer
    store: EmbeddedStore
    events: Path
    client: Client


def start(tmp_path: Path, auth: AuthService | None = None, **server_kw: Any) -> Running:
    store = EmbeddedStore(tmp_path / "nsdb.db")
    events = tmp_path / "midonet-api.event.log"
    api = Api(store, auth or MockAuthService(), EventLog(events, hostname="testhost"))
    server = ApiServer(api, "127.0.0.1", 0, **server_kw)
    server.start()
    return Running(api, server, store, events, Client(server.port))


def stop(running: Running) -> None:
    running.server.stop()
    running.api.events.close()
    running.store.close()
