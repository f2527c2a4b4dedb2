"""A local HTTP server speaking enough of Keystone's token API (v2.0 and v3) for the
Keystone provider's tests: password logins, token validation, tenants/projects."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class User:
    name: str
    password: str
    project: str
    roles: list[str]


@dataclass
class Keystone:
    users: dict[str, User]
    projects: dict[str, str]  # id → name
    admin_token: str = "ADMIN"
    tokens: dict[str, User] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def project_id(self, name: str) -> str | None:
        return next((pid for pid, n in self.projects.items() if n == name), None)


def _expires() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _admin(self) -> bool:
        token = self.headers.get("X-Auth-Token")
        ks = self.server.keystone
        if token == ks.admin_token:
            return True
        user = ks.tokens.get(token or "")
        return user is not None and "admin" in [r.lower() for r in user.roles]

    def _login(self, name: str, password: str, project: str) -> tuple[str, User] | None:
        ks = self.server.keystone
        user = ks.users.get(name)
        if user is None or user.password != password or user.project != project:
            return None
        token = secrets.token_hex(8)
        ks.tokens[token] = user
        return token, user

    def _v2_access(self, token: str, user: User) -> dict[str, Any]:
        pid = self.server.keystone.project_id(user.project)
        return {
            "access": {
                "token": {
                    "id": token,
                    "expires": _expires(),
                    "tenant": {"id": pid, "name": user.project},
                },
                "user": {
                    "id": user.name + "-id",
                    "name": user.name,
                    "roles": [{"name": r} for r in user.roles],
                },
            }
        }

    def _v3_token(self, user: User) -> dict[str, Any]:
        pid = self.server.keystone.project_id(user.project)
        return {
            "token": {
                "expires_at": _expires(),
                "project": {"id": pid, "name": user.project},
                "user": {"id": user.name + "-id", "name": user.name},
                "roles": [{"name": r} for r in user.roles],
            }
        }

    def do_POST(self) -> None:
        self.server.keystone.requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/v2.0/tokens":
            auth = body["auth"]
            creds = auth["passwordCredentials"]
            found = self._login(creds["username"], creds["password"], auth["tenantName"])
            if found is None:
                return self._send(401, {"error": {"message": "bad credentials"}})
            return self._send(200, self._v2_access(*found))
        if self.path == "/v3/auth/tokens":
            user = body["auth"]["identity"]["password"]["user"]
            project = body["auth"]["scope"]["project"]["name"]
            found = self._login(user["name"], user["password"], project)
            if found is None:
                return self._send(401, {"error": {"message": "bad credentials"}})
            token, who = found
            return self._send(201, self._v3_token(who), {"X-Subject-Token": token})
        return self._send(404, {"error": "not found"})

    def do_GET(self) -> None:
        ks = self.server.keystone
        ks.requests.append(f"GET {self.path}")
        if not self._admin():
            return self._send(401, {"error": "admin token required"})
        if self.path.startswith("/v2.0/tokens/"):
            token = self.path.rsplit("/", 1)[1]
            user = ks.tokens.get(token)
            if user is None:
                return self._send(404, {"error": "no such token"})
            return self._send(200, self._v2_access(token, user))
        if self.path == "/v3/auth/tokens":
            token = self.headers.get("X-Subject-Token") or ""
            user = ks.tokens.get(token)
            if user is None:
                return self._send(404, {"error": "no such token"})
            return self._send(200, self._v3_token(user), {"X-Subject-Token": token})
        items = [
            {"id": k, "name": v, "description": v, "enabled": True}
            for k, v in sorted(ks.projects.items())
        ]
        if self.path == "/v2.0/tenants":
            return self._send(200, {"tenants": items})
        if self.path == "/v3/projects":
            return self._send(200, {"projects": items})
        for prefix, key in (("/v2.0/tenants/", "tenant"), ("/v3/projects/", "project")):
            if self.path.startswith(prefix):
                item = next((i for i in items if i["id"] == self.path[len(prefix) :]), None)
                if item is None:
                    return self._send(404, {"error": "no such project"})
                return self._send(200, {key: item})
        return self._send(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, keystone: Keystone) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.keystone = keystone


class FakeKeystone:
    def __init__(self, keystone: Keystone) -> None:
        self.keystone = keystone
        self.server = _Server(keystone)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKeystone:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
