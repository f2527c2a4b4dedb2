"""Helpers for the model tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from midonet.errors import ValidationError


def violated_fields(build: Callable[[], Any]) -> set[str]:
    """The fields named by the ValidationError that `build()` raises (fails if none)."""
    with pytest.raises(ValidationError) as e:
        build()
    return {v.field for v in e.value.violations}


@pytest.fixture
def violated() -> Callable[[Callable[[], Any]], set[str]]:
    return violated_fields
