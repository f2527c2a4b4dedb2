"""Durations as HOCON writes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.config.duration import Duration
from midonet.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("10000ms", 10),
        ("5m", 300),
        ("1h", 3600),
        ("12h", 43200),
        ("1d", 86400),
        ("1 day", 86400),
        ("90 minutes", 5400),
        ("250ms", 0.25),
        ("1.5h", 5400),
        ("0s", 0),
        ("2 seconds", 2),
        (" 3 s ", 3),
        ("500us", 0.0005),
        ("7ns", 7e-9),
    ],
)
def test_parse(text: str, seconds: float) -> None:
    assert Duration.parse(text).seconds == pytest.approx(seconds)


def test_bare_numbers_take_the_given_unit() -> None:
    assert Duration.parse("30000") == Duration.parse("30s")  # HOCON: milliseconds
    assert Duration.parse("1", bare_unit="s") == Duration.parse("1s")


@pytest.mark.parametrize("text", ["", "s", "-5s", "30 parsecs", "1e3s", "30S", "thirty"])
def test_invalid(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid duration"):
        Duration.parse(text)


def test_constructors_and_views() -> None:
    assert Duration.of(30) == Duration.parse("30s")
    assert Duration.of(250, "ms").millis == 250
    assert Duration.of(1.5, "s").nanos == 1_500_000_000
    with pytest.raises(ConfigError, match="unknown duration unit"):
        Duration.of(1, "fortnight")
    with pytest.raises(ConfigError, match="negative"):
        Duration(-1)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("30s", "30s"), ("60s", "1m"), ("120s", "2m"), ("1000ms", "1s"), ("1500ms", "1500ms"),
     ("24h", "1d"), ("0ms", "0s"), ("1.5h", "90m")],
)  # fmt: skip
def test_str_uses_the_largest_exact_unit(text: str, canonical: str) -> None:
    assert str(Duration.parse(text)) == canonical
    assert repr(Duration.parse(text)) == f"Duration({canonical!r})"


def test_ordering() -> None:
    assert Duration.parse("999ms") < Duration.parse("1s") < Duration.parse("1m")


@given(st.integers(min_value=0, max_value=10**20))
def test_str_round_trip(nanos: int) -> None:
    assert Duration.parse(str(Duration(nanos))) == Duration(nanos)
