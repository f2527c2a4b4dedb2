"""`mn-conf` run as its console script against a temporary embedded NSDB: the guide's
examples, templates and host overrides with their precedence, and refused input."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from midonet.agent.host_id import host_id
from midonet.config import Duration
from midonet.node import node_config
from midonet.store import EmbeddedStore

SCRIPT = Path(sys.executable).parent / "mn-conf"
HOST = uuid.UUID("a5ff1460-d00c-11e4-8830-0800200c9a66")


class MnConf:
    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "nsdb.db"
        self.state = tmp / "state"

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [str(SCRIPT), *args, "--nsdb", f"file:{self.db}", "--state-dir", str(self.state)]
        return subprocess.run(
            command, check=False, input=stdin, capture_output=True, text=True, timeout=60
        )

    def ok(self, *args: str, stdin: str = "") -> str:
        done = self(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        return done.stdout

    def fails(self, status: int, *args: str, stdin: str = "") -> str:
        done = self(*args, stdin=stdin)
        assert done.returncode == status, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("mn-conf: ") and done.stderr.count("\n") == 1
        return done.stderr

    def store(self) -> EmbeddedStore:
        return EmbeddedStore(self.db)


@pytest.fixture
def mn(tmp_path: Path) -> MnConf:
    return MnConf(tmp_path)


def test_console_script_is_declared() -> None:
    (found,) = [e for e in entry_points(group="console_scripts") if e.name == "mn-conf"]
    assert found.value == "midonet.tools.mn_conf:main"
    assert SCRIPT.exists()


# --- the guide's command lines --------------------------------------------------------

GUIDE_SETS = [
    # Authentication: mock (the guide wraps the class name over two lines) and Keystone.
    ("cluster.auth.provider_class : org.midonet.cluster.auth.MockAuthService",
     "cluster.auth.provider_class", '"org.midonet.cluster.auth.MockAuthService"'),
    ("cluster.auth.provider_class : org.midonet.cluster.auth.keystone.KeystoneService",
     "cluster.auth.provider_class", '"org.midonet.cluster.auth.keystone.KeystoneService"'),
    # State proxy: `{ true | false }` stands for either value.
    ("cluster.state_proxy.enabled : true", "cluster.state_proxy.enabled", "true"),
    ("cluster.state_proxy.enabled : false", "cluster.state_proxy.enabled", "false"),
    # Flow-state storage.
    ("agent.minions.flow_state.local_push_state : false",
     "agent.minions.flow_state.local_push_state", "false"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "key", "value"), GUIDE_SETS)
def test_guide_echo_into_set_default_template(mn: MnConf, line: str, key: str, value: str) -> None:
    assert mn.ok("set", "-t", "default", stdin=line + "\n") == ""
    assert mn.ok("get", key) == f"{key} = {value}\n"
    assert mn.ok("get", "-t", "default", key) == f"{key} = {value}\n"


def test_guide_state_proxy_per_node_with_h_switch(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", stdin="cluster.state_proxy.enabled : true")
    mn.ok("set", "-h", str(HOST), stdin="cluster.state_proxy.enabled : false")
    assert mn.ok("get", "-h", str(HOST), "cluster.state_proxy.enabled").endswith("false\n")
    other = str(uuid.uuid4())
    assert mn.ok("get", "-h", other, "cluster.state_proxy.enabled").endswith("true\n")
    # and the NSDB client side: state_proxy.enabled per node
    mn.ok("set", "-h", str(HOST), "state_proxy.enabled : false")
    assert mn.ok("get", "-h", str(HOST), "state_proxy.enabled") == "state_proxy.enabled = false\n"


def test_guide_state_proxy_cluster_advanced_options_by_either_spelling(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", stdin="state_proxy.cluster.server.port : 2347\n"
          "state_proxy.cluster.server.bind_retry_interval : 0\n"
          "state_proxy.cluster.cache_threads : 8")  # fmt: skip
    assert mn.ok("get", "cluster.state_proxy.server.port") == (
        "cluster.state_proxy.server.port = 2347\n"
    )
    assert mn.ok("get", "state_proxy.cluster.cache_threads").endswith("= 8\n")
    assert "bind_retry_interval = 0s" in mn.ok("get", "cluster.state_proxy.server")


def test_guide_resource_protection_disabled(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", stdin="""
        agent.datapath {
            global_incoming_burst_capacity = 128
            tunnel_incoming_burst_capacity = 0
            vm_incoming_burst_capacity = 0
            vtep_incoming_burst_capacity = 0
        }""")  # fmt: skip
    section = mn.ok("get", "agent.datapath")
    assert "global_incoming_burst_capacity = 128" in section
    assert "vm_incoming_burst_capacity = 0" in section


def test_guide_service_containers_and_rest_api_keys(mn: MnConf) -> None:
    mn.ok("set", "-h", str(HOST), stdin="agent.containers.enabled : false")
    mn.ok("set", "-t", "default", stdin="""
        cluster.containers { scheduler_timeout = 20s, scheduler_bad_host_lifetime = 0 }
        cluster.rest_api { http_port = 8080, https_port = 8444, enabled = true }""")  # fmt: skip
    dump = mn.ok("dump", "-h", str(HOST))
    assert "scheduler_timeout = 20s" in dump
    assert "http_port = 8080" in dump
    assert mn.ok("get", "-h", str(HOST), "agent.containers.enabled").endswith("false\n")
    assert mn.ok("get", "-t", "default", "cluster.containers.scheduler_bad_host_lifetime").endswith(
        "= 0s\n"
    )


def test_guide_zookeeper_and_bgp_failover_snippets(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", stdin="zookeeper {\n    session_gracetime = 10s\n}\n")
    mn.ok("set", "-t", "default", stdin="""
        agent {
            midolman {
                bgp_connect_retry=1
                bgp_holdtime=3
                bgp_keepalive=1
            }
        }""")  # fmt: skip
    assert mn.ok("get", "agent.midolman.bgp_holdtime") == "agent.midolman.bgp_holdtime = 3s\n"
    assert mn.ok("get", "zookeeper.session_gracetime").endswith("= 10s\n")
    flow_state = mn.ok("get", "agent.minions.flow_state")
    assert "block_size = 262144" in flow_state and "expiration_time = 2m" in flow_state


def test_guide_literal_placeholder_is_refused_with_its_position(mn: MnConf) -> None:
    err = mn.fails(
        4, "set", "-t", "default", stdin="cluster.state_proxy.enabled : { true | false }"
    )
    assert "STDIN: line 1, column" in err


# --- layering and precedence ----------------------------------------------------------


def test_precedence_schema_default_template_assigned_template_host(mn: MnConf) -> None:
    key = "agent.datapath.max_flow_count"
    h = str(HOST)
    assert mn.ok("get", "-h", h, key) == f"{key} = 20000\n"
    mn.ok("set", "-t", "default", f"{key} : 30000")
    assert mn.ok("get", "-h", h, key) == f"{key} = 30000\n"
    assert mn.ok("template-set", "-h", h, "-t", "agent-compute-medium") == (
        "Deployed configuration template: agent-compute-medium\n"
    )
    assert mn.ok("get", "-h", h, key) == f"{key} = 350000\n"
    mn.ok("set", "-h", h, f"{key} : 5")
    assert mn.ok("get", "-h", h, key) == f"{key} = 5\n"
    assert f"# host:{h}: " in mn.ok("dump", "-h", h, "-c")
    mn.ok("unset", "-h", h, key)
    assert mn.ok("get", "-h", h, key) == f"{key} = 350000\n"
    mn.ok("template-clear", "-h", h)
    assert mn.ok("get", "-h", h, key) == f"{key} = 30000\n"
    mn.ok("unset", "-t", "default", key)
    assert mn.ok("get", "-h", h, key) == f"{key} = 20000\n"


def test_template_view_is_the_template_over_default_without_schema(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", "cluster.rest_api.http_port : 8080")
    mn.ok("set", "-t", "gw", "agent.midolman.simulation_threads : 4")
    assert mn.ok("dump", "-t", "gw") == (
        "agent {\n    midolman {\n        simulation_threads = 4\n    }\n}\n"
        "cluster {\n    rest_api {\n        http_port = 8080\n    }\n}\n"
    )
    assert "not set" in mn.fails(11, "get", "-t", "gw", "cluster.rest_api.https_port")


def test_set_merges_and_clear_replaces(mn: MnConf) -> None:
    mn.ok("set", "-t", "t1", "cluster.rest_api.http_port : 1")
    mn.ok("set", "-t", "t1", "cluster.rest_api.https_port : 2")
    assert json.loads(mn.ok("dump", "-t", "t1", "-j"))["cluster"]["rest_api"] == {
        "http_port": 1, "https_port": 2}  # fmt: skip
    mn.ok("set", "-t", "t1", "-c", stdin="cluster.rest_api.https_port : 3")
    assert json.loads(mn.ok("dump", "-t", "t1", "-j"))["cluster"]["rest_api"] == {"https_port": 3}


def test_unset_section_host_only_and_hosts_listing(mn: MnConf) -> None:
    h = str(HOST)
    mn.ok("set", "-h", h, "cluster.rest_api { http_port = 1, https_port = 2 }")
    assert mn.ok("dump", "-h", h, "-H") == (
        "cluster {\n    rest_api {\n        http_port = 1\n        https_port = 2\n    }\n}\n"
    )
    assert mn.ok("hosts") == f"{h} -> custom : template(default) : schema\n"
    mn.ok("unset", "-h", h, "cluster.rest_api")
    assert mn.ok("dump", "-h", h, "-H") == ""
    assert mn.ok("hosts") == ""


def test_template_assignments_listed(mn: MnConf) -> None:
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    mn.ok("set", "-t", "edge", "agent.midolman.simulation_threads : 4")
    mn.ok("template-set", "-h", a, "-t", "edge")
    mn.ok("template-set", "-h", b, "-t", "edge")
    assert mn.ok("template-list") == f"default\nedge\n    {a}\n    {b}\n"
    assert mn.ok("template-get", "-a") == f"{a}  edge\n{b}  edge\n"
    assert mn.ok("template-get", "-h", a) == f"{a}  edge\n"
    assert mn.ok("hosts") == (
        f"{a} -> template(edge) : template(default) : schema\n"
        f"{b} -> template(edge) : template(default) : schema\n"
    )
    assert "no template 'egde'" in mn.fails(2, "template-set", "-h", a, "-t", "egde")


def test_local_host_is_the_agents_host_id(mn: MnConf) -> None:
    assert "give -t TEMPLATE or -h HOST_ID" in mn.fails(2, "set", "agent.midolman.dhcp_mtu : 1400")
    local = host_id(mn.state)
    mn.ok("set", "cluster.rest_api.http_port : 7000")
    assert mn.ok("get", "-h", str(local), "cluster.rest_api.http_port").endswith("7000\n")
    assert mn.ok("get", "cluster.rest_api.http_port").endswith("7000\n")
    assert mn.ok("template-get") == f"{local}  default\n"


def test_schema_view_and_doc(mn: MnConf) -> None:
    schema = mn.ok("dump", "-s")
    assert "http_port = 8181" in schema and "# [int" in schema
    assert mn.ok("get", "-s", "cluster.rest_api.http_port") == "cluster.rest_api.http_port = 8181\n"
    doc = mn.ok("doc", "zookeeper.session_gracetime")
    assert doc.startswith("Key: zookeeper.session_gracetime\nType: duration")
    assert "Default from: zookeeper.session_timeout" in doc
    assert mn.ok("doc", "cluster.rest_api").count("Key: ") > 5
    assert "unknown configuration key" in mn.fails(11, "doc", "cluster.nope")


def test_import_legacy_file(mn: MnConf, tmp_path: Path) -> None:
    legacy = tmp_path / "midolman.conf"
    legacy.write_text(
        "[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nsession_gracetime = 30000\n"
        "[midolman]\nbgp_holdtime = 120\n"
    )
    out = mn.ok("import", "-t", "default", "-f", str(legacy))
    assert out.startswith("Importing legacy configuration:\n")
    assert "bgp_holdtime = 2m" in out and "session_gracetime" not in out
    assert mn.ok("get", "-t", "default", "agent.midolman.bgp_holdtime").endswith("= 2m\n")
    mn.ok("import", "-h", str(HOST), "-a", "-f", str(legacy))
    assert "session_gracetime = 30s" in mn.ok("dump", "-h", str(HOST), "-H")


# --- refused input --------------------------------------------------------------------


def test_unknown_key_is_refused_naming_it(mn: MnConf) -> None:
    err = mn.fails(4, "set", "-t", "default", stdin="cluster.rest_api.http_porte : 1")
    assert "cluster.rest_api.http_porte" in err and "did you mean cluster.rest_api.http_port" in err
    assert "cluster.nope" in mn.fails(11, "get", "cluster.nope")
    assert "cluster.nope" in mn.fails(4, "unset", "-t", "default", "cluster.nope")
    assert mn.ok("dump", "-t", "default") == ""


def test_wrong_type_is_refused_naming_key_and_position(mn: MnConf) -> None:
    err = mn.fails(4, "set", "-t", "default", stdin="\n  cluster.rest_api.http_port : abc\n")
    assert "line 2, column 3" in err and "cluster.rest_api.http_port" in err
    err = mn.fails(4, "set", "-h", str(HOST), "agent.containers.enabled : maybe")
    assert "agent.containers.enabled" in err


def test_bad_hocon_reports_line_and_column(mn: MnConf) -> None:
    err = mn.fails(4, "set", "-t", "default", stdin="a {\n  b = 1\n")
    assert "STDIN: line" in err and "column" in err


def test_bad_host_id_and_missing_subcommand(mn: MnConf) -> None:
    assert "not a host id" in mn.fails(2, "get", "-h", "nohost", "cluster.rest_api.http_port")
    done = mn()
    assert done.returncode == 2 and "Traceback" not in done.stderr


# --- what services read ---------------------------------------------------------------


def test_values_set_are_what_node_config_yields(mn: MnConf) -> None:
    mn.ok("set", "-t", "default", "cluster.rest_api.http_port : 8282")
    mn.ok("set", "-t", "sized", "agent.datapath.max_flow_count : 99")
    mn.ok("template-set", "-h", str(HOST), "-t", "sized")
    mn.ok("set", "-h", str(HOST), "zookeeper.session_timeout : 10s")
    store = mn.store()
    try:
        config = node_config(store, HOST, local=())
        assert config.get_int("cluster.rest_api.http_port") == 8282
        assert config.origin("cluster.rest_api.http_port") == "template:default"
        assert config.get_int("agent.datapath.max_flow_count") == 99
        assert config.get_duration("zookeeper.session_gracetime") == Duration.parse("10s")
        assert store.config.node_config(HOST).get("zookeeper.session_timeout") == Duration.parse(
            "10s"
        )
        cluster = node_config(store, None, local=())
        assert cluster.get_int("cluster.rest_api.http_port") == 8282
        assert cluster.get_int("agent.datapath.max_flow_count") == 20000
    finally:
        store.close()


def test_guide_line_wrapped_as_printed_is_refused_with_its_position(mn: MnConf) -> None:
    # The guide breaks the class name over two lines; typed so, it is not valid HOCON.
    err = mn.fails(4, "set", "-t", "default", stdin=(
        "cluster.auth.provider_class : org.midonet.cluster.auth.\nMockAuthService\n"))  # fmt: skip
    assert "STDIN: line 2, column" in err
    assert mn.ok("dump", "-t", "default") == ""
