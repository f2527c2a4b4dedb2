"""The project's exception hierarchy.

Every error raised on purpose derives from `MidonetError`, so services can catch bad
input at their boundary and answer with a clear message instead of a traceback.

    MidonetError
    ├── MalformedPacket        bytes that do not parse (names the header and the fault)
    ├── ValidationError        a field value that breaks a rule (names each field)
    ├── ConfigError            an unknown configuration key or a value of the wrong type
    └── StoreError             anything the NSDB refuses
        ├── NotFound           no object of that type with that id
        ├── ObjectExists       an object with that id already exists
        ├── ReferenceConflict  a reference that cannot be honoured (missing target,
        │                      delete refused while referenced)
        ├── ConcurrentModification  an update from a stale read (optimistic versions)
        ├── StoreUnavailable   the NSDB cannot be reached
        └── ReadOnly           the system state is READONLY
"""

from __future__ import annotations

from dataclasses import dataclass


class MidonetError(Exception):
    """Root of every error the project raises on purpose."""


class MalformedPacket(MidonetError, ValueError):
    """The bytes are truncated or structurally inconsistent.

    `header` names the protocol header being decoded (e.g. "IPv4"), `reason` says
    what is wrong with it.
    """

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(f"malformed {header}: {reason}")
        self.header = header
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Violation:
    """One bad field: which one, and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(MidonetError, ValueError):
    """One or more field values break the model's rules."""

    def __init__(self, violations: list[Violation] | Violation, *, kind: str = "") -> None:
        self.violations = [violations] if isinstance(violations, Violation) else violations
        self.kind = kind
        prefix = f"invalid {kind}: " if kind else "invalid value: "
        super().__init__(prefix + "; ".join(str(v) for v in self.violations))

    @classmethod
    def of(cls, field: str, message: str, *, kind: str = "") -> ValidationError:
        return cls(Violation(field, message), kind=kind)


class ConfigError(MidonetError, ValueError):
    """An unknown configuration key, a value of the wrong type, or bad HOCON."""


class StoreError(MidonetError):
    """Anything the NSDB refuses."""


class NotFound(StoreError, LookupError):
    def __init__(self, kind: str, object_id: object) -> None:
        super().__init__(f"{kind} {object_id} does not exist")
        self.kind = kind
        self.object_id = object_id


class ObjectExists(StoreError):
    def __init__(self, kind: str, object_id: object) -> None:
        super().__init__(f"{kind} {object_id} already exists")
        self.kind = kind
        self.object_id = object_id


class ReferenceConflict(StoreError):
    """A reference that cannot be honoured: a missing target, or a delete refused."""


class ConcurrentModification(StoreError):
    """An update was based on a version that is no longer current."""


class StoreUnavailable(StoreError):
    """The NSDB cannot be reached right now."""


class ReadOnly(StoreError):
    """Writes are refused while the system state is READONLY."""
