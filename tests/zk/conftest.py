"""Fixtures for tests against a real ZooKeeper server (Debian's package, started here).

`zk_server` is one standalone server for the whole session; tests isolate themselves
by a unique root path (`zk_root`), removed afterwards. Tests that stop or kill
servers start their own through `midonet.testing.zookeeper`.

Every test here is marked `zk`; so are the contract suite's ZooKeeper cases (this
hook sees the whole session's items), so `-m "not zk"` runs without a server.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from midonet.store.zookeeper import ZooKeeperStore, delete_root
from midonet.testing.zookeeper import ZooKeeperServer, shared_server, stop_shared_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        in_zk = item.path.parent.name == "zk" and item.path.parent.parent.name == "tests"
        if in_zk or (callspec is not None and callspec.params.get("backend") == "zookeeper"):
            item.add_marker(pytest.mark.zk)


@pytest.fixture(scope="session")
def zk_server() -> Iterator[ZooKeeperServer]:
    server = shared_server()
    yield server
    stop_shared_server()


@pytest.fixture
def zk_root(zk_server: ZooKeeperServer) -> Iterator[str]:
    root = f"/test-{uuid.uuid4().hex[:12]}"
    yield root
    delete_root(zk_server.address, root)


@pytest.fixture
def zk_url(zk_server: ZooKeeperServer, zk_root: str) -> str:
    return f"zk://{zk_server.address}{zk_root}"


@pytest.fixture
def zk_store(zk_url: str) -> Iterator[ZooKeeperStore]:
    store = ZooKeeperStore.from_url(zk_url)
    yield store
    store.close()


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Like pytest's, but removed as soon as the test ends (server data included)."""
    with tempfile.TemporaryDirectory(prefix="midonet-zk-test-") as tmp:
        yield Path(tmp)
