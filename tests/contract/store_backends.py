"""The backends the contract suite runs against.

To add one (e.g. ZooKeeper), add an entry to BACKENDS: a context manager that starts
what it needs in `tmp_path` and yields a `Backend` whose URL `open_store` accepts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from midonet.store import Store, open_store


@dataclass
class Backend:
    name: str
    url: str

    def open(self) -> Store:
        """A new client of the same database (as another service would have)."""
        return open_store(self.url)


@contextmanager
def embedded(tmp_path: Path) -> Iterator[Backend]:
    yield Backend("embedded", f"embedded:{tmp_path / 'nsdb.db'}")


@contextmanager
def zookeeper(tmp_path: Path) -> Iterator[Backend]:
    """A real ZooKeeper server shared by the test session; each test has its own root."""
    from midonet.store.zookeeper import delete_root
    from midonet.testing.zookeeper import shared_server

    server = shared_server()
    root = f"/midonet-test-{uuid.uuid4().hex[:12]}"
    yield Backend("zookeeper", f"zk://{server.address}{root}")
    delete_root(server.address, root)


BACKENDS: dict[str, Callable[[Path], AbstractContextManager[Backend]]] = {
    "embedded": embedded,
    "zookeeper": zookeeper,
}
