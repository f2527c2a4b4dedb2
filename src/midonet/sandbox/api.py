"""A small client of our MidoNet v5 REST API: the sandbox builds its cloud the way an
operator's tools would."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from midonet.errors import MidonetError

JSON = dict[str, Any]


class ApiError(MidonetError):
    """The API refused a request (the message has its answer)."""


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    def request(self, method: str, path: str, body: JSON | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as reply:
                raw = reply.read()
                location = reply.headers.get("Location")
                status = reply.status
        except urllib.error.HTTPError as e:
            raise ApiError(
                f"{method} {path}: {e.code} {e.read().decode(errors='replace')}"
            ) from None
        except OSError as e:
            raise ApiError(f"{method} {path}: {e}") from None
        if raw:
            return status, json.loads(raw)
        if location and method == "POST":
            return status, self.get(location)
        return status, None

    def get(self, path: str) -> Any:
        return self.request("GET", path)[1]

    def create(self, path: str, body: JSON) -> JSON:
        created = self.request("POST", path, body)[1]
        if not isinstance(created, dict):
            raise ApiError(f"POST {path}: no object in the answer")
        return created

    def update(self, obj: JSON, **fields: Any) -> None:
        self.request("PUT", obj["uri"], {**obj, **fields})

    def wait(self, timeout: float = 20.0) -> None:
        """Until the API answers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get("/")
                return
            except ApiError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
