"""Fixtures: a lab of namespaces (cleaned up by name even on failure) and an agent
running in this process against a temporary embedded NSDB."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from agentlab import RunningAgent
from netlab import NetLab

from midonet.agent.events import AgentEvents
from midonet.agent.service import Agent
from midonet.config import Config, ConfigLayer
from midonet.store import EmbeddedStore


@pytest.fixture
def lab() -> Iterator[NetLab]:
    netlab = NetLab()
    try:
        yield netlab
    finally:
        netlab.cleanup()


def _config(request: pytest.FixtureRequest) -> dict[str, object]:
    # An ephemeral control port: agents of parallel runs never fight over 7200.
    values: dict[str, object] = {"agent.control.port": 0}
    marker = request.node.get_closest_marker("agent_config")
    if marker is not None:
        values.update(marker.args[0])
    return values


@pytest.fixture
def agent(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningAgent]:
    store = EmbeddedStore(tmp_path / "nsdb.db")
    host_id = uuid.uuid4()
    events_path = tmp_path / "midolman.event.log"
    events = AgentEvents(events_path, hostname="testhost")
    agent = Agent(
        store,
        host_id,
        hostname=socket.gethostname(),
        events=events,
        config=Config([ConfigLayer("test", _config(request))]),
        session_ttl=5.0,
        expiration_interval=1.0,
    )
    try:
        agent.start_thread()
        yield RunningAgent(agent, store, host_id, tmp_path, events_path)
    finally:
        agent.stop()
        events.close()
        store.close()
