"""`mn-conf` on a ZooKeeper NSDB named only by the bootstrap environment, as a node
without `--nsdb` finds it; an unreachable NSDB is one line and status 3."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from midonet.node import node_config
from midonet.store.zookeeper import ZooKeeperStore, delete_root
from midonet.testing.zookeeper import shared_server

SCRIPT = Path(sys.executable).parent / "mn-conf"


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], check=False, input=stdin, capture_output=True, text=True,
        timeout=60, env={**os.environ, "HOME": env.pop("HOME"), **env},
    )  # fmt: skip


@pytest.fixture
def zk(tmp_path: Path) -> Iterator[tuple[str, str]]:
    server = shared_server()
    root = f"/test-{uuid.uuid4().hex[:12]}"
    yield server.address, root
    delete_root(server.address, root)


@pytest.mark.zk
def test_bootstrap_environment_names_the_zookeeper_nsdb(
    zk: tuple[str, str], tmp_path: Path
) -> None:
    address, root = zk
    env = {"HOME": str(tmp_path), "MIDO_ZOOKEEPER_HOSTS": address, "MIDO_ZOOKEEPER_ROOT_KEY": root}
    host = uuid.uuid4()
    line = "cluster.auth.provider_class : org.midonet.cluster.auth.keystone.KeystoneService"
    done = run("set", "-t", "default", "--state-dir", str(tmp_path), env=dict(env), stdin=line)
    assert done.returncode == 0, done.stderr
    done = run("set", "-h", str(host), "cluster.rest_api.http_port : 8282", env=dict(env))
    assert done.returncode == 0, done.stderr
    done = run("get", "-h", str(host), "cluster.rest_api.http_port", env=dict(env))
    assert done.stdout == "cluster.rest_api.http_port = 8282\n"
    store = ZooKeeperStore.from_url(f"zk://{address}{root}")
    try:
        config = node_config(store, host, local=())
        assert config.get_str("cluster.auth.provider_class").endswith("keystone.KeystoneService")
        assert config.get_int("cluster.rest_api.http_port") == 8282
    finally:
        store.close()


@pytest.mark.slow
def test_unreachable_zookeeper_is_one_line_and_status_3(tmp_path: Path) -> None:
    done = run("get", "cluster.rest_api.http_port", "--nsdb", "zk://127.0.0.1:1/midonet",
               env={"HOME": str(tmp_path)})  # fmt: skip
    assert done.returncode == 3
    assert done.stderr.startswith("mn-conf: cannot reach ZooKeeper at 127.0.0.1:1")
    assert done.stderr.count("\n") == 1
