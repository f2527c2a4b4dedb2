"""Object families: each maps CLI words to the API's camelCase fields and back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = dict[str, Any]


class Context(Protocol):
    """What a field needs from the interpreter: aliases both ways, and whether this is
    one-shot (scripting) mode, where objects are named by UUID."""

    @property
    def scripting(self) -> bool: ...

    def ref(self, kind: str, token: str) -> str: ...
    def show_ref(self, kind: str, uuid: str | None) -> str | None: ...


Parse = Callable[[str, Context], JSON]
Show = Callable[[JSON, Context], str | None]


@dataclass(frozen=True)
class Field:
    word: str
    parse: Parse | None
    show: Show | None
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """One object type: `name` on the command line, where the API keeps it."""

    name: str
    template: str
    fields: tuple[Field, ...]
    top: str | None = None  # Application key of the top-level collection
    children: dict[str, str] = field(default_factory=dict)  # child kind -> link key
    tenant: bool = False
    defaults: JSON = field(default_factory=dict)
    alias: str = ""  # alias prefix and first word of output lines (tzone, pm); default name
    parent: tuple[str, str] | None = None  # (id key, parent kind) for `parent:child` names
    relations: dict[str, Relation] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.alias or self.name

    def field(self, word: str) -> Field | None:
        return next((f for f in self.fields if f.word == word), None)


Line = Callable[[str, JSON, Context], str]


@dataclass(frozen=True)
class Relation:
    """Members of an object that have no alias of their own (port-group members,
    tunnel-zone hosts, host bindings and interfaces, IP addresses of a group): listed,
    added, shown and deleted through the parent, identified by one of their fields."""

    link: str
    fields: tuple[Field, ...]
    line: Line  # (parent alias, item) -> output line
    identity: tuple[str, str] = ("", "")  # (CLI word, API key) naming one member
    show_prefix: str = ""
    can_add: bool = True

    def field(self, word: str) -> Field | None:
        return next((f for f in self.fields if f.word == word), None)


REGISTRY: dict[str, Kind] = {}
BY_PREFIX: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        REGISTRY[kind.name] = kind
        BY_PREFIX[kind.prefix] = kind


def text(key: str) -> Field:
    word = key.lower()
    return Field(word, lambda v, c: {key: v}, lambda o, c: o.get(key))


def plain(word: str, key: str, conv: Callable[[str], Any] = str) -> Field:
    return Field(
        word,
        lambda v, c: {key: conv(v)},
        lambda o, c: _word(o.get(key)),
        (key,),
    )


def _word(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def boolean(v: str) -> bool:
    low = v.lower()
    if low not in ("true", "false"):
        raise ValueError(f"expected true or false, got {v}")
    return low == "true"


def state() -> Field:
    return Field(
        "state",
        lambda v, c: {"adminStateUp": v.lower() == "up"},
        lambda o, c: "up" if o.get("adminStateUp", True) else "down",
    )


def ref(word: str, key: str, kind: str) -> Field:
    return Field(
        word,
        lambda v, c: {key: c.ref(kind, v)},
        lambda o, c: c.show_ref(kind, o.get(key)),
        (key,),
    )


def cidr(addr: str, length: str) -> Callable[[JSON], str | None]:
    def show(o: JSON) -> str | None:
        if o.get(addr) is None:
            return None
        return f"{o[addr]}/{o[length]}"

    return show


def split_cidr(v: str) -> tuple[str, int]:
    ip, _, n = v.partition("/")
    return ip, int(n) if n else (128 if ":" in ip else 32)
