"""The OpenAPI 3 document of the API (GET /midonet-api/openapi.json), generated from
the routes and the resources' field mappings, so it never drifts from the code."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import re
import types
import typing
import uuid
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.fields import Field
from midonet.cluster.rest_api.routing import Route, Routes
from midonet.model.base import field_types

_ERROR = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "code": {"type": "integer"},
        "violations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"property": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "required": ["message", "code"],
}
_STATUS = {
    "200": "OK",
    "201": "Created",
    "204": "No content",
    "400": "Bad request",
    "401": "Not authenticated",
    "403": "Not authorized",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict",
    "415": "Unsupported media type",
    "503": "Unavailable (NSDB down, or system state READONLY)",
}


def type_schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = type_schema(args[0]) if len(args) == 1 else {}
        if type(None) in typing.get_args(tp):
            inner = {**inner, "nullable": True}
        return inner
    if origin in (tuple, frozenset, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if tp in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        return {"type": "string", "format": "ipv4" if tp is ipaddress.IPv4Address else "ipv6"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = field_types(tp)
        return {"type": "object", "properties": {k: type_schema(v) for k, v in hints.items()}}
    return {"type": "string"}


def _field_type(cls: type, field: Field) -> dict[str, Any]:
    tp: Any = cls
    for part in field.model.split("."):
        hints = field_types(tp) if isinstance(tp, type) and dataclasses.is_dataclass(tp) else {}
        if part not in hints:
            return {"type": "string"}
        tp = hints[part]
        origin = typing.get_origin(tp)
        if origin is typing.Union or origin is types.UnionType:
            non_none = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(non_none) == 1 and dataclasses.is_dataclass(non_none[0]):
                tp = non_none[0]
    return type_schema(tp)


def body_schema(resource: Any) -> dict[str, Any]:
    props = {
        f.api: _field_type(resource.cls, f)
        for f in resource.mapping.fields
        if f.model and not f.read_only
    }
    return {"type": "object", "properties": props}


def _operation(route: Route) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.pattern)
    ]
    responses: dict[str, Any] = {}
    for code, text in _STATUS.items():
        entry: dict[str, Any] = {"description": text}
        if code not in ("200", "201", "204"):
            entry["content"] = {media.ERROR: {"schema": _ERROR}}
        responses[code] = entry
    op: dict[str, Any] = {"summary": route.summary or route.pattern, "responses": responses}
    if params:
        op["parameters"] = params
    if route.media:
        schema = body_schema(route.resource) if route.resource is not None else {"type": "object"}
        op["requestBody"] = {
            "required": True,
            "content": {route.media: {"schema": schema}, media.JSON: {"schema": schema}},
        }
    return op


def document(routes: Routes, root: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.routes:
        paths.setdefault(route.pattern, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "MidoNet REST API", "version": "5.0"},
        "servers": [{"url": root}],
        "paths": paths,
    }
