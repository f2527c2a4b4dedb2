"""Two hosts, each its own `midolman` in its own namespace, joined by a VXLAN tunnel
zone over an underlay bridge (needs root): VMs on different hosts ping and talk TCP
on one bridge and across a router; a gre zone is refused with a clear error."""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from multihost_lab import MultiHostLab, SimHost
from netlab import Guest, root_and_tools, wait_for

from midonet.model import (
    Bridge,
    Chain,
    FlowAction,
    NatTarget,
    Port,
    PortType,
    Router,
    Rule,
    RuleType,
    TunnelZone,
    TunnelZoneType,
)
from midonet.model.condition import Condition
from midonet.store import EmbeddedStore
from midonet.store.state import PortActive

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

ECHO_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7300)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
total = 0
while True:
    data = c.recv(65536)
    if not data:
        break
    total += len(data); c.sendall(data)
print(total)
"""
ECHO_CLIENT = """
import os, socket, sys
payload = os.urandom(int(sys.argv[2]))
s = socket.create_connection((sys.argv[1], 7300), timeout=30)
s.sendall(payload); s.shutdown(socket.SHUT_WR)
back = bytearray()
while True:
    data = s.recv(65536)
    if not data:
        break
    back += data
assert bytes(back) == payload, (len(back), len(payload))
print("ok", len(back))
"""


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[tuple[MultiHostLab, SimHost, SimHost]]:
    lab = MultiHostLab(tmp_path)
    try:
        h1, h2 = lab.host("ha", 1), lab.host("hb", 2)
        lab.start(h1)
        lab.start(h2)
        yield lab, h1, h2
    finally:
        lab.cleanup()


def _zone(store: EmbeddedStore, kind: TunnelZoneType, *members: SimHost) -> TunnelZone:
    zone = TunnelZone(name=f"tz-{kind.value}", type=kind)
    for host in members:
        assert host.host_id is not None
        zone = zone.with_member(host.host_id, ipaddress.ip_address(host.underlay_ip))
    store.create(zone)
    return zone


def _bound(store: EmbeddedStore, host: SimHost, ifname: str, **fields: object) -> Port:
    port = Port(host_id=host.host_id, interface_name=ifname, **fields)  # type: ignore[arg-type]
    store.create(port)
    return port


def _wait_active(store: EmbeddedStore, *ports: Port) -> None:
    table = PortActive(store.state)
    assert wait_for(lambda: all(table.host_of(p.id) is not None for p in ports), 20)


def test_vms_on_two_hosts_share_a_bridge_over_vxlan(
    hosts: tuple[MultiHostLab, SimHost, SimHost],
) -> None:
    lab, h1, h2 = hosts
    a = lab.vm(h1, "va", "10.98.0.1/24")
    b = lab.vm(h2, "vb", "10.98.0.2/24")
    with EmbeddedStore(lab.nsdb) as store:
        _zone(store, TunnelZoneType.VXLAN, h1, h2)
        bridge = Bridge(name="shared")
        store.create(bridge)
        pa = _bound(store, h1, a.outer, type=PortType.BRIDGE, bridge_id=bridge.id)
        pb = _bound(store, h2, b.outer, type=PortType.BRIDGE, bridge_id=bridge.id)
        _wait_active(store, pa, pb)
    assert a.ping(b.ip, count=3), (h1.log.read_text()[-2000:], h2.log.read_text()[-2000:])
    assert b.ping(a.ip, count=2)
    server = b.popen("python3", "-c", ECHO_SERVER)
    try:
        time.sleep(0.3)
        done = a.run("python3", "-c", ECHO_CLIENT, b.ip, "3000000", check=False, timeout=90)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ok 3000000")
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()


def test_vms_on_two_hosts_across_a_router(hosts: tuple[MultiHostLab, SimHost, SimHost]) -> None:
    lab, h1, h2 = hosts
    a = lab.vm(h1, "ra", "10.97.1.2/24", gateway="10.97.1.1")
    b = lab.vm(h2, "rb", "10.97.2.2/24", gateway="10.97.2.1")
    with EmbeddedStore(lab.nsdb) as store:
        _zone(store, TunnelZoneType.VXLAN, h1, h2)
        router = Router(name="r")
        store.create(router)
        bound = []
        for host, guest, net in ((h1, a, 1), (h2, b, 2)):
            iface = ipaddress.IPv4Interface(f"10.97.{net}.1/24")
            bound.append(
                _bound(
                    store,
                    host,
                    guest.outer,
                    type=PortType.ROUTER,
                    router_id=router.id,
                    port_address=iface.ip,
                    network_address=iface.network.network_address,
                    network_length=24,
                )
            )
        _wait_active(store, *bound)
    assert a.ping(b.ip, count=3), (h1.log.read_text()[-2000:], h2.log.read_text()[-2000:])


def test_a_gre_zone_is_refused_naming_the_supported_types(
    hosts: tuple[MultiHostLab, SimHost, SimHost],
) -> None:
    lab, h1, h2 = hosts
    a = lab.vm(h1, "ga", "10.96.0.1/24")
    b = lab.vm(h2, "gb", "10.96.0.2/24")
    with EmbeddedStore(lab.nsdb) as store:
        _zone(store, TunnelZoneType.GRE, h1, h2)
        bridge = Bridge(name="gre")
        store.create(bridge)
        pa = _bound(store, h1, a.outer, type=PortType.BRIDGE, bridge_id=bridge.id)
        pb = _bound(store, h2, b.outer, type=PortType.BRIDGE, bridge_id=bridge.id)
        _wait_active(store, pa, pb)
    assert not a.ping(b.ip, count=1, timeout=1)
    assert wait_for(lambda: "supported tunnel zone types: vxlan" in h1.log.read_text(), 10)
    assert str(uuid.UUID(int=0)) not in h1.log.read_text()


SNAT_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7400)); s.listen(1); s.settimeout(60)
c, peer = s.accept(); c.settimeout(60)
print("peer", peer[0], flush=True)
while True:
    data = c.recv(65536)
    if not data:
        break
    c.sendall(data)
"""
# Sends a line every 0.2 s for `seconds` and checks each echo: a connection that
# must survive whatever happens meanwhile.
SLOW_CLIENT = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7400), timeout=30)
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    line = f"line {n}\\n".encode()
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(100)
    assert got == line, (got, line)
    n += 1
    time.sleep(0.2)
