"""The store contract suite runs once per backend.

A backend fixture gives a URL (for other processes, through `open_store`) and opens
clients on one shared database. To add a backend (e.g. ZooKeeper), add an entry to
BACKENDS that starts it and yields its `Backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from midonet.store import Store, open_store


@dataclass
class Backend:
    name: str
    url: str

    def open(self) -> Store:
        """A new client of the same database (as another service would have)."""
        return open_store(self.url)


@contextmanager
def _embedded(tmp_path: Path) -> Iterator[Backend]:
    yield Backend("embedded", f"embedded:{tmp_path / 'nsdb.db'}")


BACKENDS: dict[str, Callable[[Path], contextmanager[Backend]]] = {  # type: ignore[type-arg]
    "embedded": _embedded,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with BACKENDS[request.param](tmp_path) as b:
        yield b


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    s = backend.open()
    yield s
    s.close()


@pytest.fixture
def other(backend: Backend) -> Iterator[Store]:
    """A second client of the same database."""
    s = backend.open()
    yield s
    s.close()
