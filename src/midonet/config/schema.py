"""The configuration schema: every key `mn-conf` knows, its type, default and doc.

`SCHEMA` holds the keys of `midonet.config.catalog`; `Schema.validate` checks a
whole HOCON document (or mapping) against it and returns the typed values by
canonical dotted key. Keys under `agent.loggers` and `cluster.loggers` are open:
any logger name may be given a level. The guide's `state_proxy.cluster.*` spelling
is accepted as an alias of `cluster.state_proxy.*`.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from midonet.config.catalog import agent, cluster, nsdb
from midonet.config.hocon import Document, Path, Position, parse, split_path
from midonet.config.hocon_writer import dumps, nest, render_value
from midonet.config.valuetype import LOG_LEVEL, KeySpec, TypedValue
from midonet.errors import ConfigError


def _where(position: Position | None, source: str) -> str:
    parts = [p for p in (source, str(position) if position else "") if p]
    return ", ".join(parts) + ": " if parts else ""


class UnknownKey(ConfigError):
    """A key the schema does not define."""

    def __init__(
        self, key: str, reason: str, *, position: Position | None = None, source: str = ""
    ) -> None:
        super().__init__(f"{_where(position, source)}{reason}")
        self.key = key
        self.position = position


class InvalidValue(ConfigError):
    """A value of the wrong type (or out of range) for its key."""

    def __init__(
        self, key: str, detail: str, *, position: Position | None = None, source: str = ""
    ) -> None:
        super().__init__(f"{_where(position, source)}{key}: {detail}")
        self.key = key
        self.detail = detail
        self.position = position


class InvalidConfig(ConfigError):
    """Several problems in one document, each a `ConfigError` in `errors`."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__(f"{len(errors)} configuration errors: " + "; ".join(map(str, errors)))
        self.errors = errors


def normalize_key(name: str) -> str:
    """`agent . "midolman".x` → `agent.midolman.x`: the plain dotted form."""
    name = name.strip()
    return ".".join(split_path(name)) if '"' in name else name


