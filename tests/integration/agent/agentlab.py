"""The agent under test and helpers that build topologies for it in the store."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from pathlib import Path

from netlab import wait_for

from midonet.agent.service import Agent
from midonet.model import Bridge, Port, PortType, Router
from midonet.store import EmbeddedStore
from midonet.store.state import PortActive


@dataclass
class RunningAgent:
    agent: Agent
    store: EmbeddedStore
    host_id: uuid.UUID
    state_dir: Path
    events_path: Path

    def exterior(self, device: Bridge | Router, ifname: str, **fields: object) -> Port:
        """A port of `device` bound to this host's `ifname`."""
        kind = PortType.BRIDGE if isinstance(device, Bridge) else PortType.ROUTER
        key = "bridge_id" if kind is PortType.BRIDGE else "router_id"
        port = Port(
            type=kind, host_id=self.host_id, interface_name=ifname, **{key: device.id}, **fields
        )
        self.store.create(port)
        return port

    def wait_active(self, *ports: Port, timeout: float = 10.0) -> None:
        table = PortActive(self.store.state)
        assert wait_for(lambda: all(table.host_of(p.id) == self.host_id for p in ports), timeout), (
            "ports did not become active"
        )


def router_port(
    running: RunningAgent, router: Router, cidr: str, ifname: str | None = None
) -> Port:
    """A router port with address `cidr` (bound to `ifname` when given)."""
    iface = ipaddress.IPv4Interface(cidr)
    fields: dict[str, object] = {
        "port_address": iface.ip,
        "network_address": iface.network.network_address,
        "network_length": iface.network.prefixlen,
    }
    if ifname is not None:
        return running.exterior(router, ifname, **fields)
    port = Port(type=PortType.ROUTER, router_id=router.id, **fields)  # type: ignore[arg-type]
    running.store.create(port)
    return port


def link(running: RunningAgent, a: Port, b: Port) -> None:
    current = running.store.get(Port, a.id)
    running.store.update(current.obj.replace(peer_id=b.id), expected_version=current.version)
