"""A reader for HOCON, the configuration format of `mn-conf` and MidoNet's schemas.

Covered: a root object with or without braces; nested objects; dotted and quoted
keys (`a."b.c".d`); `:` and `=` separators, or none before `{`; `#` and `//`
comments; newlines or commas between fields and array elements; quoted,
triple-quoted and unquoted strings; numbers, booleans and null; arrays; value
concatenation on one line (`1 day` is the string "1 day", `30s` is the string
"30s", which schema types read as durations); merging of objects assigned twice to
one path; substitutions `${a.b}` and `${?a.b}`, resolved against the whole document
and then, if given, the environment. Not covered: `include`, `+=`, concatenation of
objects or arrays; each is refused with a `HoconSyntaxError`.

`parse()` returns a `Document`: plain Python data (dict, list, str, int, float,
bool, None) plus the line and column where each key was set.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

from midonet.errors import ConfigError

HoconValue: TypeAlias = (
    str | int | float | bool | list["HoconValue"] | dict[str, "HoconValue"] | None
)
HoconObject: TypeAlias = dict[str, HoconValue]
Path: TypeAlias = tuple[str, ...]

# Characters that end an unquoted string (HOCON spec), besides whitespace.
_FORBIDDEN = frozenset('$"{}[]:=,+#`^?!@*&\\')
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
_EXPONENT_PREFIX = re.compile(r"-?[0-9]+(\.[0-9]+)?[eE]\Z")
_INCLUDE = re.compile(r"include\s+(\"|file\(|url\(|classpath\(|required\()")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class HoconSyntaxError(ConfigError):
    """Text that is not valid HOCON: where (1-based line and column) and why."""

    def __init__(self, reason: str, line: int, column: int, source: str = "") -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column
        self.source = source


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed HOCON text: the object tree and where each path was last set."""

    tree: HoconObject
    positions: Mapping[Path, Position] = field(default_factory=dict)

    def leaves(self) -> Iterator[tuple[Path, HoconValue]]:
        """Every non-object value with its path, depth first, in document order."""
        yield from _leaves(self.tree, ())

    def flatten(self) -> dict[str, HoconValue]:
        """Dotted key → value for every leaf (arrays are leaves)."""
        return {join_path(path): value for path, value in self.leaves()}

    def position(self, path: Path) -> Position | None:
        return self.positions.get(path)


def _leaves(obj: HoconObject, prefix: Path) -> Iterator[tuple[Path, HoconValue]]:
    for key, value in obj.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def parse(text: str, *, env: Mapping[str, str] | None = None, source: str = "") -> Document:
    """Parse HOCON `text`; unresolved substitutions fall back to `env` if given."""
    parser = _Parser(text, source)
    tree = parser.document()
    _Resolver(tree, env, parser).run()
    return Document(cast(HoconObject, tree), parser.positions)


def loads(text: str, *, env: Mapping[str, str] | None = None) -> HoconObject:
    """Parse HOCON `text` into nested plain data."""
    return parse(text, env=env).tree


def split_path(key: str) -> Path:
    """`'a."b.c".d'` → `("a", "b.c", "d")`; raises `ConfigError` if malformed."""
    parser = _Parser(key, "key")
    parser.skip_inline_ws()
    path = parser.key()
    parser.skip_inline_ws()
    if not parser.at_end():
        raise parser.error(f"expected end of key, found {parser.describe()}")
    return path


_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def quote_key(element: str) -> str:
    """One path element, quoted only when it must be."""
    if _SAFE_KEY.match(element):
        return element
    return quote_string(element)


def join_path(path: Path) -> str:
    return ".".join(quote_key(element) for element in path)


def quote_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# -- parsing -----------------------------------------------------------------------

# A parsed value before substitutions are resolved: HoconValue, _Subst or _Concat,
# nested in dicts and lists.
_Raw: TypeAlias = Any


def _is_inline_ws(ch: str) -> bool:
    return ch != "\n" and (ch.isspace() or ch == "\ufeff")


@dataclass(slots=True)
class _Subst:
    path: Path
    optional: bool
    offset: int


@dataclass(slots=True)
class _Concat:
    """A concatenation that holds at least one substitution: text pieces and refs."""

    parts: list[str | _Subst]
    offset: int


