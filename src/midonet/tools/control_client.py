"""The client side of the agent's control endpoint (what mm-meter and mm-trace use,
as MidoNet's tools used the agent's JMX port)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from midonet.errors import MidonetError

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 7200
TIMEOUT = 10.0


class ControlUnreachable(MidonetError):
    """No agent answered, or it answered with an error (the message says which)."""


class ControlClient:
    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.base = f"http://{host}:{port}"

    def call(self, method: str, path: str, body: object = None, **query: object) -> Any:
        """The JSON answer; the endpoint's own error message when it refuses."""
        url = self.base + path
        wanted = {k: str(v) for k, v in query.items() if v}
        if wanted:
            url += "?" + urllib.parse.urlencode(wanted)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            raise ControlUnreachable(_message(e.read()) or f"HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ControlUnreachable(
                f"cannot reach the agent's control endpoint at {self.base}: {reason}"
                " (is midolman running there, with agent.control.enabled?)"
            ) from None
        if kind.startswith("application/json"):
            return json.loads(raw)
        return raw.decode()


def _message(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace").strip()
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)
