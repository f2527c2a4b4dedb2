"""Writing HOCON back: readable output that reads back to the same tree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.config.duration import Duration
from midonet.config.hocon import HoconValue, loads
from midonet.config.hocon_writer import dumps, nest, render_value
from midonet.errors import ConfigError


def test_nested_output_is_readable() -> None:
    tree = {"agent": {"midolman": {"bgp_keepalive": Duration.of(1), "lock_memory": True}}}
    assert dumps(tree) == (
        "agent {\n"
        "    midolman {\n"
        "        bgp_keepalive = 1s\n"
        "        lock_memory = true\n"
        "    }\n"
        "}\n"
    )


def test_comments_go_above_their_key() -> None:
    text = dumps({"a": {"b": 1}}, comments={("a", "b"): "first\nsecond"}, indent=2)
    assert text == "a {\n  # first\n  # second\n  b = 1\n}\n"


def test_keys_and_strings_are_quoted_when_needed() -> None:
    text = dumps({"org.midonet": "x", "a b": "", "ok-key_1": "30"})
    assert text == '"org.midonet" = "x"\n"a b" = ""\nok-key_1 = "30"\n'
    assert loads(text) == {"org.midonet": "x", "a b": "", "ok-key_1": "30"}


def test_render_value() -> None:
    assert render_value(8181) == "8181"
    assert render_value(Duration.parse("250ms")) == "250ms"
    assert render_value(("a", "b")) == '["a", "b"]'
    assert render_value({"a": 1}) == "{ a = 1 }"
    assert render_value({}) == "{}"
    assert render_value(1e16) == "1e16"
    assert render_value(None) == "null"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object()])
def test_unwritable_values(value: object) -> None:
    with pytest.raises(ConfigError, match="cannot write"):
        dumps({"a": value})


def test_nest() -> None:
    assert nest({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    with pytest.raises(ConfigError, match="conflicts"):
        nest({"a": 1, "a.b": 2})
    with pytest.raises(ConfigError, match="conflicts"):
        nest({"a.b": 1, "a": 2})


def test_durations_read_back_as_strings() -> None:
    assert loads(dumps({"t": Duration.parse("12h"), "u": Duration.parse("1500ms")})) == {
        "t": "12h",
        "u": "1500ms",
    }


_keys = st.text(max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_keys, _values, max_size=6))
def test_round_trip(tree: dict[str, HoconValue]) -> None:
    assert loads(dumps(tree)) == tree
