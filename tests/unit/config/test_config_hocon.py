"""The HOCON reader: the guide's snippets verbatim, the syntax MidoNet's schemas
use, and errors that say where and what was expected."""

from __future__ import annotations

import pytest

from midonet.config.hocon import (
    HoconSyntaxError,
    Position,
    join_path,
    loads,
    parse,
    split_path,
)
from midonet.errors import ConfigError

# -- the Operations Guide's snippets, verbatim --------------------------------------

GUIDE_BGP = """\
agent {
    midolman {
        bgp_connect_retry=1
        bgp_holdtime=3
        bgp_keepalive=1
    }
}
"""

# The guide wraps this `echo` argument over two lines (a PDF artifact).
GUIDE_MOCK_AUTH = "cluster.auth.provider_class : org.midonet.cluster.auth.\nMockAuthService"

# The guide's ZooKeeper example stops after its first line (trailing spaces kept).
GUIDE_ZOOKEEPER = "zookeeper {  \n    zookeeper_hosts = <comma separated IPs>\n"


def test_guide_bgp_failover_block() -> None:
    assert loads(GUIDE_BGP) == {
        "agent": {"midolman": {"bgp_connect_retry": 1, "bgp_holdtime": 3, "bgp_keepalive": 1}}
    }


def test_guide_mock_auth_as_printed_is_two_lines_and_refused() -> None:
    with pytest.raises(HoconSyntaxError) as err:
        loads(GUIDE_MOCK_AUTH)
    assert (err.value.line, err.value.column) == (2, 16)
    assert "after key 'MockAuthService'" in str(err.value)


def test_guide_mock_auth_joined() -> None:
    assert loads(GUIDE_MOCK_AUTH.replace("\n", "")) == {
        "cluster": {"auth": {"provider_class": "org.midonet.cluster.auth.MockAuthService"}}
    }


def test_guide_state_proxy_choice_is_a_placeholder() -> None:
    text = "cluster.state_proxy.enabled : { true | false }"
    with pytest.raises(HoconSyntaxError, match=r"after key '\"true \| false\"'"):
        loads(text)
    assert loads(text.replace("{ true | false }", "false")) == {
        "cluster": {"state_proxy": {"enabled": False}}
    }


def test_guide_flow_state_local_push() -> None:
    assert loads("agent.minions.flow_state.local_push_state : false") == {
        "agent": {"minions": {"flow_state": {"local_push_state": False}}}
    }


def test_guide_zookeeper_block_is_truncated() -> None:
    with pytest.raises(HoconSyntaxError) as err:
        loads(GUIDE_ZOOKEEPER)
    assert (err.value.line, err.value.column) == (3, 1)
    assert "expected '}' to close the object opened at line 1, column 11" in str(err.value)
    assert loads(GUIDE_ZOOKEEPER + "}") == {
        "zookeeper": {"zookeeper_hosts": "<comma separated IPs>"}
    }


def test_mn_conf_man_page_examples_are_equivalent() -> None:
    nested = """
    foo {
        bar {
            baz : 42
            aString : "value"
            aDuration : "100ms"
        }
    }"""
    flat = """
     foo.bar.baz : 42
     foo.bar.aString : "value"
     foo.bar.aDuration : 100ms"""
    assert loads(nested) == loads(flat)


# -- syntax -------------------------------------------------------------------------


def test_separators_and_comments() -> None:
    text = """
    # hash comment
    a = 1          // slash comment
    b : 2, c = 3,
    d { e = 4 }    # object without separator
    f : { g = 5 }
    """
    assert loads(text) == {"a": 1, "b": 2, "c": 3, "d": {"e": 4}, "f": {"g": 5}}


def test_root_braces_are_optional() -> None:
    assert loads("{ a = 1, b { c = true } }") == loads("a = 1\nb.c = true")


def test_scalars() -> None:
    assert loads(
        'i = 42\nn = -7\nf = 1.5\ne = 1e+3\nt = true\nf2 = false\nz = null\ns = "x y"\nu = abc'
    ) == {
        "i": 42,
        "n": -7,
        "f": 1.5,
        "e": 1000.0,
        "t": True,
        "f2": False,
        "z": None,
        "s": "x y",
        "u": "abc",
    }


