"""Trace requests: ask the agents to trace the packets matching a condition at a device."""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from midonet.errors import Violation
from midonet.model.base import ModelObject, register
from midonet.model.condition import Condition
from midonet.model.validation import check_min, check_name

MAX_LIMIT = 0x7FFF_FFFF_FFFF_FFFF
"""Java's Long.MAX_VALUE, MidoNet's default limit: trace every match."""


class DeviceType(enum.Enum):
    BRIDGE = "BRIDGE"
    ROUTER = "ROUTER"
    PORT = "PORT"


_FIELD = {
    DeviceType.BRIDGE: "bridge_id",
    DeviceType.ROUTER: "router_id",
    DeviceType.PORT: "port_id",
}


def _now_ms() -> int:
    return int(time.time() * 1000)


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class TraceRequest(ModelObject):
    """A trace request on exactly one device.

    The device is stored as one of `port_id`/`bridge_id`/`router_id` (as topology.proto
    does) so that each is a binding and the request goes with its device; the API's
    `device_type`/`device_id` are the properties of the same name, and `from_device`
    builds a request from them. At most `limit` packets are traced.
    """

    KIND = "TraceRequest"

    name: str
    port_id: uuid.UUID | None = None
    bridge_id: uuid.UUID | None = None
    router_id: uuid.UUID | None = None
    condition: Condition = field(default_factory=Condition)
    limit: int = MAX_LIMIT
    enabled: bool = False
    creation_timestamp_ms: int = field(default_factory=_now_ms)

    @classmethod
    def from_device(
        cls, device_type: DeviceType, device_id: uuid.UUID, **fields: Any
    ) -> TraceRequest:
        """A request on `device_type` `device_id`, as the API names the device."""
        return cls(**{**fields, _FIELD[device_type]: device_id})

    @property
    def device_type(self) -> DeviceType | None:
        for kind, name in _FIELD.items():
            if getattr(self, name) is not None:
                return kind
        return None

    @property
    def device_id(self) -> uuid.UUID | None:
        kind = self.device_type
        if kind is None:
            return None
        device: uuid.UUID = getattr(self, _FIELD[kind])
        return device

    def _normalize(self) -> None:
        object.__setattr__(self, "condition", self.condition.resolved())

    def _violations(self) -> Iterator[Violation]:
        yield from check_name("name", self.name, required=True)
        set_ = [name for name in _FIELD.values() if getattr(self, name) is not None]
        if not set_:
            yield Violation("device_id", "a trace request needs a bridge, router or port")
        elif len(set_) > 1:
            yield Violation(set_[1], f"a trace request is on one device only, not {set_}")
        yield from check_min("limit", self.limit, 0)
        yield from check_min("creation_timestamp_ms", self.creation_timestamp_ms, 0)
