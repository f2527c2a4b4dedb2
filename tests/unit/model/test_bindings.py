"""Every declared binding names a field that exists on its kind with a reference shape."""

from __future__ import annotations

import uuid

import pytest

import midonet.model  # noqa: F401  (registers every kind and declares the bindings)
from midonet.model.base import BINDINGS, MODEL_TYPES, BindingEnd, DeleteAction, field_types

SINGLE = uuid.UUID | None
MANY = tuple[uuid.UUID, ...]


def _ends() -> list[BindingEnd]:
    return [end for b in BINDINGS for end in (b.left, b.right)]


@pytest.mark.parametrize("end", _ends(), ids=lambda e: f"{e.kind}.{e.field}")
def test_binding_field_exists_with_reference_shape(end: BindingEnd) -> None:
    assert end.kind in MODEL_TYPES, f"{end.kind} is not a registered kind"
    hints = field_types(MODEL_TYPES[end.kind])
    assert end.field in hints, f"{end.kind} has no field {end.field}"
    tp = hints[end.field]
    assert tp in (SINGLE, MANY), f"{end.kind}.{end.field} is {tp}"


def test_each_field_is_bound_once() -> None:
    seen = [(e.kind, e.field) for e in _ends()]
    # Port.peer_id is bound to itself: both ends are the same field.
    dupes = {s for s in seen if seen.count(s) > 1} - {("Port", "peer_id")}
    assert not dupes


def test_single_reference_ends_never_cascade() -> None:
    # A single id points at an owner or a shared object (port -> router, pool -> health
    # monitor): deleting the referrer must never delete it.
    for end in _ends():
        tp = field_types(MODEL_TYPES[end.kind])[end.field]
        assert not (tp == SINGLE and end.on_delete is DeleteAction.CASCADE), end


def _action(kind: str, field: str) -> DeleteAction:
    for b in BINDINGS:
        for end in (b.left, b.right):
            if (end.kind, end.field) == (kind, field):
                return end.on_delete
    raise AssertionError(f"{kind}.{field} is not bound")


@pytest.mark.parametrize(
    ("kind", "field", "action"),
    [
        ("Router", "port_ids", DeleteAction.CASCADE),
        ("Port", "router_id", DeleteAction.CLEAR),
        ("Bridge", "port_ids", DeleteAction.CASCADE),
        ("Port", "bridge_id", DeleteAction.CLEAR),
        ("Port", "peer_id", DeleteAction.CLEAR),
        ("Port", "route_ids", DeleteAction.CASCADE),
        ("Route", "next_hop_port_id", DeleteAction.CLEAR),
        ("Router", "route_ids", DeleteAction.CASCADE),
        ("Chain", "rule_ids", DeleteAction.CASCADE),
        ("Rule", "chain_id", DeleteAction.CLEAR),
        ("Chain", "jump_rule_ids", DeleteAction.CASCADE),
        ("Rule", "jump_chain_id", DeleteAction.CLEAR),
        ("Port", "inbound_filter_id", DeleteAction.CLEAR),
        ("Chain", "port_inbound_ids", DeleteAction.CLEAR),
    ],
)
def test_midonet_actions(kind: str, field: str, action: DeleteAction) -> None:
    assert _action(kind, field) is action
