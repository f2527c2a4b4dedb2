"""Stateful traffic through a real agent (needs root): SNAT to an external host that
has no route back to the tenant, a floating IP reached from outside, and TCP to a
load balancer VIP spread over three backends."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import pytest
from agentlab import RunningAgent, link, router_port
from netlab import Guest, NetLab, root_and_tools

from midonet.model import (
    Bridge,
    Chain,
    FlowAction,
    LoadBalancer,
    NatTarget,
    Pool,
    PoolMember,
    Port,
    PortType,
    Router,
    Rule,
    RuleType,
    Vip,
)
from midonet.model.condition import Condition

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

UPLINK = "192.0.2.1"
FLOATING, FIXED = "192.0.2.50", "10.93.1.3"
VIP = "192.0.2.100"

# Each backend answers a connection with its own name; the client prints the peer
# address it saw and the server's answer.
NAMED_SERVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(16); s.settimeout(60)
while True:
    c, peer = s.accept()
    c.sendall(f"{sys.argv[1]} {peer[0]}".encode()); c.close()
"""
CONNECT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
print(s.recv(100).decode()); s.close()
"""


def _rule(chain: Chain, kind: RuleType, target: str | None = None, **cond: object) -> Rule:
    return Rule(
        type=kind,
        chain_id=chain.id,
        flow_action=FlowAction.ACCEPT,
        nat_targets=(NatTarget.parse(target),) if target else (),
        condition=Condition(**cond),  # type: ignore[arg-type]
    )


def _chain(agent: RunningAgent, name: str, rules: list[Rule]) -> Chain:
    chain = Chain(name=name)
    agent.store.create(chain)
    for rule in rules:
        agent.store.create(rule.replace(chain_id=chain.id))
    return chain


class Cloud:
    """A tenant bridge 10.93.1.0/24 behind a router whose uplink 192.0.2.1/24 is
    bound to the "external" namespace (192.0.2.2, no route to the tenant)."""

    def __init__(self, agent: RunningAgent, lab: NetLab) -> None:
        self.agent, self.lab = agent, lab
        self.external = lab.guest("x", "192.0.2.2/24")
        self.router = Router(name="tenant")
        agent.store.create(self.router)
        self.bridge = Bridge(name="tenant-net")
        agent.store.create(self.bridge)
        self.uplink = router_port(agent, self.router, f"{UPLINK}/24", self.external.outer)
        inner = Port(type=PortType.BRIDGE, bridge_id=self.bridge.id)
        agent.store.create(inner)
        link(agent, inner, router_port(agent, self.router, "10.93.1.1/24"))
        self.ports = [self.uplink]

    def vm(self, tag: str, ip: str) -> Guest:
        guest = self.lab.guest(tag, f"{ip}/24", gateway="10.93.1.1")
        self.ports.append(self.agent.exterior(self.bridge, guest.outer))
        return guest

    def nat(self, floating: bool) -> None:
        """MidoNet's tenant-router NAT: rev_snat/dnat in, (static then dynamic) snat out."""
        c = ipaddress.ip_address
        inbound = [_rule(Chain(), RuleType.REV_SNAT, nw_dst_address=c(UPLINK))]
        outbound = []
        if floating:
            inbound.insert(0, _rule(Chain(), RuleType.DNAT, FIXED, nw_dst_address=c(FLOATING)))
            outbound.append(_rule(Chain(), RuleType.SNAT, FLOATING, nw_src_address=c(FIXED)))
        outbound.append(
            _rule(Chain(), RuleType.SNAT, f"{UPLINK}:1024-65535", out_port_ids=(self.uplink.id,))
        )
        pre, post = _chain(self.agent, "pre", inbound), _chain(self.agent, "post", outbound)
        self._set_router(inbound_filter_id=pre.id, outbound_filter_id=post.id)

    def _set_router(self, **fields: object) -> None:
        current = self.agent.store.get(Router, self.router.id)
        self.agent.store.update(current.obj.replace(**fields), expected_version=current.version)

    def ready(self) -> None:
        self.agent.wait_active(*self.ports)


