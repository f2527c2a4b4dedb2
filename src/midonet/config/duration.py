"""Durations as HOCON writes them: `30s`, `250ms`, `5m`, `12h`, `1 day`, `1.5h`.

A bare number has no unit in the text; the schema says which unit it means (HOCON's
convention is milliseconds, MidoNet's BGP timers mean seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from midonet.errors import ConfigError

_NS = 1
_US = 1_000
_MS = 1_000_000
_S = 1_000_000_000
_M = 60 * _S
_H = 60 * _M
_D = 24 * _H

UNITS: dict[str, int] = {}
for _names, _size in (
    (("ns", "nano", "nanos", "nanosecond", "nanoseconds"), _NS),
    (("us", "micro", "micros", "microsecond", "microseconds"), _US),
    (("ms", "milli", "millis", "millisecond", "milliseconds"), _MS),
    (("s", "second", "seconds"), _S),
    (("m", "minute", "minutes"), _M),
    (("h", "hour", "hours"), _H),
    (("d", "day", "days"), _D),
):
    UNITS.update(dict.fromkeys(_names, _size))

# Units `str()` may pick, largest first.
_CANONICAL = (("d", _D), ("h", _H), ("m", _M), ("s", _S), ("ms", _MS), ("us", _US), ("ns", _NS))
_SYNTAX = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*\Z")


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """A non-negative span of time, exact to the nanosecond."""

    nanos: int

    def __post_init__(self) -> None:
        if self.nanos < 0:
            raise ConfigError(f"a duration cannot be negative ({self.nanos} ns)")

    @classmethod
    def parse(cls, text: str, *, bare_unit: str = "ms") -> Duration:
        """`"30s"` → 30 seconds; a number without unit is in `bare_unit`."""
        match = _SYNTAX.match(text)
        if not match:
            raise ConfigError(
                f"invalid duration {text!r} (expected a non-negative number and a unit, e.g. 30s)"
            )
        number, unit = match.groups()
        size = UNITS.get(unit or bare_unit)
        if size is None:
            known = ", ".join(sorted({"ns", "us", "ms", "s", "m", "h", "d"}))
            raise ConfigError(f"invalid duration {text!r}: unknown unit {unit!r} (use {known})")
        return cls(round(Fraction(number) * size))

    @classmethod
    def of(cls, amount: float, unit: str = "s") -> Duration:
        """`Duration.of(30)` is 30 seconds; `Duration.of(250, "ms")`."""
        if unit not in UNITS:
            raise ConfigError(f"unknown duration unit {unit!r}")
        return cls(round(Fraction(amount) * UNITS[unit]))

    @property
    def seconds(self) -> float:
        return self.nanos / _S

    @property
    def millis(self) -> float:
        return self.nanos / _MS

    def __repr__(self) -> str:
        return f"Duration({str(self)!r})"

    def __str__(self) -> str:
        if not self.nanos:
            return "0s"
        name, size = next((n, s) for n, s in _CANONICAL if self.nanos % s == 0)
        return f"{self.nanos // size}{name}"
