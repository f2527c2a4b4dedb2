"""Render configuration trees back to HOCON (what `mn-conf dump` prints).

Output re-parses to the same tree: strings are always quoted, durations are
written bare (`30s`) and come back as strings that the schema reads again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from midonet.config.duration import Duration
from midonet.config.hocon import Path, quote_key, quote_string
from midonet.errors import ConfigError


def dumps(
    tree: Mapping[str, object],
    *,
    comments: Mapping[Path, str] | None = None,
    indent: int = 4,
) -> str:
    """Nested HOCON for `tree`; `comments` puts `# text` above the given paths."""
    writer = _Writer(comments or {}, " " * indent)
    writer.fields(tree, (), 0)
    return "".join(line + "\n" for line in writer.lines)


def nest(flat: Mapping[str, object]) -> dict[str, object]:
    """Dotted keys → nested objects: `{"a.b": 1}` → `{"a": {"b": 1}}`."""
    tree: dict[str, object] = {}
    for name, value in flat.items():
        *parents, last = name.split(".")
        node = tree
        for element in parents:
            child = node.setdefault(element, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{name} conflicts with the value at {element}")
            node = child
        if isinstance(node.get(last), dict):
            raise ConfigError(f"{name} conflicts with the keys under it")
        node[last] = value
    return tree


def render_value(value: object) -> str:
    """One value on one line: `8181`, `"text"`, `30s`, `[1, 2]`, `{ a = 1 }`."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{quote_key(str(k))} = {render_value(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"cannot write {value!r} in HOCON")
        return repr(value).replace("e+", "e")
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, Duration):
        return str(value)
    raise ConfigError(f"cannot write a value of type {type(value).__name__} in HOCON")


class _Writer:
    def __init__(self, comments: Mapping[Path, str], unit: str) -> None:
        self.comments = comments
        self.unit = unit
        self.lines: list[str] = []

    def fields(self, obj: Mapping[str, object], prefix: Path, depth: int) -> None:
        pad = self.unit * depth
        for key, value in obj.items():
            path = (*prefix, str(key))
            comment = self.comments.get(path)
            if comment:
                self.lines.extend(f"{pad}# {line}".rstrip() for line in comment.splitlines())
            name = quote_key(str(key))
            if isinstance(value, Mapping):
                if not value:
                    self.lines.append(f"{pad}{name} {{}}")
                    continue
                self.lines.append(f"{pad}{name} {{")
                self.fields(value, path, depth + 1)
                self.lines.append(pad + "}")
            else:
                self.value(f"{pad}{name} = ", value, depth)

    def value(self, lead: str, value: object, depth: int) -> None:
        """Write `value` starting on a line that begins with `lead`."""
        nested = isinstance(value, list | tuple) and any(
            isinstance(v, Mapping | list | tuple) for v in value
        )
        if isinstance(value, Mapping) and value:
            self.lines.append(lead + "{")
            self.fields(value, (), depth + 1)
            self.lines.append(self.unit * depth + "}")
        elif nested:
            assert isinstance(value, list | tuple)
            self.lines.append(lead + "[")
            for item in value:
                self.value(self.unit * (depth + 1), item, depth + 1)
            self.lines.append(self.unit * depth + "]")
        else:
            self.lines.append(lead + render_value(value))
