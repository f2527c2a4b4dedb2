"""The scenario harness itself: it must notice wrong expectations and a flow that
forwards differently from its simulation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import scapy_packets

from midonet.agent.simulation import Output, SetField
from midonet.testing import scenario
from midonet.testing.scenario import ScenarioFailure, render, run_scenario

PACKET = {
    "eth": {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"},
    "ip": {"src": "10.0.0.1", "dst": "10.0.0.2"},
    "udp": {"sport": 1, "dport": 2},
}


def spec(expect: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "two ports",
        "topology": {"bridges": ["b1"], "ports": {"p1": {"bridge": "b1"}, "p2": {"bridge": "b1"}}},
        "steps": [{"inject": {"port": "p1", "packet": PACKET}, "expect": expect}],
    }


def test_a_met_expectation_passes_and_reports_both_runs() -> None:
    (run,) = run_scenario(
        spec({"deliver": [{"port": "p2", "packet": PACKET}]}), scapy_packets.build
    )
    assert run.delivered == run.flow_delivered == [("p2", scapy_packets.build(PACKET))]


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({"deliver": []}, "delivered"),
        ({"outcome": "drop"}, "outcome forward"),
        ({"drop": "FILTERED"}, "expected a drop"),
        ({"rules": ["c:1"]}, "rules matched"),
        ({"trace": ["router"]}, "trace lacks"),
        ({"learned": []}, "learned"),
    ],
)
def test_unmet_expectations_fail_with_a_message(expect: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioFailure, match=message):
        run_scenario(spec(expect), scapy_packets.build, scapy_packets.describe)


def test_a_flow_that_forwards_differently_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def corrupt(frame: bytes, actions: Any) -> list[tuple[Any, bytes]]:
        return [(port, frame[:-1] + b"!") for port, frame in render(frame, actions)]

    monkeypatch.setattr(scenario, "apply_actions", corrupt)
    with pytest.raises(ScenarioFailure, match="the installed flow delivered"):
        run_scenario(spec({}), scapy_packets.build)


def test_render_applies_field_sets_through_the_codec() -> None:
    frame = scapy_packets.build(PACKET)
    port_id = uuid.uuid4()
    ((port, out),) = render(frame, (SetField("nw_ttl", 7), Output(port_id)))
    assert port == port_id
    assert out == scapy_packets.build({**PACKET, "ip": {**PACKET["ip"], "ttl": 7}})
