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
from netlab import root_and_tools, wait_for

from midonet.model import Bridge, Port, PortType, Router, TunnelZone, TunnelZoneType
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
