"""`midolman` as an operator runs it: a process with its state directory and NSDB
file, ports bound with `mm-ctl`, stopped by SIGTERM (needs root)."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from netlab import NetLab, root_and_tools, wait_for

from midonet.agent.host_id import read_host_id
from midonet.model import Bridge, Host, Port, PortType
from midonet.store import EmbeddedStore
from midonet.store.state import HostAlive, PortActive

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]


def tool(name: str) -> list[str]:
    module = {"midolman": "midonet.agent.main", "mm-ctl": "midonet.tools.mm_ctl"}[name]
    return [sys.executable, "-m", module]


def test_midolman_process_with_mm_ctl_bindings(tmp_path: Path, lab: NetLab) -> None:
    nsdb = tmp_path / "nsdb.db"
    common = ["--nsdb", f"file:{nsdb}", "--state-dir", str(tmp_path)]
    a = lab.guest("a", "10.93.0.1/24")
    b = lab.guest("b", "10.93.0.2/24")
    proc = subprocess.Popen(
        [*tool("midolman"), *common, "--hostname", "node1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with EmbeddedStore(nsdb) as store:
            assert wait_for(lambda: read_host_id(tmp_path) is not None, 10)
            me = read_host_id(tmp_path)
            assert me is not None
            assert wait_for(lambda: HostAlive(store.state).is_alive(me), 15)
            assert store.get(Host, me).obj.name == "node1"
            bridge = Bridge(name="b")
            store.create(bridge)
            ports = [Port(type=PortType.BRIDGE, bridge_id=bridge.id) for _ in range(2)]
            for port in ports:
                store.create(port)
            for port, guest in zip(ports, (a, b), strict=True):
                done = subprocess.run(
                    [*tool("mm-ctl"), "--bind-port", str(port.id), guest.outer, *common],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                assert done.returncode == 0, done.stderr
            active = PortActive(store.state)
            assert wait_for(lambda: all(active.host_of(p.id) == me for p in ports), 10)
            assert a.ping(b.ip)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
            assert proc.returncode == 0, err
            assert not HostAlive(store.state).is_alive(me)
            assert active.host_of(ports[0].id) is None
        events = (tmp_path / "midolman.event.log").read_text()
        assert "org.midonet.event.agent.Service.START - START Service started." in events
        assert "org.midonet.event.agent.Service.EXIT - EXIT Service exited." in events
        assert read_host_id(tmp_path) == me and isinstance(me, uuid.UUID)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
