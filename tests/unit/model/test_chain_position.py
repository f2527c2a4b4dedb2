"""Rule order is Chain.rule_ids; positions are 1-based indexes into it."""

from __future__ import annotations

import uuid

import pytest

from midonet.errors import ValidationError
from midonet.model import Chain, insert_rule_id, move_rule_id, rule_position

A, B, C, N = (uuid.uuid4() for _ in range(4))


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (1, (N, A, B, C)),
        (2, (A, N, B, C)),
        (3, (A, B, N, C)),
        (4, (A, B, C, N)),
        (None, (A, B, C, N)),
    ],
)
def test_insert_at_position(position: int | None, expected: tuple[uuid.UUID, ...]) -> None:
    assert insert_rule_id((A, B, C), N, position) == expected
    assert Chain(rule_ids=(A, B, C)).rule_ids_with(N, position) == expected


@pytest.mark.parametrize("position", [0, -1, 5, 100])
def test_position_out_of_range_is_refused(position: int) -> None:
    with pytest.raises(ValidationError, match=r"position: must be between 1 and 4") as e:
        insert_rule_id((A, B, C), N, position)
    assert [v.field for v in e.value.violations] == ["position"]


def test_first_rule_of_empty_chain() -> None:
    assert insert_rule_id((), N, 1) == (N,)
    with pytest.raises(ValidationError, match="position"):
        insert_rule_id((), N, 2)


def test_bool_is_not_a_position() -> None:
    with pytest.raises(ValidationError, match="position"):
        insert_rule_id((A,), N, True)


def test_rule_already_in_chain() -> None:
    with pytest.raises(ValidationError, match="already in the chain"):
        insert_rule_id((A, B), A, 1)


def test_move_after_the_store_appended() -> None:
    # The binding appends a new rule; the API then moves it to the requested position.
    assert move_rule_id((A, B, C, N), N, 1) == (N, A, B, C)
    assert move_rule_id((A, B, C), A, 3) == (B, C, A)
    with pytest.raises(ValidationError, match="between 1 and 4"):
        move_rule_id((A, B, C, N), N, 5)


def test_position_of() -> None:
    chain = Chain(rule_ids=(A, B, C))
    assert chain.position_of(A) == 1
    assert rule_position((A, B, C), C) == 3
    with pytest.raises(ValueError):
        chain.position_of(N)


def test_chain_refuses_duplicate_rule_ids_and_long_names() -> None:
    with pytest.raises(ValidationError, match="rule_ids"):
        Chain(rule_ids=(A, A))
    with pytest.raises(ValidationError, match="name: must be at most 255"):
        Chain(name="x" * 256)