@dataclass(slots=True)
class _Piece:
    text: str
    quoted: bool


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.positions: dict[Path, Position] = {}
        self._newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    # -- low level --

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def position(self, offset: int) -> Position:
        line = bisect.bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return Position(line + 1, offset - start + 1)

    def error(self, reason: str, offset: int | None = None) -> HoconSyntaxError:
        where = self.position(self.pos if offset is None else offset)
        return HoconSyntaxError(reason, where.line, where.column, self.source)

    def describe(self) -> str:
        ch = self.peek()
        if not ch:
            return "end of input"
        if ch == "\n":
            return "newline"
        return repr(ch)

    def at_comment(self) -> bool:
        return self.peek() == "#" or (self.peek() == "/" and self.peek(1) == "/")

    def at_inline_ws(self) -> bool:
        return _is_inline_ws(self.peek())

    def skip_inline_ws(self) -> None:
        while self.at_inline_ws():
            self.pos += 1

    def skip_inline(self) -> None:
        """Spaces and a trailing comment, up to (not over) the newline."""
        self.skip_inline_ws()
        if self.at_comment():
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end

    def skip_all(self) -> None:
        """Spaces, comments and newlines."""
        while True:
            self.skip_inline()
            if self.peek() != "\n":
                return
            self.pos += 1

    def starts_unquoted(self) -> bool:
        ch = self.peek()
        if not ch or ch in _FORBIDDEN or ch == "\n" or _is_inline_ws(ch):
            return False
        return not self.at_comment()

    def starts_simple(self) -> bool:
        return self.peek() in ('"', "$") or self.starts_unquoted()

    # -- structure --

    def document(self) -> dict[str, _Raw]:
        self.skip_all()
        if self.peek() == "{":
            start = self.pos
            self.pos += 1
            tree = self.object_body("}", start, ())
            self.skip_all()
            if not self.at_end():
                raise self.error(
                    f"expected end of input after the root object, found {self.describe()}"
                )
            return tree
        if self.peek() == "[":
            raise self.error("the root of a document must be an object, not an array")
        return self.object_body("", 0, ())

    def object_body(self, closing: str, start: int, prefix: Path | None) -> dict[str, _Raw]:
        obj: dict[str, _Raw] = {}
        while True:
            self.skip_all()
            if closing and self.peek() == closing:
                self.pos += 1
                return obj
            if self.at_end():
                if not closing:
                    return obj
                opened = self.position(start)
                raise self.error(
                    f"expected '}}' to close the object opened at {opened}, found end of input"
                )
            if self.peek() == ",":
                raise self.error("expected a key, found ','")
            self.field(obj, prefix)
            self.skip_inline()
            ch = self.peek()
            if ch == ",":
                self.pos += 1
            elif ch == "\n" or not ch or ch == closing:
                continue
            else:
                closer = repr(closing) if closing else "end of input"
                raise self.error(
                    f"expected ',', newline or {closer} after a value, found {self.describe()}"
                )

    def field(self, obj: dict[str, _Raw], prefix: Path | None) -> None:
        start = self.pos
        if _INCLUDE.match(self.text, self.pos):
            raise self.error("'include' is not supported")
        path = self.key()
        self.skip_inline_ws()
        ch = self.peek()
        if ch in (":", "="):
            self.pos += 1
            self.skip_all()
            if self.at_end():
                raise self.error(
                    f"expected a value for key {join_path(path)!r}, found end of input"
                )
        elif ch == "+" and self.peek(1) == "=":
            raise self.error("'+=' is not supported")
        elif ch != "{":
            raise self.error(
                f"expected ':', '=' or '{{' after key {join_path(path)!r}, found {self.describe()}"
            )
        full = None if prefix is None else (*prefix, *path)
        value = self.value(full)
        if full is not None:
            where = self.position(start)
            for depth in range(len(prefix or ()) + 1, len(full)):
                self.positions.setdefault(full[:depth], where)
            self.positions[full] = where
        _assign(obj, path, value)

    def key(self) -> Path:
        start = self.pos
        pieces: list[_Piece] = []
        while True:
            ch = self.peek()
            if ch == '"':
                pieces.append(_Piece(self.quoted(), True))
            elif self.starts_unquoted():
                pieces.append(_Piece(self.unquoted(), False))
            elif self.at_inline_ws():
                begin = self.pos
                self.skip_inline_ws()
                if self.peek() == '"' or self.starts_unquoted():
                    pieces.append(_Piece(self.text[begin : self.pos], True))
            else:
                break
        if not pieces:
            raise self.error(f"expected a key, found {self.describe()}")
        return self._path(pieces, start)

    def _path(self, pieces: list[_Piece], start: int) -> Path:
        elements, literal = [""], [False]
        for piece in pieces:
            if piece.quoted:
                elements[-1] += piece.text
                literal[-1] = True
                continue
            first, *rest = piece.text.split(".")
            elements[-1] += first
            elements.extend(rest)
            literal.extend(False for _ in rest)
        if any(not e and not lit for e, lit in zip(elements, literal, strict=True)):
            raise self.error("empty element in key (a leading, trailing or double '.')", start)
        return tuple(elements)

    def value(self, path: Path | None) -> _Raw:
        ch = self.peek()
        if ch == "{":
            start = self.pos
            self.pos += 1
            result: _Raw = self.object_body("}", start, path)
        elif ch == "[":
            result = self.array()
        else:
            return self.concatenation()
        self.skip_inline_ws()
        if self.peek() in ("{", "[") or self.starts_simple():
            raise self.error("concatenating an object or array with other values is not supported")
        return result

    def array(self) -> list[_Raw]:
        start = self.pos
        self.pos += 1
        items: list[_Raw] = []
        while True:
            self.skip_all()
            if self.peek() == "]":
                self.pos += 1
                return items
            if self.at_end():
                opened = self.position(start)
                raise self.error(
                    f"expected ']' to close the array opened at {opened}, found end of input"
                )
            if self.peek() == ",":
                raise self.error("expected a value, found ','")
            items.append(self.value(None))
            self.skip_inline()
            ch = self.peek()
            if ch == ",":
                self.pos += 1
            elif ch not in ("\n", "]", ""):
                raise self.error(
                    f"expected ',', newline or ']' after an array element, found {self.describe()}"
                )

    def concatenation(self) -> _Raw:
        start = self.pos
        parts = [self.simple_value()]
        while True:
            begin = self.pos
            self.skip_inline_ws()
            if self.starts_simple():
                if self.pos > begin:
                    parts.append(_Piece(self.text[begin : self.pos], True))
                parts.append(self.simple_value())
                continue
            if self.peek() in ("{", "["):
                raise self.error(
                    "concatenating an object or array with other values is not supported"
                )
            return _combine(parts, start)

    def simple_value(self) -> _Piece | _Subst:
        if self.peek() == '"':
            return _Piece(self.quoted(), True)
        if self.peek() == "$":
            return self.substitution()
        if self.starts_unquoted():
            return _Piece(self.unquoted(), False)
        raise self.error(f"expected a value, found {self.describe()}")

    # -- tokens --

    def unquoted(self) -> str:
        begin = self.pos
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "+" and _EXPONENT_PREFIX.match(text, begin, self.pos):
                self.pos += 1
                continue
            if ch in _FORBIDDEN or ch == "\n" or _is_inline_ws(ch) or self.at_comment():
                break
            self.pos += 1
        return text[begin : self.pos]

    def quoted(self) -> str:
        if self.text.startswith('"""', self.pos):
            return self.triple_quoted()
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch or ch == "\n":
                raise self.error("unterminated quoted string (expected '\"')", start)
            self.pos += 1
            if ch == '"':
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                continue
            esc = self.peek()
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                self.pos += 1
            elif esc == "u":
                out.append(self.unicode_escape())
            else:
                raise self.error(f"invalid escape '\\{esc}' in quoted string", self.pos - 1)

    def unicode_escape(self) -> str:
        digits = self.text[self.pos + 1 : self.pos + 5]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            raise self.error("expected four hex digits after '\\u'", self.pos - 1)
        self.pos += 5
        code = int(digits, 16)
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            low = self.text[self.pos + 2 : self.pos + 6]
            if re.fullmatch(r"[dD][c-fC-F][0-9A-Fa-f]{2}", low):
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        return chr(code)

    def triple_quoted(self) -> str:
        start = self.pos
        end = self.text.find('"""', self.pos + 3)
        if end < 0:
            raise self.error('unterminated triple-quoted string (expected \'"""\')', start)
        while self.text.startswith('"', end + 3):  # extra quotes belong to the string
            end += 1
        self.pos = end + 3
        return self.text[start + 3 : end]

    def substitution(self) -> _Subst:
        start = self.pos
        if self.peek(1) != "{":
            raise self.error("expected '{' after '$'")
        self.pos += 2
        optional = self.peek() == "?"
        if optional:
            self.pos += 1
        self.skip_inline_ws()
        path = self.key()
        self.skip_inline_ws()
        if self.peek() != "}":
            raise self.error(f"expected '}}' to close the substitution, found {self.describe()}")
        self.pos += 1
        return _Subst(path, optional, start)


