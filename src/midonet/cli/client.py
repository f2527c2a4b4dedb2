"""A small REST client that navigates the MidoNet v5 API from its Application resource."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from typing import Any

JSON = dict[str, Any]


class CliError(Exception):
    """An error reported to the operator as one line."""


class Client:
    def __init__(
        self,
        url: str,
        username: str = "",
        password: str = "",
        project_id: str = "",
        no_auth: bool = False,
    ) -> None:
        self.url = url.rstrip("/") + "/"
        self._creds = (username, password, project_id)
        self._no_auth = no_auth
        self._token: str | None = None
        self._app: JSON | None = None

    def _send(
        self, method: str, url: str, body: Any = None, follow: bool = True
    ) -> tuple[int, Any]:
        parts = urllib.parse.urlsplit(url)
        conn_cls = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        headers = {"Accept": "application/json"}
        if not self._no_auth:
            headers["X-Auth-Token"] = self.token()
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn = conn_cls(parts.hostname or "localhost", parts.port, timeout=30)
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            status = resp.status
            location = resp.getheader("Location")
            conn.close()
        except OSError as exc:
            raise CliError(f"Cannot reach the MidoNet API at {self.url}: {exc}") from None
        payload: Any = None
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
        if status >= 400:
            msg = payload.get("message") if isinstance(payload, dict) else payload
            raise CliError(str(msg or f"HTTP {status}"))
        if status == 201 and location and follow:
            return status, self._send("GET", location)[1]
        return status, payload

    def token(self) -> str:
        if self._token is None:
            user, password, project = self._creds
            basic = base64.b64encode(f"{user}:{password}".encode()).decode()
            parts = urllib.parse.urlsplit(self.url + "login")
            conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=30)
            headers = {"Authorization": f"Basic {basic}"}
            if project:
                headers["X-Auth-Project"] = project
            try:
                conn.request("POST", parts.path, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except OSError as exc:
                raise CliError(f"Cannot reach the MidoNet API at {self.url}: {exc}") from None
            finally:
                conn.close()
            token = resp.getheader("X-Auth-Token")
            if not token and resp.status < 400:
                try:
                    token = json.loads(raw).get("key")
                except (ValueError, AttributeError):
                    token = None
            if resp.status >= 400 or not token:
                raise CliError(f"Authentication failed (HTTP {resp.status})")
            self._token = token
        return self._token

    def app(self) -> JSON:
        if self._app is None:
            self._app = self.get(self.url)
        return self._app

    def link(self, key: str) -> str:
        url = self.app().get(key)
        if not isinstance(url, str):
            raise CliError(f"The API offers no {key}")
        return url

    def template(self, key: str, uuid: str) -> str:
        return self.link(key).replace("{id}", uuid)

    def get(self, url: str) -> Any:
        return self._send("GET", url)[1]

    def post(self, url: str, body: Any, follow: bool = True) -> Any:
        return self._send("POST", url, body, follow)[1]

    def put(self, url: str, body: Any) -> Any:
        return self._send("PUT", url, body)[1]

    def delete(self, url: str) -> None:
        self._send("DELETE", url)
