"""Fixtures for the midonet-cli tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_harness import Cli, start_cli


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    yield from start_cli(tmp_path)