def test_durations_stay_strings_for_the_schema() -> None:
    assert loads("a = 30s\nb = 1000ms\nc = 5m\nd = 1 day\ne = 12h") == {
        "a": "30s",
        "b": "1000ms",
        "c": "5m",
        "d": "1 day",
        "e": "12h",
    }


def test_unquoted_strings_keep_inner_punctuation() -> None:
    tree = loads("p = /var/run/midolman/midolman.sock\nip = 10.0.0.1\nc = 169.254.123.0/24")
    assert tree == {
        "p": "/var/run/midolman/midolman.sock",
        "ip": "10.0.0.1",
        "c": "169.254.123.0/24",
    }


def test_colon_ends_an_unquoted_string() -> None:
    # `:` is reserved in HOCON: host:port lists must be quoted.
    with pytest.raises(HoconSyntaxError, match="found ':'"):
        loads("h = 127.0.0.1:2181")
    assert loads('h = "127.0.0.1:2181"') == {"h": "127.0.0.1:2181"}


def test_value_concatenation_keeps_inner_whitespace() -> None:
    assert loads('a = foo   bar "baz" qux\nb = 1 2') == {"a": "foo   bar baz qux", "b": "1 2"}


def test_quoted_strings_and_escapes() -> None:
    tree = loads(r'a = "tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00"')
    assert tree == {"a": 'tab\there "q" \\ / é 😀'}


def test_triple_quoted_strings_are_raw_and_multiline() -> None:
    text = 'd = """ Comma separated\n    list of "hosts" \\n"""\ne = """x""""'
    assert loads(text) == {"d": ' Comma separated\n    list of "hosts" \\n', "e": 'x"'}


def test_keys_dotted_quoted_and_with_dashes() -> None:
    text = """
    loggers {
        org.midonet.devices.pool-health-monitor : INFO
        "org.midonet" : DEBUG
        a."b.c".d = 1
    }"""
    assert loads(text) == {
        "loggers": {
            "org": {"midonet": {"devices": {"pool-health-monitor": "INFO"}}},
            "org.midonet": "DEBUG",
            "a": {"b.c": {"d": 1}},
        }
    }


def test_arrays_with_newlines_and_commas() -> None:
    text = "a = [1, 2,\n 3\n 4,]\nb = []\nc = [[1], {x = 2}]\nd = [1 2]"
    assert loads(text) == {"a": [1, 2, 3, 4], "b": [], "c": [[1], {"x": 2}], "d": ["1 2"]}


def test_objects_merge_when_a_path_repeats() -> None:
    text = """
    agent { midolman { bgp_keepalive = 1 } }
    agent.midolman.bgp_holdtime = 3
    agent { midolman { bgp_keepalive = 2 }, datapath { x = 1 } }
    """
    assert loads(text) == {
        "agent": {"midolman": {"bgp_keepalive": 2, "bgp_holdtime": 3}, "datapath": {"x": 1}}
    }


def test_later_scalar_replaces_and_later_object_replaces_scalar() -> None:
    assert loads("a = 1\na = 2") == {"a": 2}
    assert loads("a = 1\na { b = 2 }") == {"a": {"b": 2}}
    assert loads("a { b = 2 }\na = 1") == {"a": 1}


def test_newline_after_separator() -> None:
    assert loads('enabled_description:\n  """\n  Whether.\n  """') == {
        "enabled_description": "\n  Whether.\n  "
    }


def test_substitutions_like_the_schemas() -> None:
    text = """
    zookeeper {
        session_timeout : 30s
        session_gracetime : ${zookeeper.session_timeout}
    }
    loggers { root : "INFO", org.midonet.config : ${loggers.root} }
    path = ${zookeeper.session_timeout}" and more"
    gone = ${?not.there}
    list = [1, ${?not.there}, ${loggers.root}]
    """
    assert loads(text) == {
        "zookeeper": {"session_timeout": "30s", "session_gracetime": "30s"},
        "loggers": {"root": "INFO", "org": {"midonet": {"config": "INFO"}}},
        "path": "30s and more",
        "list": [1, "INFO"],
    }


