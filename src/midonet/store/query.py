"""Field filters for `Store.list(..., where=...)`, evaluated on decoded objects so
every backend filters the same way."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar

from midonet.model.base import ModelObject


def check_fields(cls: type[ModelObject], where: Mapping[str, object]) -> None:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(where) - names)
    if unknown:
        raise ValueError(f"{cls.KIND} has no field {', '.join(unknown)}")


def matches(obj: ModelObject, where: Mapping[str, object]) -> bool:
    """True if each named field equals the value, or contains it when a tuple."""
    for name, wanted in where.items():
        value = getattr(obj, name)
        if isinstance(value, tuple) and not isinstance(wanted, tuple):
            if wanted not in value:
                return False
        elif value != wanted:
            return False
    return True


T = TypeVar("T", bound=ModelObject)


def filter_objects(cls: type[T], objs: list[T], where: Mapping[str, object] | None) -> list[T]:
    """`objs` that match `where` (all of them when it is empty)."""
    if not where:
        return objs
    check_fields(cls, where)
    return [o for o in objs if matches(o, where)]
