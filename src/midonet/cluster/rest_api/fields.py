"""Declarative camelCase ↔ snake_case mapping between API JSON and model dicts.

A `Mapping` lists `Field`s: each names the API key, the dotted path of the value in
the model's JSON form (`to_json`), and optional converters. Most fields are
mechanical (`mechanical(cls)`: `admin_state_up` ↔ `adminStateUp`); each resource
module states its exceptions (renames, converters, read-only and hidden fields).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from midonet.model.base import field_types

Convert = Callable[[Any], Any]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Field:
    api: str
    model: str
    """Dotted path in the model's JSON form; "" for an output-only computed value."""
    out: Convert = _identity
    into: Convert = _identity
    read_only: bool = False


class Mapping:
    def __init__(self, cls: type, fields: Iterable[Field]) -> None:
        self.cls = cls
        self.fields = tuple(fields)
        self.by_api = {f.api: f for f in self.fields}
        self.by_model = {f.model: f for f in self.fields if f.model}

    def with_fields(self, *extra: Field, drop: Iterable[str] = ()) -> Mapping:
        gone = set(drop) | {f.api for f in extra}
        return Mapping(self.cls, (*(f for f in self.fields if f.api not in gone), *extra))

    def to_api(self, data: dict[str, Any]) -> dict[str, Any]:
        """API JSON from a model's JSON form (fields only, no links)."""
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.model:
                out[f.api] = f.out(get_path(data, f.model))
        return out

    def from_api(self, body: dict[str, Any]) -> dict[str, Any]:
        """Model JSON (nested by path) for the writable API keys present in `body`.

        Unknown and read-only keys are ignored, as MidoNet's JSON reader does (clients
        send back whole objects, links included). A null for a model field that does
        not take None means "not given".
        """
        out: dict[str, Any] = {}
        for key, value in body.items():
            f = self.by_api.get(key)
            if f is None or f.read_only or not f.model:
                continue
            if value is None and not allows_none(self.cls, f.model):
                continue
            set_path(out, f.model, f.into(value) if value is not None else None)
        return out

    def api_name(self, model_path: str) -> str:
        """The API name of a violation's model field path: its longest mapped prefix
        renamed, the rest (list indexes, nested fields) in camelCase."""
        for prefix in sorted(self.by_model, key=len, reverse=True):
            if model_path == prefix or model_path.startswith((prefix + ".", prefix + "[")):
                rest = model_path[len(prefix) :]
                return self.by_model[prefix].api + re.sub(r"[a-z0-9_]+", _camel_match, rest)
        return re.sub(r"[a-z0-9_]+", _camel_match, model_path)


def _camel_match(match: re.Match[str]) -> str:
    return camel(match.group())


def mechanical(cls: type, *, exclude: Iterable[str] = (), prefix: str = "") -> list[Field]:
    """One field per dataclass field of `cls`, its API name the camelCase of its name."""
    skip = set(exclude)
    return [
        Field(camel(f.name), prefix + f.name) for f in dataclasses.fields(cls) if f.name not in skip
    ]


def get_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        child = data.get(part)
        if not isinstance(child, dict):
            child = data[part] = {}
        data = child
    data[last] = value


def allows_none(cls: type, path: str) -> bool:
    """Whether the model field at dotted `path` under dataclass `cls` takes None."""
    tp: Any = cls
    for part in path.split("."):
        if not (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
            return True
        hints = field_types(tp)
        if part not in hints:
            return True
        tp = _strip_optional(hints[part])
        if tp is None:
            return True
    return False


def _strip_optional(tp: Any) -> Any:
    """The non-None type of `tp`, or None when `tp` takes None."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if type(None) in args:
            return None
    return tp


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it, nested dicts merged."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def object_list(cls: type) -> tuple[Convert, Convert]:
    """(out, into) converters for a list of nested objects mapped mechanically."""
    names = {f.name: camel(f.name) for f in dataclasses.fields(cls)}
    back = {v: k for k, v in names.items()}

    def out(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [
            {names.get(k, k): v for k, v in item.items()} if isinstance(item, dict) else item
            for item in value
        ]

    def into(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [
            {back.get(k, k): v for k, v in item.items()} if isinstance(item, dict) else item
            for item in value
        ]

    return out, into
