"""The host id file, the Host the agent registers, its interface events, and
mm-ctl's bindings."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from midonet.agent.events import AgentEvents
from midonet.agent.host import HostService
from midonet.agent.host_id import FILE_NAME, host_id, read_host_id
from midonet.model import Bridge, Host, HostInterface, Port, PortType
from midonet.store import EmbeddedStore
from midonet.store.state import HostAlive
from midonet.tools import mm_ctl


def test_the_host_id_is_created_once_and_kept(tmp_path: Path) -> None:
    assert read_host_id(tmp_path) is None
    first = host_id(tmp_path / "state")
    assert host_id(tmp_path / "state") == first
    text = (tmp_path / "state" / FILE_NAME).read_text()
    assert f"host_uuid={first}" in text


def test_a_damaged_host_id_file_is_an_error_not_a_new_host(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("host_uuid=nope\n")
    with pytest.raises(ValueError, match="host_uuid"):
        host_id(tmp_path)


def iface(name: str, mtu: int = 1500) -> HostInterface:
    return HostInterface(name=name, mtu=mtu, up=True)


def test_the_host_is_registered_alive_and_follows_interfaces(tmp_path: Path) -> None:
    log = tmp_path / "events.log"
    events = AgentEvents(log, hostname="node1")
    with EmbeddedStore(":memory:") as store:
        me = uuid.uuid4()
        service = HostService(store, me, "node1", events)
        session = store.state.open_session(5, heartbeat=False)
        service.register({"eth0": iface("eth0"), "lo": iface("lo")}, session)
        host = store.get(Host, me).obj
        assert host.name == "node1" and [i.name for i in host.interfaces] == ["eth0", "lo"]
        assert HostAlive(store.state).is_alive(me)
        assert service.update({"eth0": iface("eth0", 9000), "tap1": iface("tap1")})
        assert not service.update({"eth0": iface("eth0", 9000), "tap1": iface("tap1")})
        host = store.get(Host, me).obj
        assert host.interface("eth0") == iface("eth0", 9000) and host.interface("lo") is None
        session.close()
        assert not HostAlive(store.state).is_alive(me)
    events.close()
    lines = log.read_text().splitlines()
    assert any("org.midonet.event.agent.Interface.DETECT - NEW interface=tap1" in x for x in lines)
    assert any(
        "INFO  org.midonet.event.agent.Interface.UPDATE - UPDATE interface=eth0 was updated." in x
        for x in lines
    )
    assert any("Interface.DELETE - DELETE interface=lo was deleted." in x for x in lines)
    assert all(x.split(" ")[2] == "node1" for x in lines)


def test_mm_ctl_binds_and_unbinds_a_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nsdb = f"file:{tmp_path / 'nsdb.db'}"
    me = host_id(tmp_path)
    with EmbeddedStore(tmp_path / "nsdb.db") as store:
        store.create(Host(id=me, name="node1"))
        bridge = Bridge(name="b")
        store.create(bridge)
        port = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
        store.create(port)
    common = ["--nsdb", nsdb, "--state-dir", str(tmp_path)]
    assert mm_ctl.main(["--bind-port", str(port.id), "veth7", *common]) == 0
    with EmbeddedStore(tmp_path / "nsdb.db") as store:
        bound = store.get(Port, port.id).obj
        assert (bound.host_id, bound.interface_name) == (me, "veth7")
        assert store.get(Host, me).obj.port_ids == (port.id,)
    assert mm_ctl.main(["--unbind-port", str(port.id), *common]) == 0
    with EmbeddedStore(tmp_path / "nsdb.db") as store:
        assert store.get(Port, port.id).obj.host_id is None
    assert mm_ctl.main(["--unbind-port", str(uuid.uuid4()), *common]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert mm_ctl.main(["--unbind-port", "x", *common]) == 2