def _combine(parts: list[_Piece | _Subst], start: int) -> _Raw:
    if len(parts) == 1:
        only = parts[0]
        if isinstance(only, _Subst):
            return only
        return only.text if only.quoted else _scalar(only.text)
    if any(isinstance(p, _Subst) for p in parts):
        return _Concat([p if isinstance(p, _Subst) else p.text for p in parts], start)
    return "".join(p.text for p in parts if isinstance(p, _Piece))


def _scalar(token: str) -> HoconValue:
    if token == "true":
        return True
    if token == "false":
        return False
    if token == "null":
        return None
    match = _NUMBER.match(token)
    if match:
        return float(token) if match.group(1) or match.group(2) else int(token)
    return token


def _assign(obj: dict[str, _Raw], path: Path, value: _Raw) -> None:
    for element in path[:-1]:
        child = obj.get(element)
        if not isinstance(child, dict):
            child = {}
            obj[element] = child
        obj = child
    last = path[-1]
    old = obj.get(last)
    if isinstance(old, dict) and isinstance(value, dict):
        _merge(old, value)
    else:
        obj[last] = value


def _merge(into: dict[str, _Raw], other: dict[str, _Raw]) -> None:
    for key, value in other.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        else:
            into[key] = value


# -- substitutions ------------------------------------------------------------------

