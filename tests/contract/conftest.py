"""The store contract suite runs once per backend.

The `backend` fixture gives a URL (for other processes, through `open_store`) and
opens clients on one shared database; backends are listed in `store_backends`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import BACKENDS, Backend

from midonet.store import Store


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


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Like pytest's, but removed as soon as the test ends (pytest keeps its last runs)."""
    with tempfile.TemporaryDirectory(prefix="midonet-store-") as tmp:
        yield Path(tmp)
