"""What `mn-conf get`/`dump`/`doc` print: a selected view of the configuration.

A view is a list of `Setting`s (key, value, origin layer). The effective view of a
host includes the schema defaults; a template view (that template over "default")
and a host-only view hold only what those layers set, as MidoNet's mn-conf showed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from midonet.config import SCHEMA, ConfigLayer, Setting
from midonet.config.duration import Duration
from midonet.config.hocon_writer import dumps, nest, render_value
from midonet.config.schema import normalize_key
from midonet.config.valuetype import KeySpec, TypedValue


def layer_settings(layers: Iterable[ConfigLayer]) -> list[Setting]:
    """The values set by `layers` (lowest precedence first), no schema defaults."""
    found: dict[str, Setting] = {}
    for layer in layers:
        for key, value in layer.items():
            found[key] = Setting(key, value, layer.name)
    return [found[k] for k in sorted(found)]


def select(settings: Sequence[Setting], key: str) -> list[Setting]:
    """The settings for `key`, or every one under it when `key` is a section.
    Raises `UnknownKey` for a name that is neither."""
    name = SCHEMA.canonical_name(normalize_key(key))
    if not SCHEMA.is_section(name):
        name = SCHEMA.spec(name).name
    return [s for s in settings if s.key == name or s.key.startswith(name + ".")]


def render_get(key: str, chosen: Sequence[Setting]) -> str:
    """`key = value`, or `key { ... }` for a section."""
    name = SCHEMA.canonical_name(normalize_key(key))
    if len(chosen) == 1 and chosen[0].key == name:
        return f"{name} = {render_value(chosen[0].value)}\n"
    cut = len(name) + 1
    body = dumps(nest({s.key[cut:]: s.value for s in chosen}))
    return f"{name} {{\n" + "".join(f"    {line}\n" for line in body.splitlines()) + "}\n"


def render_dump(
    settings: Sequence[Setting], *, comments: bool = False, as_json: bool = False
) -> str:
    if as_json:
        tree = nest({s.key: _plain(s.value) for s in settings})
        return json.dumps(tree, indent=4) + "\n"
    notes = {}
    if comments:
        notes = {tuple(s.key.split(".")): _note(s) for s in settings}
    return dumps(nest({s.key: s.value for s in settings}), comments=notes)


def _note(setting: Setting) -> str:
    via = f" (via {setting.via})" if setting.via else ""
    return f"{setting.origin}{via}: {SCHEMA.spec(setting.key).description}"


def _plain(value: TypedValue) -> object:
    """JSON-shaped: durations as "30s", lists as lists."""
    if isinstance(value, Duration):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def render_doc(spec: KeySpec) -> str:
    """One key's documentation, in the fields MidoNet's `mn-conf doc` printed."""
    lines = [
        f"Key: {spec.name}",
        f"Type: {spec.type.brief()}",
        f"Default value: {render_value(spec.default)}",
    ]
    if spec.default_from:
        lines.append(f"Default from: {spec.default_from}")
    lines.append(f"Documentation: {spec.description}")
    return "\n".join(lines) + "\n"


def doc_specs(key: str | None) -> list[KeySpec]:
    """The keys `mn-conf doc` documents: one key, a section's keys, or all."""
    if key is None:
        return list(SCHEMA)
    if SCHEMA.is_section(key):
        return SCHEMA.under(key)
    return [SCHEMA.spec(key)]