print("ok", n)
"""


def _snat_router(store: EmbeddedStore, lab: MultiHostLab, vm_host: SimHost, up_host: SimHost,
                 vm: Guest, external: Guest) -> None:  # fmt: skip
    """VM 10.95.1.2 behind a router that SNATs to its uplink 192.0.2.1, whose port is
    bound on `up_host` to the external namespace 192.0.2.2 (no route back)."""
    router = Router(name="snat")
    store.create(router)
    vm_port = _bound(
        store, vm_host, vm.outer, type=PortType.ROUTER, router_id=router.id,
        port_address=ipaddress.ip_address("10.95.1.1"),
        network_address=ipaddress.ip_address("10.95.1.0"), network_length=24,
    )  # fmt: skip
    uplink = _bound(
        store, up_host, external.outer, type=PortType.ROUTER, router_id=router.id,
        port_address=ipaddress.ip_address("192.0.2.1"),
        network_address=ipaddress.ip_address("192.0.2.0"), network_length=24,
    )  # fmt: skip
    pre, post = Chain(name="pre"), Chain(name="post")
    store.create(pre)
    store.create(post)
    store.create(Rule(type=RuleType.REV_SNAT, chain_id=pre.id, flow_action=FlowAction.ACCEPT,
                      condition=Condition(in_port_ids=(uplink.id,))))  # fmt: skip
    store.create(Rule(type=RuleType.SNAT, chain_id=post.id, flow_action=FlowAction.ACCEPT,
                      nat_targets=(NatTarget.parse("192.0.2.1:1024-65535"),),
                      condition=Condition(out_port_ids=(uplink.id,))))  # fmt: skip
    current = store.get(Router, router.id)
    store.update(
        current.obj.replace(inbound_filter_id=pre.id, outbound_filter_id=post.id),
        expected_version=current.version,
    )
    _wait_active(store, vm_port, uplink)


def test_a_snat_connection_whose_reply_enters_on_another_host(
    hosts: tuple[MultiHostLab, SimHost, SimHost],
) -> None:
    lab, h1, h2 = hosts
    vm = lab.vm(h1, "sa", "10.95.1.2/24", gateway="10.95.1.1")
    external = lab.vm(h2, "sx", "192.0.2.2/24")
    with EmbeddedStore(lab.nsdb) as store:
        _zone(store, TunnelZoneType.VXLAN, h1, h2)
        _snat_router(store, lab, h1, h2, vm, external)
    assert vm.ping("192.0.2.2", count=3), h1.log.read_text()[-3000:] + h2.log.read_text()[-3000:]
    server = external.popen("python3", "-c", SNAT_SERVER)
    try:
        time.sleep(0.3)
        done = vm.run("python3", "-c", SLOW_CLIENT, "192.0.2.2", "2", check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ok")
    finally:
        server.kill()
        out, _ = server.communicate()
    assert "peer 192.0.2.1" in out


def test_an_established_connection_survives_an_agent_restart(tmp_path: Path) -> None:
    lab = MultiHostLab(tmp_path)
    try:
        host = lab.host("hr", 1)
        lab.start(host)
        vm = lab.vm(host, "ra", "10.95.1.2/24", gateway="10.95.1.1")
        external = lab.vm(host, "rx", "192.0.2.2/24")
        with EmbeddedStore(lab.nsdb) as store:
            _snat_router(store, lab, host, host, vm, external)
        assert vm.ping("192.0.2.2", count=2)
        server = external.popen("python3", "-c", SNAT_SERVER)
        try:
            time.sleep(0.3)
            client = vm.popen("python3", "-c", SLOW_CLIENT, "192.0.2.2", "12")
            time.sleep(3)
            lab.stop(host)  # the connection's flows and the agent are gone...
            time.sleep(1)
            lab.start(host)  # ...and the restarted agent reloads its flow state
            out, _ = client.communicate(timeout=60)
            assert client.returncode == 0, out + host.log.read_text()[-3000:]
            assert out.startswith("ok")
        finally:
            server.kill()
            server.communicate()
    finally:
        lab.cleanup()