@pytest.fixture
def cloud(agent: RunningAgent, lab: NetLab) -> Iterator[Cloud]:
    yield Cloud(agent, lab)


def _serve(guest: Guest, name: str, port: int) -> object:
    server = guest.popen("python3", "-c", NAMED_SERVER, name, str(port))
    time.sleep(0.3)
    return server


def test_snat_to_an_external_host_that_has_no_route_back(cloud: Cloud) -> None:
    vm = cloud.vm("a", "10.93.1.2")
    cloud.nat(floating=False)
    cloud.ready()
    assert vm.ping("192.0.2.2", count=3)
    server = cloud.external.popen("python3", "-c", NAMED_SERVER, "ext", "7100")
    try:
        time.sleep(0.3)
        for _ in range(3):  # new connections, each with its own translated port
            done = vm.run("python3", "-c", CONNECT, "192.0.2.2", "7100", check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stdout.split() == ["ext", UPLINK]  # the server saw the router
    finally:
        server.kill()
        server.communicate()
    assert cloud.agent.agent.flow_state.nat  # the translations are in the agent's table


def test_floating_ip_reached_from_outside(cloud: Cloud) -> None:
    vm = cloud.vm("f", FIXED)
    cloud.nat(floating=True)
    cloud.external.run("ip", "route", "add", f"{FLOATING}/32", "via", UPLINK)
    cloud.ready()
    assert cloud.external.ping(FLOATING, count=3)
    server = _serve(vm, "vm", 7200)
    try:
        done = cloud.external.run("python3", "-c", CONNECT, FLOATING, "7200", check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.split() == ["vm", "192.0.2.2"]  # DNAT keeps the client's source
        # and the VM's own connections leave from its floating IP
        ext = _serve(cloud.external, "ext", 7201)
        try:
            out = vm.run("python3", "-c", CONNECT, "192.0.2.2", "7201", check=False)
            assert out.stdout.split() == ["ext", FLOATING], out.stdout + out.stderr
        finally:
            ext.kill()  # type: ignore[attr-defined]
            ext.communicate()  # type: ignore[attr-defined]
    finally:
        server.kill()  # type: ignore[attr-defined]
        server.communicate()  # type: ignore[attr-defined]


def test_tcp_to_a_vip_is_spread_over_three_backends(cloud: Cloud) -> None:
    backends = [cloud.vm(f"b{i}", f"10.93.1.{11 + i}") for i in range(3)]
    lb = LoadBalancer(router_id=cloud.router.id)
    cloud.agent.store.create(lb)
    pool = Pool(load_balancer_id=lb.id)
    cloud.agent.store.create(pool)
    for guest in backends:
        member = PoolMember(
            pool_id=pool.id, address=ipaddress.ip_address(guest.ip), protocol_port=8080
        )
        cloud.agent.store.create(member)
    vip = Vip(
        pool_id=pool.id,
        load_balancer_id=lb.id,
        address=ipaddress.ip_address(VIP),
        protocol_port=80,
    )
    cloud.agent.store.create(vip)
    cloud.external.run("ip", "route", "add", f"{VIP}/32", "via", UPLINK)
    cloud.ready()
    servers = [_serve(g, f"backend{i}", 8080) for i, g in enumerate(backends)]
    try:
        seen = []
        for _ in range(24):
            done = cloud.external.run("python3", "-c", CONNECT, VIP, "80", check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            name, peer = done.stdout.split()
            assert peer == "192.0.2.2"
            seen.append(name)
        assert set(seen) == {"backend0", "backend1", "backend2"}, seen
    finally:
        for server in servers:
            server.kill()  # type: ignore[attr-defined]
            server.communicate()  # type: ignore[attr-defined]
