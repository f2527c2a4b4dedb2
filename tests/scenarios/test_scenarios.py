"""Run every scenario in tests/scenarios/*.yaml through the simulator and, where the
outcome is cacheable, through the installed flow alone (see midonet.testing.scenario)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import scapy_packets
import yaml

from midonet.testing.scenario import run_scenario

HERE = Path(__file__).parent


def _scenarios() -> list[Any]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        for spec in yaml.safe_load_all(path.read_text()):
            cases.append(pytest.param(spec, id=f"{path.stem}:{spec['name']}"))
    return cases


@pytest.mark.parametrize("spec", _scenarios())
def test_scenario(spec: dict[str, Any]) -> None:
    runs = run_scenario(spec, scapy_packets.build, scapy_packets.describe)
    assert len(runs) == len(spec["steps"])
    for run, step in zip(runs, spec["steps"], strict=True):
        cacheable = run.result is not None and run.result.cacheable
        # every cacheable step was replayed through its flow (and matched, or raised)
        assert (run.flow_delivered is not None) == (cacheable and step.get("flow", True))
