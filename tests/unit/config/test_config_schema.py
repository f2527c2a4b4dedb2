"""The schema: the guide's keys and defaults, types, and what validation refuses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from midonet.config.duration import Duration
from midonet.config.hocon import parse
from midonet.config.schema import SCHEMA, InvalidConfig, InvalidValue, Schema, UnknownKey
from midonet.config.valuetype import (
    BOOL,
    DURATION,
    INT,
    STRING,
    STRING_LIST,
    EnumType,
    IntType,
    TypedValue,
    key,
)
from midonet.errors import ConfigError

s = Duration.of

# Every default the Operations Guide states, as it states it.
GUIDE_DEFAULTS: dict[str, TypedValue] = {
    # Authentication
    "cluster.auth.provider_class": "org.midonet.cluster.auth.MockAuthService",
    "cluster.auth.keystone.version": 3,
    "cluster.auth.keystone.protocol": "http",
    "cluster.auth.keystone.host": "localhost",
    # Advanced REST API options
    "cluster.rest_api.enabled": True,
    "cluster.rest_api.http_port": 8181,
    "cluster.rest_api.https_port": 8443,
    # Service containers, agent
    "agent.containers.enabled": True,
    "agent.containers.timeout": s(30),
    "agent.containers.shutdown_grace_time": s(30),
    "agent.containers.log_directory": "containers",
    "agent.containers.ipsec.logging_enabled": True,
    "agent.containers.ipsec.logging_poll_interval": s(250, "ms"),
    "agent.containers.ipsec.logging_timeout": s(3),
    "agent.containers.ipsec.status_update_interval": s(5),
    # Service containers, cluster
    "cluster.containers.enabled": True,
    "cluster.containers.scheduler_timeout": s(10),
    "cluster.containers.scheduler_bad_host_lifetime": s(5, "m"),
    # State proxy, client
    "state_proxy.enabled": True,
    "state_proxy.soft_reconnect_delay": s(1),
    "state_proxy.max_soft_reconnect_attempts": 50,
    "state_proxy.hard_reconnect_delay": s(30),
    "state_proxy.network_threads": 2,
    # State proxy, service (the guide spells these state_proxy.cluster.*)
    "state_proxy.cluster.cache_threads": 4,
    "state_proxy.cluster.notify_batch_size": 64,
    "state_proxy.cluster.initial_subscriber_queue_size": 16,
    "state_proxy.cluster.server.address": "0.0.0.0",
    "state_proxy.cluster.server.port": 2346,
    "state_proxy.cluster.server.supervisor_threads": 1,
    "state_proxy.cluster.server.worker_threads": 4,
    "state_proxy.cluster.server.max_pending_connections": 1024,
    "state_proxy.cluster.server.bind_retry_interval": s(60),
    "state_proxy.cluster.server.channel_timeout": s(15),
    "state_proxy.cluster.server.shutdown_quiet_period": s(0),
    "state_proxy.cluster.server.shutdown_timeout": s(15),
    # Flow state storage
    "agent.minions.flow_state.legacy_push_state": False,
    "agent.minions.flow_state.local_push_state": True,
    "agent.minions.flow_state.port": 6688,
    "agent.minions.flow_state.connection_timeout": s(2),
    "agent.minions.flow_state.block_size": 262144,
    "agent.minions.flow_state.blocks_per_port": 512,
    "agent.minions.flow_state.expiration_time": s(120),
    "agent.minions.flow_state.expiration_delay": s(30),
    "agent.minions.flow_state.clean_unused_files_delay": s(12, "h"),
    "agent.minions.flow_state.log_directory": "flowstate",
    # ZooKeeper
    "zookeeper.session_gracetime": s(30),
}

# Keys the guide names without a default; the schema must still know them.
GUIDE_KEYS = [
    "agent.datapath.global_incoming_burst_capacity",
    "agent.datapath.tunnel_incoming_burst_capacity",
    "agent.datapath.vm_incoming_burst_capacity",
    "agent.datapath.vtep_incoming_burst_capacity",
    "agent.datapath.send_buffer_pool_buf_size_kb",
    "agent.containers.thread_count",
    "cluster.containers.scheduler_retry",
    "cluster.containers.scheduler_max_retries",
    "cluster.auth.admin_role",
    "cluster.state_proxy.enabled",
    "zookeeper.zookeeper_hosts",
    "zookeeper.session_timeout",
    "zookeeper.root_key",
    "agent.midolman.bgp_connect_retry",
    "agent.midolman.bgp_holdtime",
    "agent.midolman.bgp_keepalive",
]


@pytest.mark.parametrize(("name", "default"), GUIDE_DEFAULTS.items())
def test_guide_defaults(name: str, default: TypedValue) -> None:
    assert SCHEMA.spec(name).default == default


@pytest.mark.parametrize("name", GUIDE_KEYS)
def test_guide_keys_exist(name: str) -> None:
    assert name in SCHEMA


def test_issue_defaults() -> None:
    d = SCHEMA.defaults()
    assert d["cluster.rest_api.root_uri"] == "/midonet-api"
    assert d["zookeeper.zookeeper_hosts"] == "127.0.0.1:2181"
    assert d["zookeeper.session_timeout"] == s(30)
    assert d["zookeeper.root_key"] == "/midonet"
    assert d["zookeeper.max_retries"] == 10
    assert d["zookeeper.base_retry"] == s(1)
    assert d["agent.midolman.bgp_keepalive"] == s(60)
    assert d["agent.midolman.bgp_holdtime"] == s(180)
    assert d["agent.midolman.bgp_connect_retry"] == s(120)
    assert d["agent.haproxy_health_monitor.health_monitor_enable"] is True
    assert d["cluster.auth.keystone.domain_id"] == "default"
    assert d["agent.loggers.root"] == "INFO"


def test_guide_bgp_block_validates_in_seconds() -> None:
    text = "agent {\n    midolman {\n        bgp_connect_retry=1\n        bgp_holdtime=3\n"
    text += "        bgp_keepalive=1\n    }\n}\n"
    assert SCHEMA.validate(text) == {
        "agent.midolman.bgp_connect_retry": s(1),
        "agent.midolman.bgp_holdtime": s(3),
        "agent.midolman.bgp_keepalive": s(1),
    }


def test_guide_examples_validate() -> None:
    assert SCHEMA.validate(
        "cluster.auth.provider_class : org.midonet.cluster.auth.MockAuthService"
    ) == {"cluster.auth.provider_class": "org.midonet.cluster.auth.MockAuthService"}
    assert SCHEMA.validate("cluster.state_proxy.enabled : false") == {
        "cluster.state_proxy.enabled": False
    }
    assert SCHEMA.validate("agent.minions.flow_state.local_push_state : false") == {
        "agent.minions.flow_state.local_push_state": False
    }


def test_zookeeper_timeouts_in_milliseconds() -> None:
    # The guide gives ZooKeeper timeouts in milliseconds (30000 in its web.xml).
    assert SCHEMA.convert("zookeeper.session_timeout", 30000) == (
        "zookeeper.session_timeout",
        s(30),
    )


def test_alias_is_canonicalized() -> None:
    assert SCHEMA.spec("state_proxy.cluster.server.port").name == "cluster.state_proxy.server.port"
    assert SCHEMA.validate("state_proxy.cluster { server.port = 2347 }") == {
        "cluster.state_proxy.server.port": 2347
    }


def test_conversions_are_lenient_and_normalize() -> None:
    v = SCHEMA.validate(
        """
        agent.midolman.lock_memory = "yes"
        agent.flow_history.queue_size = "256"
        agent.loggers.root = debug
        cluster.rest_api.root_uri = 42
        zookeeper.session_timeout = 10000ms
        agent.minions.flow_state.expiration_time = "2 minutes"
        """
    )
    assert v == {
        "agent.midolman.lock_memory": True,
        "agent.flow_history.queue_size": 256,
        "agent.loggers.root": "DEBUG",
        "cluster.rest_api.root_uri": "42",
        "zookeeper.session_timeout": s(10),
        "agent.minions.flow_state.expiration_time": s(120),
    }


def test_loggers_are_open() -> None:
    v = SCHEMA.validate("agent.loggers.org.midonet.my-module = warn")
    assert v == {"agent.loggers.org.midonet.my-module": "WARN"}
    spec = SCHEMA.spec("cluster.loggers.com.example")
    assert spec.default_from == "cluster.loggers.root"
    with pytest.raises(InvalidValue, match="expected one of TRACE, DEBUG, INFO"):
        SCHEMA.validate("agent.loggers.org.midonet.my-module = loud")


# -- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('cluster.rest_api.http_port = "abc"',
         "cluster.rest_api.http_port: expected int from 0 to 65535, got string 'abc'"),
        ("cluster.rest_api.http_port = 70000",
         "http_port: expected int from 0 to 65535, got number 70000 (out of range)"),
        ("cluster.rest_api.http_port = 8181.5",
         "expected int from 0 to 65535, got number 8181.5"),
        ("cluster.rest_api.http_port = true", "got boolean true"),
        ("cluster.rest_api.enabled = maybe", "cluster.rest_api.enabled: expected bool, got string"),
        ("zookeeper.session_timeout = 30 parsecs", "unknown unit 'parsecs'"),
        ("zookeeper.session_timeout = [30s]", "expected duration"),
        ("cluster.auth.keystone.protocol = ftp", "expected one of http, https, got string 'ftp'"),
        ("cluster.auth.keystone.version = 4", "expected int from 2 to 3"),
        ("cluster.rest_api.root_uri = null", "expected string, got null"),
        ("cluster.rest_api.root_uri { a = 1 }", "cluster.rest_api.root_uri is a value"),
        ("agent.midolman.simulation_threads = 0", "expected int >= 1"),
    ],
)  # fmt: skip
def test_wrong_types(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SCHEMA.validate(text)
    assert message in str(err.value)
    assert str(err.value).startswith("line 1, column ")


def test_invalid_value_carries_the_key() -> None:
    with pytest.raises(InvalidValue) as err:
        SCHEMA.convert("cluster.rest_api.http_port", "abc")
    assert err.value.key == "cluster.rest_api.http_port"
    assert err.value.position is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cluster.rest_api.http_prot",
         "unknown configuration key cluster.rest_api.http_prot (did you mean "
         "cluster.rest_api.http_port?)"),
        ("no.such.key", "unknown configuration key no.such.key"),
        ("cluster.rest_api", "cluster.rest_api is a section, not a key"),
        ("agent.loggers", "agent.loggers is a section, not a key"),
        ("agent.loggers.org.midonet.devices.bridge.bridge-1",
         "agent.loggers.org.midonet.devices.bridge is a value, not a section"),
        ("agent.schemaVersion", "unknown configuration key"),
    ],
)  # fmt: skip
def test_unknown_keys(name: str, message: str) -> None:
    with pytest.raises(UnknownKey) as err:
        SCHEMA.spec(name)
    assert message in str(err.value)
    assert name not in SCHEMA


def test_document_errors_are_all_reported_with_positions() -> None:
    text = "cluster {\n  rest_api.http_port = x\n  rest_api.nope = 1\n}\nzookeeper.root_key = /ok\n"
    with pytest.raises(InvalidConfig) as err:
        SCHEMA.validate(text, source="template:default")
    first, second = err.value.errors
    assert str(first).startswith("template:default, line 2, column 3: cluster.rest_api.http_port:")
    assert isinstance(second, UnknownKey)
    assert str(second).startswith("template:default, line 3, column 3: unknown configuration key")


def test_validate_accepts_nested_or_dotted_mappings() -> None:
    nested = {"cluster": {"rest_api": {"http_port": "8080"}}}
    dotted = {"cluster.rest_api.http_port": 8080, 'agent.loggers."org.x"': "info"}
    assert SCHEMA.validate(nested) == {"cluster.rest_api.http_port": 8080}
    assert SCHEMA.validate(dotted) == {
        "cluster.rest_api.http_port": 8080,
        "agent.loggers.org.x": "INFO",
    }


def test_validate_empty_document() -> None:
    assert SCHEMA.validate("") == {}
    assert SCHEMA.validate("agent {}") == {}


# -- the catalogue itself ------------------------------------------------------------


def test_every_key_is_documented_and_its_default_is_typed() -> None:
    assert len(SCHEMA) > 250
    for spec in SCHEMA:
        assert spec.description, spec.name
        assert spec.type.convert(spec.default) == spec.default, spec.name


def test_followers_default_like_their_source() -> None:
    followers = [spec for spec in SCHEMA if spec.default_from]
    assert any(spec.name == "zookeeper.session_gracetime" for spec in followers)
    for spec in followers:
        assert SCHEMA.spec(spec.default_from or "").default == spec.default


def test_schema_dump_reads_back_to_the_defaults() -> None:
    text = SCHEMA.to_hocon()
    assert "# Listening port of the HTTP end-point.\n" in text
    assert SCHEMA.validate(text) == SCHEMA.defaults()
    assert SCHEMA.validate(SCHEMA.to_hocon(comments=False)) == SCHEMA.defaults()


def test_doc() -> None:
    doc = SCHEMA.doc("zookeeper.session_gracetime")
    assert doc.startswith("zookeeper.session_gracetime = 30s\n")
    assert "defaults to zookeeper.session_timeout" in doc


def test_sections() -> None:
    assert SCHEMA.is_section("agent.minions.flow_state")
    assert SCHEMA.is_section("state_proxy.cluster.server")
    assert not SCHEMA.is_section("cluster.rest_api.http_port")
    names = [spec.name for spec in SCHEMA.under("cluster.auth.keystone")]
    assert "cluster.auth.keystone.admin_token" in names
    assert all(name.startswith("cluster.auth.keystone.") for name in names)


def test_schema_consistency_checks() -> None:
    a = key("a.b", INT, 1, "x")
    with pytest.raises(ConfigError, match="twice"):
        Schema([a, a])
    with pytest.raises(ConfigError, match="also a section"):
        Schema([a, key("a.b.c", INT, 1, "x")])
    with pytest.raises(ConfigError, match="defaults to a missing"):
        Schema([key("a.c", STRING, "1", "x", default_from="a.b"), a])
    with pytest.raises(ConfigError, match="no section"):
        Schema([a], aliases={"x": "nope"})
    with pytest.raises(ConfigError, match=r"bad default for a\.d"):
        key("a.d", BOOL, "perhaps", "x")


def test_other_value_types() -> None:
    schema = Schema(
        [
            key("s.hosts", STRING_LIST, [], "hosts"),
            key("s.mode", EnumType(("fast", "safe")), "safe", "mode"),
            key("s.level", IntType(maximum=10), 1, "level"),
            key("s.delay", DURATION, 5, "delay"),
        ]
    )
    assert schema.validate('s.hosts = [a, "b", 3]\ns.mode = fast\ns.level = -4\ns.delay = 7') == {
        "s.hosts": ("a", "b", "3"),
        "s.mode": "fast",
        "s.level": -4,
        "s.delay": Duration.of(7, "ms"),
    }
    assert schema.spec("s.delay").default == Duration.of(5, "ms")
    with pytest.raises(InvalidValue, match="expected list of strings, got string"):
        schema.validate("s.hosts = a")
    with pytest.raises(InvalidValue, match="element an object"):
        schema.validate("s.hosts = [{a = 1}]")
    with pytest.raises(InvalidValue, match="expected one of fast, safe, got string 'FAST'"):
        schema.validate("s.mode = FAST")
    with pytest.raises(InvalidValue, match="expected int <= 10"):
        schema.validate("s.level = 11")


# -- cross-check with MidoNet 5.4's own schema files, where the mirror exists --------

_MIRROR = Path("/work/.mirror/midonet+midonet/repo")
_TAG = "v5.4.3-rc0"
_FILES = [
    "midolman/src/main/resources/org/midonet/conf/schemas/agent.conf",
    "midonet-cluster/src/main/resources/org/midonet/conf/schemas/cluster.conf",
    "nsdb/src/main/resources/org/midonet/conf/schemas/nsdb.conf",
]
# Where the guide states another default than the 5.4 schema file, the guide wins.
_GUIDE_OVERRIDES = {
    "cluster.containers.scheduler_bad_host_lifetime",
    "state_proxy.max_soft_reconnect_attempts",
}


@pytest.mark.skipif(
    not _MIRROR.is_dir() or shutil.which("git") is None, reason="no MidoNet mirror here"
)
def test_same_keys_and_defaults_as_midonet_5_4() -> None:
    real: dict[str, object] = {}
    for name in _FILES:
        text = subprocess.run(
            ["git", "-C", str(_MIRROR), "show", f"{_TAG}:{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        real.update(parse(text, source=name).flatten())
    meta = ("_description", "_type", "schemaVersion")
    real = {k: v for k, v in real.items() if not k.endswith(meta)}
    ours = {spec.name for spec in SCHEMA}
    # Ours alone: the bootstrap timeout, and the control endpoint that stands in for
    # MidoNet's JMX port (set through JVM options there, not the config schema).
    only_ours = {
        "zookeeper.bootstrap_timeout",
        "agent.control.enabled",
        "agent.control.address",
        "agent.control.port",
        "agent.datapath.busy_poll_us",
        "agent.datapath.kernel_fast_path",
    }
    assert set(real) == ours - only_ours
    for name, raw in real.items():
        if name in _GUIDE_OVERRIDES:
            continue
        value = raw.strip() if isinstance(raw, str) and not raw.strip() else raw
        assert SCHEMA.spec(name).type.convert(value) == SCHEMA.spec(name).default, name
