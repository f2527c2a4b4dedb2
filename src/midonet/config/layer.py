"""Configuration layers and the layered `Config` a MidoNet node reads.

A `ConfigLayer` is one source of values — the "default" template, another named
template, the per-host configuration, a local bootstrap file — as a validated
mapping of canonical dotted key → typed value. It is plain data: `to_hocon()` /
`from_hocon()` (or `to_dict()`) are what a store persists.

`Config` stacks layers, lowest precedence first, over the schema defaults, and
answers typed values and where each came from. The order `mn-conf` documents is

    schema < template "default" < assigned template < host < local files < environment
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from midonet.config.duration import Duration
from midonet.config.hocon import HoconValue
from midonet.config.hocon_writer import dumps, nest
from midonet.config.schema import SCHEMA, Schema, normalize_key
from midonet.config.valuetype import KeySpec, TypedValue
from midonet.errors import ConfigError

SCHEMA_LAYER = "schema"
DEFAULT_TEMPLATE = "default"

_T = TypeVar("_T", bool, int, str, Duration, tuple[str, ...])


def template_layer(name: str) -> str:
    """The layer name of template `name`: `template:default`."""
    return f"template:{name}"


def host_layer(host_id: object) -> str:
    """The layer name of one host's own configuration: `host:<uuid>`."""
    return f"host:{host_id}"


class ConfigLayer(Mapping[str, TypedValue]):
    """A named, validated set of configuration values (canonical key → typed value)."""

    __slots__ = ("_values", "name", "schema")

    def __init__(
        self, name: str, values: Mapping[str, object] | None = None, *, schema: Schema = SCHEMA
    ) -> None:
        self.name = name
        self.schema = schema
        typed = schema.validate(values or {}, source=name)
        nest(typed)  # refuse a key that is also a section of another key
        self._values = MappingProxyType(typed)

    @classmethod
    def from_hocon(cls, name: str, text: str, *, schema: Schema = SCHEMA) -> ConfigLayer:
        return cls(name, schema.validate(text, source=name), schema=schema)

    def to_hocon(self) -> str:
        return dumps(nest(self._values))

    def to_dict(self) -> dict[str, HoconValue]:
        """JSON-shaped values: durations as "30s" strings, lists as lists."""
        return {key: _plain(value) for key, value in self._values.items()}

    # -- Mapping --

    def __getitem__(self, key: str) -> TypedValue:
        return self._values[self.schema.canonical_name(normalize_key(key))]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigLayer):
            return NotImplemented
        return self.name == other.name and dict(self._values) == dict(other._values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ConfigLayer({self.name!r}, {dict(self._values)!r})"

    # -- edits (each returns a new layer) --

    def merged(self, values: Mapping[str, object] | str) -> ConfigLayer:
        """These values set on top of this layer (`mn-conf set`); HOCON text or mapping."""
        update = self.schema.validate(values, source=self.name)
        return ConfigLayer(self.name, {**self._values, **update}, schema=self.schema)

    def without(self, key: str) -> ConfigLayer:
        """This layer minus `key`, or minus every key in section `key` (`mn-conf unset`)."""
        name = self.schema.canonical_name(normalize_key(key))
        kept = {k: v for k, v in self._values.items() if k != name and not k.startswith(name + ".")}
        return ConfigLayer(self.name, kept, schema=self.schema)

    def renamed(self, name: str) -> ConfigLayer:
        return ConfigLayer(name, self._values, schema=self.schema)


def _plain(value: TypedValue) -> HoconValue:
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    """One effective value and the layer it came from; `via` names the key whose
    value it took when it follows another key (session_gracetime → session_timeout)."""

    key: str
    value: TypedValue
    origin: str
    via: str | None = None


class Config:
    """Typed configuration values from layers stacked over the schema defaults."""

    def __init__(self, layers: Iterable[ConfigLayer] = (), *, schema: Schema = SCHEMA) -> None:
        self.schema = schema
        self.layers = tuple(layers)  # lowest precedence first
        for layer in self.layers:
            if layer.schema is not schema:
                raise ConfigError(f"layer {layer.name} was validated against another schema")

    @classmethod
    def for_node(
        cls,
        *,
        default_template: ConfigLayer | None = None,
        template: ConfigLayer | None = None,
        host: ConfigLayer | None = None,
        local: Iterable[ConfigLayer] = (),
        schema: Schema = SCHEMA,
    ) -> Config:
        """A node's configuration in `mn-conf`'s order; `local` lowest first."""
        stack = [default_template, template, host, *local]
        return cls((layer for layer in stack if layer is not None), schema=schema)

    def with_layer(self, layer: ConfigLayer) -> Config:
        """This configuration with `layer` on top."""
        return Config((*self.layers, layer), schema=self.schema)

    def lookup(self, key: str) -> Setting:
        """The effective value of `key` and its origin layer."""
        spec = self.schema.spec(key)
        return self._resolve(spec, ())

    def _resolve(self, spec: KeySpec, seen: tuple[str, ...]) -> Setting:
        for layer in reversed(self.layers):
            if spec.name in layer._values:
                return Setting(spec.name, layer._values[spec.name], layer.name)
        if spec.default_from is not None and spec.default_from not in seen:
            source = self._resolve(self.schema.spec(spec.default_from), (*seen, spec.name))
            return Setting(spec.name, source.value, source.origin, source.via or source.key)
        return Setting(spec.name, spec.default, SCHEMA_LAYER)

    def get(self, key: str) -> TypedValue:
        """`cfg.get("cluster.rest_api.http_port")` → 8181."""
        return self.lookup(key).value

    def origin(self, key: str) -> str:
        """The name of the layer that set `key` ("schema" for a default)."""
        return self.lookup(key).origin

    def get_bool(self, key: str) -> bool:
        return self._typed(key, bool)

    def get_int(self, key: str) -> int:
        return self._typed(key, int)

    def get_str(self, key: str) -> str:
        return self._typed(key, str)

    def get_duration(self, key: str) -> Duration:
        return self._typed(key, Duration)

    def get_list(self, key: str) -> tuple[str, ...]:
        return self._typed(key, tuple)

    def _typed(self, key: str, kind: type[_T]) -> _T:
        value = self.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{key} is a {type(value).__name__}, not a {kind.__name__}")
        return value

    def settings(self, section: str = "") -> list[Setting]:
        """Every effective setting (in `section`, if given): declared keys in schema
        order, then open-section keys (loggers) that some layer sets."""
        prefix = self.schema.canonical_name(normalize_key(section)) + "." if section else ""
        names = [spec.name for spec in self.schema]
        declared = set(names)
        names += sorted({k for layer in self.layers for k in layer._values} - declared)
        return [self.lookup(name) for name in names if name.startswith(prefix)]

    def section(self, section: str) -> dict[str, TypedValue]:
        """Key (relative to `section`) → value, for every key in `section`."""
        if not self.schema.is_section(section):
            raise ConfigError(f"{section} is not a configuration section")
        cut = len(self.schema.canonical_name(normalize_key(section))) + 1
        return {s.key[cut:]: s.value for s in self.settings(section)}

    def to_layer(self, name: str = "effective") -> ConfigLayer:
        """The effective values, flattened into one layer."""
        values = {s.key: s.value for s in self.settings()}
        return ConfigLayer(name, values, schema=self.schema)

    def to_hocon(self) -> str:
        """The effective configuration (`mn-conf dump -h HOST`)."""
        return dumps(nest({s.key: s.value for s in self.settings()}))
