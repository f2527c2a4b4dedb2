"""Which NSDB `mn-conf` (and any service using `nsdb_url`) opens, and what a service
reads through `node_config`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from midonet.cluster.main import default_state_dir
from midonet.config import ConfigLayer, bootstrap_config
from midonet.node import deploy_bundled, node_config, nsdb_url
from midonet.store import EmbeddedStore
from midonet.tools import mn_conf


def test_flag_wins_over_everything(tmp_path: Path) -> None:
    boot = bootstrap_config(paths=[], env={"MIDO_ZOOKEEPER_HOSTS": "10.0.0.1:2181"})
    assert nsdb_url("file:/x.db", state_dir=tmp_path, bootstrap=boot) == "file:/x.db"


def test_bootstrap_file_and_environment_name_zookeeper(tmp_path: Path) -> None:
    ini = tmp_path / "midonet.conf"
    ini.write_text("[zookeeper]\nzookeeper_hosts = 10.0.0.1:2181, 10.0.0.2:2181\nroot_key = /mn\n")
    boot = bootstrap_config(paths=[ini], env={})
    assert nsdb_url(bootstrap=boot) == "zk://10.0.0.1:2181,10.0.0.2:2181/mn"
    env = bootstrap_config(paths=[ini], env={"MIDO_ZOOKEEPER_HOSTS": "10.9.9.9:2181"})
    assert nsdb_url(bootstrap=env) == "zk://10.9.9.9:2181/mn"


def test_default_is_the_clusters_state_dir(tmp_path: Path) -> None:
    boot = bootstrap_config(paths=[], env={})
    assert nsdb_url(state_dir=tmp_path, bootstrap=boot) == f"file:{tmp_path / 'nsdb.db'}"
    assert nsdb_url(bootstrap=boot) == f"file:{default_state_dir() / 'nsdb.db'}"


def test_node_config_puts_local_layers_on_top(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "n.db")
    host = uuid.uuid4()
    try:
        store.config.update_host(host, set={"cluster.rest_api.http_port": 9000})
        local = ConfigLayer("file:local", {"cluster.rest_api.http_port": 9100})
        assert node_config(store, host, local=()).get_int("cluster.rest_api.http_port") == 9000
        config = node_config(store, host, local=[local])
        assert config.get_int("cluster.rest_api.http_port") == 9100
        assert config.origin("cluster.rest_api.http_port") == "file:local"
    finally:
        store.close()


def test_deploy_writes_shipped_templates_once(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "n.db")
    try:
        assert "agent-gateway-large" in deploy_bundled(store)
        assert deploy_bundled(store) == []
        assert "default" not in store.config.templates()
    finally:
        store.close()


def test_main_in_process_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--nsdb", f"file:{tmp_path / 'n.db'}", "--state-dir", str(tmp_path)]
    assert mn_conf.main(["set", "-t", "default", "agent.midolman.dhcp_mtu : 1400", *common]) == 0
    assert mn_conf.main(["get", "agent.midolman.dhcp_mtu", *common]) == 0
    assert capsys.readouterr().out == "agent.midolman.dhcp_mtu = 1400\n"
    with pytest.raises(SystemExit) as done:
        mn_conf.main(["get", "--help"])
    assert done.value.code == 0
    assert "-h HOST" in capsys.readouterr().out
