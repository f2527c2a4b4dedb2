"""Fixtures for the REST API tests: a real server on 127.0.0.1 (a free port) over a
temporary embedded store, and a small HTTP client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import ROOT, Client, Reply, Running, start, stop

__all__ = ["ROOT", "Client", "Reply", "Running", "start", "stop"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Running]:
    running = start(tmp_path)
    yield running
    stop(running)


@pytest.fixture
def client(cluster: Running) -> Client:
    return cluster.client
