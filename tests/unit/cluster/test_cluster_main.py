"""The console script's building blocks: NSDB URLs and configuration layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from midonet.cluster.main import UsageError, cluster_config, default_state_dir, open_nsdb
from midonet.store import EmbeddedStore


def test_open_nsdb_file_url(tmp_path: Path) -> None:
    store = open_nsdb(f"file:{tmp_path / 'sub' / 'nsdb.db'}")
    try:
        assert isinstance(store, EmbeddedStore)
        assert (tmp_path / "sub" / "nsdb.db").exists()
    finally:
        store.close()


@pytest.mark.parametrize("url", ["zk://", "zk://host-without-port/midonet", "zk://h:1,h2/x"])
def test_malformed_zookeeper_urls(url: str) -> None:
    with pytest.raises(UsageError, match="expected HOST:PORT"):
        open_nsdb(url)


@pytest.mark.parametrize("url", ["file:", "mysql://x", "/plain/path"])
def test_bad_nsdb_urls(url: str) -> None:
    with pytest.raises(UsageError):
        open_nsdb(url)


def test_config_layers(tmp_path: Path) -> None:
    store = EmbeddedStore(":memory:")
    try:
        assert cluster_config(store, None)["cluster.rest_api.http_port"] == 8181
        store.config.set_template(
            "default", {"cluster.rest_api.http_port": 9000, "cluster.auth.admin_role": "boss"}
        )
        config_file = tmp_path / "cluster.conf"
        config_file.write_text("cluster.rest_api.http_port = 9100\n")
        values = cluster_config(store, config_file)
        assert values["cluster.rest_api.http_port"] == 9100
        assert values["cluster.auth.admin_role"] == "boss"
        assert values["cluster.auth.provider_class"] == "org.midonet.cluster.auth.MockAuthService"
    finally:
        store.close()


def test_default_state_dir() -> None:
    assert default_state_dir().name == "midonet"
