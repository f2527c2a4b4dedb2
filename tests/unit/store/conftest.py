"""Fixtures: stores over the test-only kinds of `store_models`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_models import open_test_store

from midonet.store.embedded import EmbeddedStore


@pytest.fixture
def mem() -> Iterator[EmbeddedStore]:
    store = open_test_store()
    yield store
    store.close()


@pytest.fixture
def filestore(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = open_test_store(tmp_path / "nsdb.db")
    yield store
    store.close()


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Like pytest's, but removed as soon as the test ends (pytest keeps its last runs)."""
    with tempfile.TemporaryDirectory(prefix="midonet-store-") as tmp:
        yield Path(tmp)
