"""Port bindings: the exterior ports bound to this host, opened in the datapath.

The desired bindings are read from the topology snapshot (ports whose `host_id` is
this host, with their `interface_name`); the actual ones are the datapath's ports.
`reconcile` closes what is no longer wanted (the port was unbound, deleted, moved to
another interface, or its interface vanished), cleaning its flows and its PortActive
entry, and opens what is wanted and present, marking it active under the agent's
session. It runs on the loop thread after every topology or interface change.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Collection

from midonet.agent.datapath.datapath import Datapath
from midonet.agent.pipeline import PacketPipeline
from midonet.agent.topology.snapshot import Topology
from midonet.model import Port
from midonet.store.state import PortActive, Session

log = logging.getLogger(__name__)


def _index(ifname: str) -> int | None:
    try:
        return socket.if_nametoindex(ifname)
    except OSError:
        return None


class Bindings:
    def __init__(
        self,
        host_id: uuid.UUID,
        datapath: Datapath,
        pipeline: PacketPipeline,
        port_active: PortActive,
        session: Session,
    ) -> None:
        self.host_id = host_id
        self.datapath = datapath
        self.pipeline = pipeline
        self.port_active = port_active
        self.session = session
        self.failed: dict[uuid.UUID, str] = {}  # port → why its interface did not open

    def wanted(self, topology: Topology) -> dict[uuid.UUID, str]:
        return {
            port.id: port.interface_name
            for port in topology.objects(Port)
            if port.host_id == self.host_id and port.interface_name
        }

    def reconcile(self, topology: Topology, interfaces: Collection[str]) -> None:
        wanted = {p: i for p, i in self.wanted(topology).items() if i in interfaces}
        for vport_id, dp_port in list(self.datapath.by_vport.items()):
            if wanted.get(vport_id) != dp_port.ifname or _index(dp_port.ifname) != (
                dp_port.socket.ifindex
            ):
                # Unbound, moved, or its interface was deleted (and perhaps made again
                # under the same name: our socket still belongs to the old one).
                self.unbind(vport_id)
        for vport_id, ifname in wanted.items():
            if vport_id not in self.datapath.by_vport:
                self.bind(vport_id, ifname)

    def bind(self, vport_id: uuid.UUID, ifname: str) -> None:
        try:
            dp_port = self.datapath.add_port(vport_id, ifname)
        except OSError as e:
            if self.failed.get(vport_id) != str(e):
                log.warning("cannot open interface %s for port %s: %s", ifname, vport_id, e)
            self.failed[vport_id] = str(e)
            return
        self.failed.pop(vport_id, None)
        self.port_active.set_active(vport_id, self.host_id, self.session)
        log.info(
            "port %s bound to interface %s (datapath port %d)", vport_id, ifname, dp_port.number
        )

    def unbind(self, vport_id: uuid.UUID) -> None:
        dp_port = self.datapath.remove_port(vport_id)
        if dp_port is None:
            return
        self.pipeline.forget_port(vport_id, dp_port.number)
        try:
            self.port_active.set_inactive(vport_id, self.session)
        except Exception:
            log.exception("marking port %s inactive failed", vport_id)
        log.info("port %s unbound from interface %s", vport_id, dp_port.ifname)

    def close(self) -> None:
        for vport_id in list(self.datapath.by_vport):
            self.unbind(vport_id)