_MISSING = object()


class _Resolver:
    def __init__(
        self, root: dict[str, _Raw], env: Mapping[str, str] | None, parser: _Parser
    ) -> None:
        self.root = root
        self.env = env
        self.parser = parser
        self.busy: set[int] = set()

    def run(self) -> None:
        self.walk(self.root)

    def walk(self, node: object) -> object:
        """Resolve `node` in place (containers) or return its resolved value."""
        if isinstance(node, dict):
            for key in list(node):
                if key not in node:  # dropped while resolving a sibling
                    continue
                value = self.walk(node[key])
                if value is _MISSING:
                    del node[key]
                else:
                    node[key] = value
            return node
        if isinstance(node, list):
            node[:] = [v for v in (self.walk(item) for item in node) if v is not _MISSING]
            return node
        if isinstance(node, _Subst | _Concat):
            return self.resolve(node)
        return node

    def resolve(self, node: _Subst | _Concat) -> object:
        if id(node) in self.busy:
            raise self.parser.error("substitution refers to itself (a cycle)", node.offset)
        self.busy.add(id(node))
        try:
            if isinstance(node, _Subst):
                return self.lookup(node)
            texts: list[str] = []
            for part in node.parts:
                if isinstance(part, str):
                    texts.append(part)
                    continue
                value = self.lookup(part)
                if value is _MISSING:
                    continue
                if isinstance(value, dict | list):
                    raise self.parser.error(
                        "cannot concatenate an object or array into a string", part.offset
                    )
                texts.append(_text(value))
            return "".join(texts)
        finally:
            self.busy.discard(id(node))

    def lookup(self, subst: _Subst) -> object:
        node: object = self.root
        for element in subst.path:
            if not isinstance(node, dict) or element not in node:
                node = _MISSING
                break
            child = node[element]
            if isinstance(child, _Subst | _Concat):
                child = self.resolve(child)
                if child is _MISSING:
                    del node[element]
                    node = _MISSING
                    break
                node[element] = child
            node = child
        if node is not _MISSING:
            return copy.deepcopy(self.walk(node))
        name = ".".join(subst.path)
        if self.env is not None and name in self.env:
            return self.env[name]
        if subst.optional:
            return _MISSING
        raise self.parser.error(
            f"unresolved substitution ${{{join_path(subst.path)}}}", subst.offset
        )


def _text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
