"""The model base: strict JSON conversion and validation that names fields."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from midonet.errors import ValidationError, Violation
from midonet.model.base import ModelObject, from_json


@dataclass(frozen=True, slots=True, kw_only=True)
class Range:
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Widget(ModelObject):
    KIND = "Widget"
    name: str = ""
    size: int = 1
    address: ipaddress.IPv4Address | None = None
    peer_id: uuid.UUID | None = None
    tags: tuple[str, ...] = ()
    ports: Range | None = None

    def _violations(self) -> Iterator[Violation]:
        if self.size < 0:
            yield Violation("size", "must not be negative")


def test_round_trip_through_json() -> None:
    w = Widget(
        name="w",
        address=ipaddress.IPv4Address("10.0.0.1"),
        peer_id=uuid.uuid4(),
        tags=("a", "b"),
        ports=Range(start=1, end=2),
    )
    data = w.to_dict()
    assert data["address"] == "10.0.0.1"
    assert data["ports"] == {"start": 1, "end": 2}
    assert Widget.from_dict(data) == w


def test_unknown_field_and_wrong_type_are_named() -> None:
    with pytest.raises(ValidationError) as e:
        Widget.from_dict({"name": 3, "colour": "red", "address": "300.1.1.1"})
    fields = {v.field for v in e.value.violations}
    assert fields == {"name", "colour", "address"}
    assert "colour: unknown field" in str(e.value)


def test_own_rules_run_at_construction() -> None:
    with pytest.raises(ValidationError, match="size: must not be negative"):
        Widget(size=-1)


def test_nested_violation_carries_its_path() -> None:
    with pytest.raises(ValidationError) as e:
        from_json(Widget, {"ports": {"start": "x"}})
    assert [v.field for v in e.value.violations] == ["ports.start"]


def test_bool_is_not_an_int() -> None:
    with pytest.raises(ValidationError, match="size"):
        Widget.from_dict({"size": True})
