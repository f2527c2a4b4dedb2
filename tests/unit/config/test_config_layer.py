"""Layers and the layered Config: precedence, origins, edits, plain-data forms."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from midonet.config.duration import Duration
from midonet.config.layer import (
    Config,
    ConfigLayer,
    Setting,
    host_layer,
    template_layer,
)
from midonet.config.schema import SCHEMA, InvalidValue, UnknownKey
from midonet.config.template import BUILTIN_TEMPLATES, builtin_template
from midonet.config.valuetype import (
    BoolType,
    DurationType,
    EnumType,
    IntType,
    KeySpec,
    StringType,
    TypedValue,
)
from midonet.errors import ConfigError

HOST = uuid.UUID("a5ff1460-d00c-11e4-8830-0800200c9a66")
PORT = "cluster.rest_api.http_port"


def layer(name: str, text: str) -> ConfigLayer:
    return ConfigLayer.from_hocon(name, text)


def stack() -> Config:
    default = f"{PORT} = 8080\nagent.loggers.root = WARN"
    return Config.for_node(
        default_template=layer(template_layer("default"), default),
        template=layer(template_layer("gateway"), f"{PORT} = 8081"),
        host=layer(host_layer(HOST), f"{PORT} = 8082\nzookeeper.session_timeout = 10s"),
        local=[layer("file:/etc/midonet/midonet.conf", f"{PORT} = 8083")],
    )  # fmt: skip


def test_schema_default_when_nothing_is_set() -> None:
    cfg = Config()
    assert cfg.get(PORT) == 8181
    assert cfg.origin(PORT) == "schema"
    assert cfg.get("cluster.auth.provider_class") == "org.midonet.cluster.auth.MockAuthService"


def test_each_layer_beats_the_ones_below() -> None:
    cfg = stack()
    assert cfg.lookup(PORT) == Setting(PORT, 8083, "file:/etc/midonet/midonet.conf")
    layers = list(cfg.layers)
    expected = [8080, 8081, 8082, 8083]
    for n in range(1, 5):
        partial = Config(layers[:n])
        assert partial.get(PORT) == expected[n - 1]
        assert partial.origin(PORT) == layers[n - 1].name


def test_layer_names() -> None:
    assert [lay.name for lay in stack().layers] == [
        "template:default",
        "template:gateway",
        f"host:{HOST}",
        "file:/etc/midonet/midonet.conf",
    ]


def test_followers_take_the_value_and_origin_of_their_source() -> None:
    cfg = stack()
    grace = cfg.lookup("zookeeper.session_gracetime")
    assert grace == Setting(
        "zookeeper.session_gracetime", Duration.of(10), f"host:{HOST}", "zookeeper.session_timeout"
    )
    logger = cfg.lookup("agent.loggers.org.midonet.devices.bridge")
    assert (logger.value, logger.origin, logger.via) == (
        "WARN",
        "template:default",
        "agent.loggers.root",
    )
    fixed = cfg.lookup("agent.loggers.org.apache.zookeeper")
    assert (fixed.value, fixed.origin, fixed.via) == ("INFO", "schema", None)
    unset = Config().lookup("zookeeper.session_gracetime")
    assert (unset.value, unset.origin, unset.via) == (
        Duration.of(30),
        "schema",
        "zookeeper.session_timeout",
    )


def test_a_follower_set_explicitly_wins() -> None:
    cfg = stack().with_layer(layer("host:x", "zookeeper.session_gracetime = 45s"))
    assert cfg.lookup("zookeeper.session_gracetime") == Setting(
        "zookeeper.session_gracetime", Duration.of(45), "host:x"
    )


def test_alias_reads_the_canonical_key() -> None:
    cfg = Config([layer("t", "cluster.state_proxy.server.port = 9999")])
    assert cfg.lookup("state_proxy.cluster.server.port") == Setting(
        "cluster.state_proxy.server.port", 9999, "t"
    )


def test_typed_getters() -> None:
    cfg = Config()
    assert cfg.get_int(PORT) == 8181
    assert cfg.get_bool("cluster.rest_api.enabled") is True
    assert cfg.get_str("zookeeper.root_key") == "/midonet"
    assert cfg.get_duration("zookeeper.session_timeout").seconds == 30.0
    with pytest.raises(ConfigError, match="is a bool, not a int"):
        cfg.get_int("cluster.rest_api.enabled")
    with pytest.raises(ConfigError, match="not a tuple"):
        cfg.get_list(PORT)


def test_unknown_keys_are_refused_on_read() -> None:
    with pytest.raises(UnknownKey, match=r"did you mean cluster\.rest_api\.http_port"):
        Config().get("cluster.rest_api.http_prt")


def test_layers_refuse_unknown_keys_and_wrong_types_naming_the_layer() -> None:
    with pytest.raises(UnknownKey, match=r"^template:default, line 1, column 1: unknown"):
        layer("template:default", "cluster.rest_api.nope = 1")
    with pytest.raises(InvalidValue, match=r"^host:h: cluster.rest_api.http_port: expected int"):
        ConfigLayer("host:h", {PORT: "eighty"})


def test_layer_is_a_typed_mapping() -> None:
    lay = ConfigLayer(
        "t", {"cluster": {"rest_api": {"http_port": "8080"}}, "agent.loggers.root": "debug"}
    )
    assert dict(lay) == {PORT: 8080, "agent.loggers.root": "DEBUG"}
    assert lay[PORT] == 8080
    aliased = ConfigLayer("t", {"state_proxy.cluster.server.port": 1})
    assert dict(aliased) == {"cluster.state_proxy.server.port": 1}
    assert aliased["state_proxy.cluster.server.port"] == 1
    assert len(lay) == 2 and PORT in lay
    assert lay == ConfigLayer("t", {PORT: 8080, "agent.loggers.root": "DEBUG"})
    assert lay != ConfigLayer("u", dict(lay))
    assert "ConfigLayer('t'" in repr(lay)


def test_layer_hocon_round_trip() -> None:
    lay = layer(
        "template:default",
        """
        agent.midolman.bgp_keepalive = 1
        agent.loggers."org.midonet.devices.bridge" = debug
        cluster.auth.keystone { protocol = https, admin_token = "s3cr=t" }
        zookeeper.session_timeout = 10000
        """,
    )
    text = lay.to_hocon()
    assert "bgp_keepalive = 1s" in text
    assert ConfigLayer.from_hocon("template:default", text) == lay


def test_layer_plain_dict_is_json_ready() -> None:
    lay = ConfigLayer("t", {"zookeeper.session_timeout": "10s", PORT: 1})
    plain = lay.to_dict()
    assert plain == {"zookeeper.session_timeout": "10s", PORT: 1}
    assert ConfigLayer("t", json.loads(json.dumps(plain))) == lay


def test_merged_and_without() -> None:
    lay = layer(
        "t", f"{PORT} = 1\ncluster.auth.keystone.host = ks\ncluster.auth.keystone.port = 5000"
    )
    assert lay.merged(f"{PORT} = 2")[PORT] == 2
    assert lay.merged({"zookeeper.root_key": "/x"})["zookeeper.root_key"] == "/x"
    assert dict(lay.without(PORT)) == {
        "cluster.auth.keystone.host": "ks",
        "cluster.auth.keystone.port": 5000,
    }
    assert dict(lay.without("cluster.auth.keystone")) == {PORT: 1}
    assert lay.without("cluster.auth.keystone.url") == lay
    assert lay.renamed("u").name == "u"
    with pytest.raises(InvalidValue):
        lay.merged(f"{PORT} = x")


def test_settings_sections_and_dump() -> None:
    cfg = stack().with_layer(layer("host:y", "agent.loggers.com.example = error"))
    names = [s.key for s in cfg.settings()]
    assert names[-1] == "agent.loggers.com.example"
    assert len(names) == len({spec.key for spec in cfg.settings()})
    section = cfg.section("cluster.rest_api")
    assert section["http_port"] == 8083 and section["root_uri"] == "/midonet-api"
    assert cfg.section("state_proxy.cluster.server")["port"] == 2346
    with pytest.raises(ConfigError, match="not a configuration section"):
        cfg.section("cluster.rest_api.http_port")
    effective = cfg.to_layer()
    assert effective[PORT] == 8083 and effective["agent.loggers.com.example"] == "ERROR"
    assert ConfigLayer.from_hocon("effective", cfg.to_hocon()) == effective


def test_layers_must_share_the_schema() -> None:
    from midonet.config.schema import Schema
    from midonet.config.valuetype import INT, key

    other = Schema([key("a.b", INT, 1, "x")])
    with pytest.raises(ConfigError, match="another schema"):
        Config([ConfigLayer("t", {"a.b": 2}, schema=other)])
    assert Config([ConfigLayer("t", {"a.b": 2}, schema=other)], schema=other).get("a.b") == 2


def test_builtin_templates() -> None:
    assert set(BUILTIN_TEMPLATES) == {
        "agent-compute-medium",
        "agent-compute-large",
        "agent-gateway-medium",
        "agent-gateway-large",
    }
    gateway = builtin_template("agent-gateway-large")
    assert gateway.name == "template:agent-gateway-large"
    cfg = Config.for_node(
        default_template=layer("template:default", "agent.datapath.vm_incoming_burst_capacity = 0"),
        template=gateway,
    )
    assert cfg.lookup("agent.datapath.vm_incoming_burst_capacity").value == 512
    assert cfg.get("agent.datapath.global_incoming_burst_capacity") == 1024
    assert cfg.get("agent.minions.flow_state.blocks_per_port") == 2048
    with pytest.raises(ConfigError, match="no built-in template 'agent-tiny'"):
        builtin_template("agent-tiny")


def _values_for(spec: KeySpec) -> st.SearchStrategy[TypedValue]:
    kind = spec.type
    if isinstance(kind, BoolType):
        return st.booleans()
    if isinstance(kind, IntType):
        return st.integers(kind.minimum, kind.maximum)
    if isinstance(kind, DurationType):
        return st.integers(0, 10**15).map(Duration)
    if isinstance(kind, EnumType):
        return st.sampled_from(kind.choices)
    assert isinstance(kind, StringType)
    return st.text()


@st.composite
def _layers(draw: st.DrawFn) -> dict[str, TypedValue]:
    specs = draw(st.lists(st.sampled_from(list(SCHEMA)), max_size=12, unique_by=lambda k: k.name))
    return {spec.name: draw(_values_for(spec)) for spec in specs}


@given(_layers())
def test_any_layer_round_trips_through_hocon_and_dict(values: dict[str, TypedValue]) -> None:
    lay = ConfigLayer("host:h", values)
    assert dict(lay) == values
    assert ConfigLayer.from_hocon("host:h", lay.to_hocon()) == lay
    assert ConfigLayer("host:h", json.loads(json.dumps(lay.to_dict()))) == lay
