"""The base of every stored object: identity, validation and a strict JSON form.

Model objects are frozen, slotted dataclasses. They validate themselves when built, so
an object that exists is a valid one; `from_dict` builds one from JSON-shaped data
(the store's records, an API body after its field names were mapped) and turns every
wrong type or unknown field into a `ValidationError` that names the field.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from midonet.errors import ValidationError, Violation

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def new_id() -> uuid.UUID:
    return uuid.uuid4()


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelObject:
    """A stored object with a UUID id.

    Subclasses set `KIND` (MidoNet's type name, e.g. "Router") and override
    `_violations()` to add their own rules; `_normalize()` may fill defaults that
    depend on other fields (it runs before validation, through `object.__setattr__`).
    """

    KIND: ClassVar[str] = ""

    id: uuid.UUID = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self._normalize()
        problems = list(self._violations())
        if problems:
            raise ValidationError(problems, kind=self.KIND or type(self).__name__)

    def _normalize(self) -> None:
        """Fill derived defaults before validation. Default: nothing."""

    def _violations(self) -> Iterator[Violation]:
        """Yield every rule this object breaks. Default: none."""
        return iter(())

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied, validated like a new object."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: object) -> Self:
        return from_json(cls, data)  # type: ignore[no-any-return]


# --- registry of stored kinds -------------------------------------------------------

MODEL_TYPES: dict[str, type[ModelObject]] = {}

M = typing.TypeVar("M", bound=type[ModelObject])


def register(cls: M) -> M:
    """Class decorator: make `cls` a stored kind, looked up by its KIND."""
    if not cls.KIND:
        raise TypeError(f"{cls.__name__} has no KIND")
    if cls.KIND in MODEL_TYPES:
        raise TypeError(f"kind {cls.KIND} registered twice")
    MODEL_TYPES[cls.KIND] = cls
    return cls


# --- bindings (referential integrity) ---------------------------------------------


class DeleteAction(enum.Enum):
    """What deleting an object does to the objects its bound field points at.

    As in MidoNet's storage: CASCADE deletes them, CLEAR removes the back-reference
    from them, ERROR refuses the delete while the field is set.
    """

    CASCADE = "cascade"
    CLEAR = "clear"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class BindingEnd:
    kind: str
    field: str
    on_delete: DeleteAction


@dataclass(frozen=True, slots=True)
class Binding:
    """A two-sided reference kept consistent by the store.

    Setting `left.field` of a `left.kind` object to an id (or adding an id to it when
    the field is a tuple) adds the object's id to `right.field` of the target, and the
    other way round. Deleting an object applies its end's `on_delete` to the objects
    its field points at.
    """

    left: BindingEnd
    right: BindingEnd

    def ends(self) -> tuple[tuple[BindingEnd, BindingEnd], tuple[BindingEnd, BindingEnd]]:
        return (self.left, self.right), (self.right, self.left)


BINDINGS: list[Binding] = []


def bind(
    left_kind: str,
    left_field: str,
    left_on_delete: DeleteAction,
    right_kind: str,
    right_field: str,
    right_on_delete: DeleteAction,
) -> None:
    """Declare a binding (the store reads `BINDINGS`)."""
    BINDINGS.append(
        Binding(
            BindingEnd(left_kind, left_field, left_on_delete),
            BindingEnd(right_kind, right_field, right_on_delete),
        )
    )


# --- JSON conversion ------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """The JSON-shaped form of a model value (dataclasses become dicts, keys unchanged)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value.with_prefixlen
    if isinstance(value, tuple | list | frozenset):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert_scalar(tp: Any, value: object, path: str) -> Any:
    def bad(expected: str) -> ValidationError:
        return ValidationError.of(path, f"expected {expected}, got {value!r}")

    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad("true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad("an integer")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise bad("a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad("a string")
    if tp is uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                raise bad("a UUID") from None
        raise bad("a UUID")
    parsers: dict[Any, tuple[Callable[[str], Any], str]] = {
        ipaddress.IPv4Address: (ipaddress.IPv4Address, "an IPv4 address"),
        ipaddress.IPv6Address: (ipaddress.IPv6Address, "an IPv6 address"),
        ipaddress.IPv4Network: (ipaddress.IPv4Network, "an IPv4 prefix like 10.0.0.0/24"),
        ipaddress.IPv6Network: (ipaddress.IPv6Network, "an IPv6 prefix"),
    }
    if tp in parsers:
        parse, expected = parsers[tp]
        if isinstance(value, tp):
            return value
        if isinstance(value, str):
            try:
                return parse(value)
            except ValueError:
                raise bad(expected) from None
        raise bad(expected)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise bad(f"one of {allowed}") from None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return from_json(tp, value, path)
    if tp is typing.Any or tp is object:
        return value
    raise TypeError(f"{path}: no JSON conversion for {_type_name(tp)}")


def _convert(tp: Any, value: object, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        concrete = [o for o in options if o is not type(None)]
        errors: list[ValidationError] = []
        for option in concrete:
            try:
                return _convert(option, value, path)
            except ValidationError as e:
                errors.append(e)
        if len(errors) == 1:
            raise errors[0]
        names = " or ".join(_describe(o) for o in concrete)
        raise ValidationError.of(path, f"expected {names}, got {value!r}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise ValidationError.of(path, f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise ValidationError.of(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(
            _convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if origin is frozenset:
        (arg,) = typing.get_args(tp)
        if not isinstance(value, list | tuple | set | frozenset):
            raise ValidationError.of(path, f"expected a list, got {value!r}")
        return frozenset(_convert(arg, v, f"{path}[]") for v in value)
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ValidationError.of(path, f"expected an object, got {value!r}")
        return {
            _convert(key_tp, k, f"{path}.{k}"): _convert(val_tp, v, f"{path}.{k}")
            for k, v in value.items()
        }
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value in allowed:
            return value
        raise ValidationError.of(path, f"expected one of {', '.join(map(str, allowed))}")
    return _convert_scalar(tp, value, path)


def _describe(tp: Any) -> str:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in tp)
    return _type_name(tp)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_HINTS: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """The resolved type of each init field of dataclass `cls` (cached)."""
    hints = _HINTS.get(cls)
    if hints is None:
        resolved = typing.get_type_hints(cls)
        hints = {f.name: resolved[f.name] for f in dataclasses.fields(cls) if f.init}
        _HINTS[cls] = hints
    return hints


def _required(cls: type) -> tuple[str, ...]:
    """The init fields of dataclass `cls` that have no default."""
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def from_json(cls: type, data: object, path: str = "") -> Any:
    """Build dataclass `cls` from JSON-shaped `data`, strictly.

    Unknown fields, missing required fields, wrong types and values that break the
    class's own validation all raise `ValidationError`; every violation names its
    field, prefixed by `path`.
    """
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ValidationError.of(path, f"expected an object, got {data!r}")
    hints = field_types(cls)
    unknown = sorted(set(data) - set(hints))
    problems = [Violation(_join(path, k), "unknown field") for k in unknown]
    problems.extend(
        Violation(_join(path, name), "is required") for name in _required(cls) if name not in data
    )
    kwargs: dict[str, Any] = {}
    for name, tp in hints.items():
        if name not in data:
            continue
        try:
            kwargs[name] = _convert(tp, data[name], _join(path, name))
        except ValidationError as e:
            problems.extend(e.violations)
    if problems:
        raise ValidationError(problems, kind=getattr(cls, "KIND", "") or cls.__name__)
    try:
        return cls(**kwargs)
    except ValidationError as e:
        if not path:
            raise
        raise ValidationError(
            [Violation(_join(path, v.field), v.message) for v in e.violations], kind=e.kind
        ) from None