def test_substitution_sees_the_final_value() -> None:
    assert loads("a = ${b}\nb = 1\nb = 2") == {"a": 2, "b": 2}


def test_substitution_of_an_object_is_a_copy() -> None:
    tree = loads("a { x = 1 }\nb = ${a}")
    assert tree == {"a": {"x": 1}, "b": {"x": 1}}
    assert tree["a"] is not tree["b"]


def test_substitution_falls_back_to_the_environment() -> None:
    text = "zookeeper.zookeeper_hosts = ${?MIDO_ZOOKEEPER_HOSTS}"
    assert loads(text) == {"zookeeper": {}}
    assert loads(text, env={"MIDO_ZOOKEEPER_HOSTS": "zk1:2181"}) == {
        "zookeeper": {"zookeeper_hosts": "zk1:2181"}
    }


def test_positions_of_keys() -> None:
    doc = parse("a {\n  b = 1\n}\nc.d = 2")
    assert doc.position(("a", "b")) == Position(2, 3)
    assert doc.position(("c", "d")) == Position(4, 1)
    assert doc.position(("c",)) == Position(4, 1)
    assert doc.flatten() == {"a.b": 1, "c.d": 2}


def test_paths_split_and_join() -> None:
    assert split_path('agent.loggers."org.midonet".x') == ("agent", "loggers", "org.midonet", "x")
    assert join_path(("agent", "loggers", "org.midonet", "")) == 'agent.loggers."org.midonet".""'
    with pytest.raises(ConfigError):
        split_path("a..b")


def test_empty_document() -> None:
    assert loads("") == {}
    assert loads("  # nothing\n\n// here\n") == {}


# -- errors: where and what was expected --------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a {\n  b = 1\n", 3, 1, "expected '}' to close the object opened at line 1, column 3"),
        ('a = "open\n', 1, 5, "unterminated quoted string"),
        ('a = """open', 1, 5, "unterminated triple-quoted string"),
        ("a = b^c", 1, 6, "expected ',', newline or end of input after a value, found '^'"),
        ("a\n", 1, 2, "expected ':', '=' or '{' after key 'a', found newline"),
        ("a = ", 1, 5, "expected a value for key 'a', found end of input"),
        ("a = }", 1, 5, "expected a value, found '}'"),
        ("a = 1,,b = 2", 1, 7, "expected a key, found ','"),
        ("a..b = 1", 1, 1, "empty element in key"),
        ("a = [1, 2", 1, 10, "expected ']' to close the array opened at line 1, column 5"),
        ("[1, 2]", 1, 1, "the root of a document must be an object"),
        ("{ a = 1 } b = 2", 1, 11, "expected end of input after the root object"),
        ('a = "\\q"', 1, 6, "invalid escape '\\q'"),
        ('a = "\\u12"', 1, 6, "expected four hex digits after '\\u'"),
        ('include "other.conf"', 1, 1, "'include' is not supported"),
        ("a += 1", 1, 3, "'+=' is not supported"),
        ("a = { x = 1 } y", 1, 15, "concatenating an object or array"),
        ("a = x [1]", 1, 7, "concatenating an object or array"),
        ("a = ${b}", 1, 5, "unresolved substitution ${b}"),
        ("a = ${b}\nb = ${a}", 1, 5, "substitution refers to itself"),
        ("a = $b", 1, 5, "expected '{' after '$'"),
        ("a = ${b", 1, 8, "expected '}' to close the substitution"),
        ("b { x = 1 }\na = ${b}c", 2, 5, "cannot concatenate an object or array"),
    ],
)
def test_syntax_errors(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(HoconSyntaxError) as err:
        loads(text)
    assert (err.value.line, err.value.column) == (line, column), str(err.value)
    assert message in str(err.value)
    assert str(err.value).startswith(f"line {line}, column {column}: ")
    assert isinstance(err.value, ConfigError)


def test_error_names_the_source() -> None:
    with pytest.raises(HoconSyntaxError, match=r"^template:default: line 1, column 2: "):
        parse("a\n", source="template:default")
