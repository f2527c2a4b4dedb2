"""The agent on a ZooKeeper NSDB: the same host registration, bindings and
forwarding as on the embedded store (needs root and Debian's zookeeper)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from netlab import NetLab, root_and_tools, wait_for

from midonet.agent.events import AgentEvents
from midonet.agent.service import Agent
from midonet.model import Bridge, Host, Port, PortType
from midonet.store.state import HostAlive, PortActive
from midonet.store.zookeeper import ZooKeeperStore, delete_root
from midonet.testing import zookeeper

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.zk,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
    pytest.mark.skipif(not zookeeper.available(), reason="needs Debian's zookeeper package"),
]


@pytest.fixture
def zk_store() -> Iterator[ZooKeeperStore]:
    server = zookeeper.shared_server()
    root = f"/agent-test-{uuid.uuid4().hex[:12]}"
    store = ZooKeeperStore.from_url(f"zk://{server.address}{root}")
    try:
        yield store
    finally:
        store.close()
        delete_root(server.address, root)


def test_the_agent_forwards_on_a_zookeeper_nsdb(zk_store: ZooKeeperStore, lab: NetLab) -> None:
    a = lab.guest("a", "10.95.0.1/24")
    b = lab.guest("b", "10.95.0.2/24")
    events = AgentEvents(None)
    me = uuid.uuid4()
    agent = Agent(zk_store, me, hostname=socket.gethostname(), events=events, session_ttl=5.0)
    try:
        agent.start_thread()
        assert HostAlive(zk_store.state).is_alive(me)
        assert zk_store.get(Host, me).obj.interface(a.outer) is not None
        bridge = Bridge(name="br")
        zk_store.create(bridge)
        ports = []
        for guest in (a, b):
            port = Port(
                type=PortType.BRIDGE, bridge_id=bridge.id, host_id=me, interface_name=guest.outer
            )
            zk_store.create(port)
            ports.append(port)
        active = PortActive(zk_store.state)
        assert wait_for(lambda: all(active.host_of(p.id) == me for p in ports), 15)
        assert a.ping(b.ip)
    finally:
        agent.stop()
        events.close()
    assert wait_for(lambda: not HostAlive(zk_store.state).is_alive(me), 10)


def test_the_agent_gives_up_once_zookeeper_is_gone_past_the_gracetime(tmp_path: Path) -> None:
    server = zookeeper.ZooKeeperServer(tmp_path / "zk")
    server.start()
    store = ZooKeeperStore.from_url(f"zk://{server.address}/midonet", session_gracetime=2.0)
    log = tmp_path / "midolman.event.log"
    events = AgentEvents(log)
    agent = Agent(store, uuid.uuid4(), hostname=socket.gethostname(), events=events)
    try:
        agent.start_thread()
        server.stop(kill=True)
        # Working from its cache first, then giving up as the guide describes.
        assert wait_for(lambda: agent.expired, 30)
        events.close()
        assert "Nsdb.CONN_EXPIRE - CONN_EXPIRE Connection to the NSDB cluster expired" in (
            log.read_text()
        )
    finally:
        agent.stop()
        events.close()
        store.close()
        server.stop(kill=True)
