"""Path patterns → handlers, with 404 for an unknown path and 405 for a known path
asked with a method it does not take."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from midonet.cluster.rest_api.context import Response
from midonet.cluster.rest_api.errors import ApiError, not_found

Handler = Callable[..., Response]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: str
    segments: tuple[str, ...]
    handler: Handler
    """Called with the context and the pattern's `{name}` parts as keyword arguments."""
    media: str | None = None
    """The media type of a request body (for the OpenAPI document)."""
    summary: str = ""
    resource: Any = None
    """The `Resource` whose JSON a body carries (for the OpenAPI document)."""


class Routes:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        media: str | None = None,
        summary: str = "",
        resource: Any = None,
    ) -> None:
        segments = tuple(s for s in pattern.split("/") if s)
        self.routes.append(Route(method, pattern, segments, handler, media, summary, resource))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        parts = [p for p in path.split("/") if p]
        allowed: set[str] = set()
        for route in self.routes:
            params = _match(route.segments, parts)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed.add(route.method)
        if allowed:
            methods = ", ".join(sorted(allowed))
            raise ApiError(
                405, f"{method} is not allowed here; use {methods}", headers={"Allow": methods}
            )
        raise not_found(f"There is no resource at {path}")


def _match(segments: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    if len(segments) != len(parts):
        return None
    params: dict[str, str] = {}
    for seg, part in zip(segments, parts, strict=True):
        if seg.startswith("{") and seg.endswith("}"):
            params[seg[1:-1]] = part
        elif seg != part:
            return None
    return params
