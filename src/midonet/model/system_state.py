"""The cluster-wide system state (MidoNet's SystemState): read-write or read-only."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from midonet.model.base import ModelObject, register

SYSTEM_STATE_ID = uuid.UUID(int=0)
"""The one SystemState object's id: there is a single system state."""


class Availability(enum.Enum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    """The API refuses writes (e.g. during an upgrade); the store raises ReadOnly."""


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class SystemState(ModelObject):
    KIND = "SystemState"

    id: uuid.UUID = SYSTEM_STATE_ID
    availability: Availability = Availability.READWRITE

    @property
    def read_only(self) -> bool:
        return self.availability is Availability.READONLY
