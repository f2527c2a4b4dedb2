"""Health monitoring with a real agent (needs root): a member whose server stops is
marked INACTIVE and gets no new connections, comes back ACTIVE when it listens
again; disabling the monitor stops the checks and removes the probe namespace."""

from __future__ import annotations

import ipaddress
import subprocess
import time

import pytest
from agentlab import RunningAgent, link, router_port
from netlab import NetLab, root_and_tools, wait_for

from midonet.model import (
    Bridge,
    HealthMonitor,
    LBStatus,
    LoadBalancer,
    Pool,
    PoolMember,
    Port,
    PortType,
    Router,
    Vip,
)

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
"""


def _status(agent: RunningAgent, member: PoolMember) -> LBStatus:
    return agent.store.get(PoolMember, member.id).obj.status


def _namespaces() -> str:
    return subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout


def test_members_are_checked_from_the_routers_side(agent: RunningAgent, lab: NetLab) -> None:
    backend = lab.guest("hb", "10.94.1.21/24", gateway="10.94.1.1")
    router = Router(name="lb-router")
    agent.store.create(router)
    bridge = Bridge(name="backends")
    agent.store.create(bridge)
    port = agent.exterior(bridge, backend.outer)
    inner = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    agent.store.create(inner)
    link(agent, inner, router_port(agent, router, "10.94.1.1/24"))
    agent.wait_active(port)
    lb = LoadBalancer(router_id=router.id)
    agent.store.create(lb)
    monitor = HealthMonitor(delay=1, timeout=1, max_retries=2)
    agent.store.create(monitor)
    pool = Pool(load_balancer_id=lb.id, health_monitor_id=monitor.id)
    agent.store.create(pool)
    member = PoolMember(
        pool_id=pool.id, address=ipaddress.ip_address(backend.ip), protocol_port=8080
    )
    agent.store.create(member)
    agent.store.create(
        Vip(
            pool_id=pool.id,
            load_balancer_id=lb.id,
            address=ipaddress.ip_address("192.0.2.100"),
            protocol_port=80,
        )
    )
    server = backend.popen("python3", "-c", SERVER)
    try:
        assert wait_for(lambda: pool.id in agent.agent.health.monitored, 10)
        assert wait_for(lambda: f"mnhm{pool.id.hex[:8]}" in _namespaces(), 5)
        time.sleep(3)  # several checks succeed: the member stays ACTIVE
        assert _status(agent, member) is LBStatus.ACTIVE
        server.kill()
        server.communicate()
        assert wait_for(lambda: _status(agent, member) is LBStatus.INACTIVE, 15)
        server = backend.popen("python3", "-c", SERVER)
        assert wait_for(lambda: _status(agent, member) is LBStatus.ACTIVE, 15)
    finally:
        server.kill()
        server.communicate()
    current = agent.store.get(HealthMonitor, monitor.id)
    agent.store.update(current.obj.replace(admin_state_up=False), expected_version=current.version)
    assert wait_for(lambda: pool.id not in agent.agent.health.monitored, 10)
    assert f"mnhm{pool.id.hex[:8]}" not in _namespaces()
    leftover = [p for p in agent.store.list(Port) if (p.interface_name or "").startswith("mnhm")]
    assert leftover == []
