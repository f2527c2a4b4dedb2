"""Stored topology objects with their validation (see `base` for the common machinery)."""

from midonet.model.base import (
    BINDINGS,
    MODEL_TYPES,
    Binding,
    BindingEnd,
    DeleteAction,
    ModelObject,
    bind,
    from_json,
    new_id,
    register,
    to_json,
)

__all__ = [
    "BINDINGS",
    "MODEL_TYPES",
    "Binding",
    "BindingEnd",
    "DeleteAction",
    "ModelObject",
    "bind",
    "from_json",
    "new_id",
    "register",
    "to_json",
]
