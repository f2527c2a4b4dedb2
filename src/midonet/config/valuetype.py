"""The types a configuration key can have, and the declaration of one key.

A type turns what HOCON (or an INI bootstrap file) gave — a bool, number, string or
list — into the typed value the program uses, or raises `ConfigError` saying what
it expected. Conversion is as lenient as MidoNet's config library: a quoted
`"128"` is a fine int, `yes`/`on` are booleans; the result is always normalized.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TypeAlias

from midonet.config.duration import Duration
from midonet.errors import ConfigError

TypedValue: TypeAlias = bool | int | str | Duration | tuple[str, ...]

_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})
_INT = re.compile(r"\s*[+-]?[0-9]+\s*\Z")


def describe_raw(raw: object) -> str:
    """How a raw value reads in an error message: `string 'abc'`, `number 1.5`."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return f"boolean {'true' if raw else 'false'}"
    if isinstance(raw, int | float):
        return f"number {raw!r}"
    if isinstance(raw, str):
        return f"string {raw!r}"
    if isinstance(raw, Duration):
        return f"duration {raw}"
    if isinstance(raw, dict):
        return "an object"
    if isinstance(raw, list | tuple):
        return "a list"
    return type(raw).__name__


class ValueType(ABC):
    """A key's type: `name` for documentation, `convert` for values."""

    name: str = ""

    @abstractmethod
    def convert(self, raw: object) -> TypedValue:
        """The typed value for `raw`, or `ConfigError` naming what was expected."""

    def expected(self) -> str:
        """What an error message says was expected."""
        return self.name

    def brief(self) -> str:
        """The type as documentation shows it."""
        return self.expected()

    def mismatch(self, raw: object, detail: str = "") -> ConfigError:
        extra = f" ({detail})" if detail else ""
        return ConfigError(f"expected {self.expected()}, got {describe_raw(raw)}{extra}")


class BoolType(ValueType):
    name = "bool"

    def convert(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise self.mismatch(raw)


@dataclass(frozen=True, slots=True)
class IntType(ValueType):
    minimum: int | None = None
    maximum: int | None = None
    name = "int"

    def expected(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"int from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"int >= {self.minimum}"
        if self.maximum is not None:
            return f"int <= {self.maximum}"
        return "int"

    def convert(self, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self.mismatch(raw)
        if (isinstance(raw, float) and not raw.is_integer()) or (
            isinstance(raw, str) and not _INT.match(raw)
        ):
            raise self.mismatch(raw)
        value = int(raw)
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise self.mismatch(raw, "out of range")
        return value


class StringType(ValueType):
    name = "string"

    def convert(self, raw: object) -> str:
        if isinstance(raw, str):
            return raw
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, int | float):
            return str(raw)
        raise self.mismatch(raw)


@dataclass(frozen=True, slots=True)
class DurationType(ValueType):
    """A duration; a bare number counts in `bare_unit` (HOCON: milliseconds)."""

    bare_unit: str = "ms"
    name = "duration"

    def expected(self) -> str:
        return f"duration (e.g. 30s, 250ms, 5m; a bare number is in {self.bare_unit})"

    def brief(self) -> str:
        return f"duration, bare numbers in {self.bare_unit}"

    def convert(self, raw: object) -> Duration:
        if isinstance(raw, Duration):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self.mismatch(raw)
        try:
            if isinstance(raw, str):
                return Duration.parse(raw, bare_unit=self.bare_unit)
            return Duration.of(raw, self.bare_unit)
        except ConfigError as exc:
            raise self.mismatch(raw, str(exc)) from None


class StringListType(ValueType):
    name = "list of strings"

    def convert(self, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list | tuple):
            raise self.mismatch(raw)
        items: list[str] = []
        for item in raw:
            if isinstance(item, dict | list | tuple) or item is None:
                raise self.mismatch(raw, f"element {describe_raw(item)}")
            items.append(STRING.convert(item))
        return tuple(items)


@dataclass(frozen=True, slots=True)
class EnumType(ValueType):
    """One of a fixed set of words; with `fold_case`, matched ignoring case and
    normalized to the spelling in `choices`."""

    choices: tuple[str, ...]
    fold_case: bool = False
    name = "enum"

    def expected(self) -> str:
        return "one of " + ", ".join(self.choices)

    def convert(self, raw: object) -> str:
        if isinstance(raw, str):
            for choice in self.choices:
                if raw == choice or (self.fold_case and raw.lower() == choice.lower()):
                    return choice
        raise self.mismatch(raw)


BOOL = BoolType()
INT = IntType()
COUNT = IntType(minimum=0)
POSITIVE = IntType(minimum=1)
PORT = IntType(minimum=0, maximum=65535)
STRING = StringType()
DURATION = DurationType()
DURATION_S = DurationType(bare_unit="s")
STRING_LIST = StringListType()
LOG_LEVEL = EnumType(("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "ALL"), fold_case=True)


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One configuration key: dotted name, type, default and documentation.

    `default_from` names another key whose value this key takes when no layer
    sets it (MidoNet's schemas write that as `${zookeeper.session_timeout}`);
    `default` is then what that key defaults to.
    """

    name: str
    type: ValueType
    default: TypedValue
    description: str
    default_from: str | None = None


def key(
    name: str,
    value_type: ValueType,
    default: object,
    description: str,
    *,
    default_from: str | None = None,
) -> KeySpec:
    """Declare a key; `default` is written as in HOCON and converted (and so checked)."""
    try:
        typed = value_type.convert(default)
    except ConfigError as exc:
        raise ConfigError(f"bad default for {name}: {exc}") from None
    return KeySpec(name, value_type, typed, " ".join(description.split()), default_from)
