"""The agent's host in the NSDB: its Host object, interfaces and liveness.

On start the agent creates its Host (or takes over the one with its stable id),
writes its name and interfaces, and announces itself alive with an ephemeral
HostAlive entry under its store session, so the entry vanishes when the agent stops
or dies. Each interface change is logged as the guide's Interface DETECT / UPDATE /
DELETE event and written to the Host.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from midonet.agent.events import AgentEvents
from midonet.errors import ConcurrentModification, NotFound, ObjectExists
from midonet.model import Host, HostInterface
from midonet.store.base import Store
from midonet.store.state import HostAlive, Session

log = logging.getLogger(__name__)


class HostService:
    def __init__(self, store: Store, host_id: uuid.UUID, name: str, events: AgentEvents) -> None:
        self.store = store
        self.host_id = host_id
        self.name = name
        self.events = events
        self.interfaces: dict[str, HostInterface] = {}

    def register(self, interfaces: Mapping[str, HostInterface], session: Session) -> None:
        """Create or update our Host with `interfaces`, then announce it alive."""
        for name in sorted(interfaces):
            self.events.interface_detect(name)
        self.interfaces = dict(interfaces)
        self._write()
        HostAlive(self.store.state).announce(self.host_id, session)

    def update(self, interfaces: Mapping[str, HostInterface]) -> bool:
        """Record a new interface list; True if it differs from the last one."""
        old = self.interfaces
        if dict(interfaces) == old:
            return False
        for name in sorted(interfaces.keys() - old.keys()):
            self.events.interface_detect(name)
        for name in sorted(old.keys() & interfaces.keys()):
            if old[name] != interfaces[name]:
                self.events.interface_update(name)
        for name in sorted(old.keys() - interfaces.keys()):
            self.events.interface_delete(name)
        self.interfaces = dict(interfaces)
        self._write()
        return True

    def _write(self) -> None:
        interfaces = tuple(self.interfaces[n] for n in sorted(self.interfaces))
        for _ in range(10):  # another writer (the API, a binding) may race us
            try:
                current = self.store.get(Host, self.host_id)
            except NotFound:
                try:
                    self.store.create(Host(id=self.host_id, name=self.name, interfaces=interfaces))
                except ObjectExists:
                    continue
                return
            host = current.obj
            if host.name == self.name and host.interfaces == interfaces:
                return
            try:
                self.store.update(
                    host.replace(name=self.name, interfaces=interfaces),
                    expected_version=current.version,
                )
            except ConcurrentModification:
                continue
            return
        log.error("could not write host %s after repeated conflicts", self.host_id)