class Schema:
    """An immutable set of `KeySpec`s with lookup, conversion and validation."""

    def __init__(
        self,
        keys: Iterable[KeySpec],
        *,
        aliases: Mapping[str, str] | None = None,
        open_sections: Iterable[str] = (),
    ) -> None:
        specs: dict[str, KeySpec] = {}
        for spec in keys:
            if spec.name in specs:
                raise ConfigError(f"schema declares {spec.name} twice")
            specs[spec.name] = spec
        self._specs = MappingProxyType(specs)
        self._sections = frozenset(
            ".".join(spec.name.split(".")[:i]) for spec in specs.values()
            for i in range(1, spec.name.count(".") + 1)
        )  # fmt: skip
        self._aliases = dict(aliases or {})
        self._open = tuple(open_sections)
        self._check()

    def _check(self) -> None:
        for spec in self._specs.values():
            if spec.name in self._sections:
                raise ConfigError(f"schema key {spec.name} is also a section")
            if spec.default_from is not None:
                target = self._specs.get(spec.default_from)
                if target is None or target.type != spec.type:
                    raise ConfigError(f"{spec.name} defaults to a missing or other-typed key")
        for section in (*self._aliases.values(), *self._open):
            if section not in self._sections:
                raise ConfigError(f"schema has no section {section}")

    # -- lookup --

    def __iter__(self) -> Iterator[KeySpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.spec(name)
        except ConfigError:
            return False
        return True

    def is_section(self, name: str) -> bool:
        name = self.canonical_name(normalize_key(name))
        return name in self._sections or name in self._open

    def under(self, section: str) -> list[KeySpec]:
        """The declared keys in `section` (a dotted prefix), in schema order."""
        prefix = self.canonical_name(normalize_key(section)) + "."
        return [s for s in self._specs.values() if s.name.startswith(prefix)]

    def canonical_name(self, name: str) -> str:
        for alias, target in self._aliases.items():
            if name == alias or name.startswith(alias + "."):
                return target + name[len(alias) :]
        return name

    def spec(self, name: str, *, position: Position | None = None, source: str = "") -> KeySpec:
        """The `KeySpec` of `name` (any spelling); `UnknownKey` if there is none."""
        canonical = self.canonical_name(normalize_key(name))
        found = self._specs.get(canonical)
        if found is not None:
            return found
        reason = self._unknown_reason(canonical)
        if reason is None:
            return self._open_spec(canonical)
        raise UnknownKey(canonical, reason, position=position, source=source)

    def _unknown_reason(self, name: str) -> str | None:
        """Why `name` is not a key, or None if it is a key of an open section."""
        if name in self._sections or name in self._open:
            return f"{name} is a section, not a key"
        parts = name.split(".")
        for i in range(1, len(parts)):
            parent = self._specs.get(".".join(parts[:i]))
            if parent is not None:
                return f"{parent.name} is a value, not a section: there is no key {name}"
        if any(name.startswith(section + ".") for section in self._open):
            return None
        guess = difflib.get_close_matches(name, self._specs, n=1, cutoff=0.8)
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        return f"unknown configuration key {name}{hint}"

    def _open_spec(self, name: str) -> KeySpec:
        section = next(s for s in self._open if name.startswith(s + "."))
        logger = name[len(section) + 1 :]
        root = f"{section}.root"
        return KeySpec(name, LOG_LEVEL, "INFO", f"Level of the {logger} logger.", root)

    # -- values --

    def convert(
        self, name: str, raw: object, *, position: Position | None = None, source: str = ""
    ) -> tuple[str, TypedValue]:
        """(canonical key, typed value) for `raw` given to key `name`."""
        spec = self.spec(name, position=position, source=source)
        try:
            return spec.name, spec.type.convert(raw)
        except ConfigError as exc:
            raise InvalidValue(spec.name, str(exc), position=position, source=source) from None

    def validate(
        self, data: str | Document | Mapping[str, object], *, source: str = ""
    ) -> dict[str, TypedValue]:
        """Check every value in HOCON text, a parsed document, or a (nested or
        dotted) mapping; return typed values by canonical key, or raise."""
        if isinstance(data, str):
            data = parse(data, source=source)
        if isinstance(data, Document):
            leaves: Iterable[tuple[Path, object]] = data.leaves()
            positions: Mapping[Path, Position] = data.positions
        else:
            leaves, positions = _mapping_leaves(data, ()), {}
        values: dict[str, TypedValue] = {}
        errors: list[ConfigError] = []
        for path, raw in leaves:
            try:
                name, value = self.convert(
                    ".".join(path), raw, position=positions.get(path), source=source
                )
            except ConfigError as exc:
                errors.append(exc)
                continue
            values.pop(name, None)  # a later spelling wins and takes the later place
            values[name] = value
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidConfig(errors)
        return values

    def defaults(self) -> dict[str, TypedValue]:
        return {spec.name: spec.default for spec in self._specs.values()}

    def to_hocon(self, *, comments: bool = True) -> str:
        """All keys with their defaults (`mn-conf dump -s`), documented in comments."""
        notes = {tuple(s.name.split(".")): _doc(s) for s in self._specs.values()}
        return dumps(nest(self.defaults()), comments=notes if comments else None)

    def doc(self, name: str) -> str:
        """The documentation of one key (`mn-conf doc`)."""
        spec = self.spec(name)
        return f"{spec.name} = {render_value(spec.default)}\n{_doc(spec)}"


def _doc(spec: KeySpec) -> str:
    follows = f"; defaults to {spec.default_from}" if spec.default_from else ""
    text = "\n".join(textwrap.wrap(spec.description, 76))
    return f"{text}\n[{spec.type.brief()}{follows}]"


def _mapping_leaves(data: Mapping[str, object], prefix: Path) -> Iterator[tuple[Path, object]]:
    for name, value in data.items():
        path = (*prefix, *normalize_key(name).split("."))
        if isinstance(value, Mapping):
            yield from _mapping_leaves(value, path)
        else:
            yield path, value


SCHEMA = Schema(
    (*agent.KEYS, *cluster.KEYS, *nsdb.KEYS),
    aliases={"state_proxy.cluster": "cluster.state_proxy"},
    open_sections=("agent.loggers", "cluster.loggers"),
)
