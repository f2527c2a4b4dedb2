"""API errors and their JSON body (MidoNet's ErrorEntity / ValidationErrorEntity).

Handlers raise `ApiError`; `from_exception` turns the project's own errors into one
with the HTTP status MidoNet answers with. Violations name API (camelCase) fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from midonet.errors import (
    ConcurrentModification,
    MidonetError,
    NotFound,
    ObjectExists,
    ReadOnly,
    ReferenceConflict,
    StoreUnavailable,
    ValidationError,
)


@dataclass
class ApiError(Exception):
    code: int
    message: str
    violations: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.message}"

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.violations:
            out["violations"] = [{"property": p, "message": m} for p, m in self.violations]
        return out


def bad_request(message: str, violations: list[tuple[str, str]] | None = None) -> ApiError:
    return ApiError(400, message, violations or [])


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def forbidden(message: str = "Not authorized to access this resource") -> ApiError:
    return ApiError(403, message)


def from_exception(exc: MidonetError, rename: Any = None) -> ApiError:
    """The API error for one of the project's errors; `rename` maps a model field
    path to its API name (for violations)."""
    if isinstance(exc, ValidationError):
        violations = [(rename(v.field) if rename else v.field, v.message) for v in exc.violations]
        text = "; ".join(f"{p}: {m}" if p else m for p, m in violations)
        return bad_request(f"Validation error: {text}", violations)
    if isinstance(exc, NotFound):
        return not_found(str(exc))
    if isinstance(exc, ObjectExists | ReferenceConflict | ConcurrentModification):
        return conflict(str(exc))
    if isinstance(exc, ReadOnly | StoreUnavailable):
        return ApiError(503, str(exc))
    return bad_request(str(exc))
