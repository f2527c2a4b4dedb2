"""Configuration layers kept in the store, so services and `mn-conf` share them.

As in MidoNet's NSDB, configuration lives in three places: *templates* by name
(e.g. "default", "agent-compute-medium"), per-host *overrides* by host id, and the
*template mappings* that assign a template to a host. A layer is stored as plain data,
dotted key → JSON value, in one state-table entry, so it changes atomically and can
be watched; `load`/`save`/`node_config` convert to and from `midonet.config`'s typed
`ConfigLayer` (named "template:<name>" / "host:<uuid>"), validated by its schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from midonet.config.layer import Config, ConfigLayer, host_layer, template_layer
from midonet.config.schema import SCHEMA, Schema
from midonet.store.state import JSON, StateStore
from midonet.store.watch import Change, Watch

Layer: TypeAlias = dict[str, JSON]

TEMPLATES = "config/templates"
HOSTS = "config/hosts"
MAPPINGS = "config/template-mappings"
DEFAULT_TEMPLATE = "default"


def _layer(values: Mapping[str, Any]) -> Layer:
    out: Layer = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key or key.startswith(".") or key.endswith("."):
            raise ValueError(f"configuration key must be a dotted name, got {key!r}")
        out[key] = value
    return dict(sorted(out.items()))


class ConfigLayers:
    def __init__(self, state: StateStore) -> None:
        self.state = state

    # --- templates -----------------------------------------------------------------

    def template(self, name: str) -> Layer:
        return self._read(TEMPLATES, name)

    def templates(self) -> list[str]:
        return sorted(self.state.entries(TEMPLATES))

    def set_template(self, name: str, values: Mapping[str, Any]) -> None:
        """Replace the whole template."""
        if not name:
            raise ValueError("a template needs a name")
        self.state.put(TEMPLATES, name, _layer(values))

    def update_template(
        self, name: str, set: Mapping[str, Any] | None = None, unset: Iterable[str] = ()
    ) -> Layer:
        return self._update(TEMPLATES, name, set or {}, unset)

    def delete_template(self, name: str) -> bool:
        return self.state.remove(TEMPLATES, name)

    # --- per-host overrides --------------------------------------------------------

    def host(self, host_id: uuid.UUID) -> Layer:
        return self._read(HOSTS, str(host_id))

    def hosts(self) -> list[uuid.UUID]:
        return sorted(uuid.UUID(k) for k in self.state.entries(HOSTS))

    def set_host(self, host_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        self.state.put(HOSTS, str(host_id), _layer(values))

    def update_host(
        self, host_id: uuid.UUID, set: Mapping[str, Any] | None = None, unset: Iterable[str] = ()
    ) -> Layer:
        return self._update(HOSTS, str(host_id), set or {}, unset)

    def delete_host(self, host_id: uuid.UUID) -> bool:
        return self.state.remove(HOSTS, str(host_id))

    # --- template mappings ---------------------------------------------------------

    def assign(self, host_id: uuid.UUID, template: str) -> None:
        self.state.put(MAPPINGS, str(host_id), template)

    def unassign(self, host_id: uuid.UUID) -> bool:
        return self.state.remove(MAPPINGS, str(host_id))

    def template_of(self, host_id: uuid.UUID) -> str:
        """The host's template; hosts without a mapping use "default"."""
        entry = self.state.get(MAPPINGS, str(host_id))
        return DEFAULT_TEMPLATE if entry is None else str(entry.value)

    def mappings(self) -> dict[uuid.UUID, str]:
        return {uuid.UUID(k): str(e.value) for k, e in self.state.entries(MAPPINGS).items()}

    def layers_for(self, host_id: uuid.UUID) -> list[Layer]:
        """The stored layers that apply to a host, lowest precedence first (as
        `midonet.config.Config` stacks them): the default template, the host's
        template when another one is assigned, then the host's own values."""
        return [self._read(*_address(name)) for name in self._names_for(host_id)]

    # --- typed layers (midonet.config) ---------------------------------------------

    def load(self, name: str, *, schema: Schema = SCHEMA) -> ConfigLayer:
        """The stored layer "template:<name>" or "host:<uuid>", validated."""
        return ConfigLayer(name, self._read(*_address(name)), schema=schema)

    def save(self, layer: ConfigLayer) -> None:
        """Store a typed layer under its name, replacing what was there."""
        table, key = _address(layer.name)
        self.state.put(table, key, _layer(layer.to_dict()))

    def node_config(self, host_id: uuid.UUID, *, schema: Schema = SCHEMA) -> Config:
        """The stored part of a node's configuration (local files and the environment
        go on top, see `Config.with_layer`)."""
        return Config(
            (self.load(n, schema=schema) for n in self._names_for(host_id)), schema=schema
        )

    def _names_for(self, host_id: uuid.UUID) -> list[str]:
        template = self.template_of(host_id)
        names = [template_layer(DEFAULT_TEMPLATE)]
        if template != DEFAULT_TEMPLATE:
            names.append(template_layer(template))
        names.append(host_layer(host_id))
        return names

    # --- watches -------------------------------------------------------------------

    def watch(
        self, table: str, *, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        """Follow TEMPLATES, HOSTS or MAPPINGS (keys: template name or host id)."""
        if table not in (TEMPLATES, HOSTS, MAPPINGS):
            raise ValueError(f"not a configuration table: {table!r}")
        return self.state.watch(table, callback=callback)

    # --- internals -----------------------------------------------------------------

    def _read(self, table: str, key: str) -> Layer:
        entry = self.state.get(table, key)
        if entry is None:
            return {}
        return dict(_as_layer(entry.value))

    def _update(self, table: str, key: str, set: Mapping[str, Any], unset: Iterable[str]) -> Layer:
        """Read-modify-write with a version check, retried when another writer won."""
        changes, removed = _layer(set), list(unset)
        while True:
            entry = self.state.get(table, key)
            current: Layer = {} if entry is None else dict(_as_layer(entry.value))
            current.update(changes)
            for name in removed:
                current.pop(name, None)
            layer = dict(sorted(current.items()))
            expected = 0 if entry is None else entry.version
            if self.state.put_if(table, key, layer, expected_version=expected) is not None:
                return layer


def _address(name: str) -> tuple[str, str]:
    """(table, key) of a layer name as `midonet.config.layer` spells them."""
    scope, _, rest = name.partition(":")
    if scope == "template" and rest:
        return TEMPLATES, rest
    if scope == "host" and rest:
        try:
            return HOSTS, str(uuid.UUID(rest))
        except ValueError:
            pass
    raise ValueError(f"not a stored configuration layer: {name!r} (template:NAME or host:UUID)")


def _as_layer(value: JSON) -> Layer:
    if not isinstance(value, dict):
        raise TypeError(f"a stored configuration layer must be an object, got {value!r}")
    return value
