"""State tables: small, fast-changing maps that agents share beside the topology.

A state table is a named map from string keys to JSON values, each entry with a
version (like objects, versions only grow). An entry is either persistent or
*ephemeral*: written under a client `Session`, it disappears when the session ends,
whether closed cleanly or expired because its process stopped renewing it (a session
lives `ttl` seconds past its last renewal; a heartbeat thread renews it, and any
client may reap expired sessions). So a crashed agent's entries do not live forever.

The typed tables below name MidoNet's tables and encode their keys and values:
bridge MAC tables per VLAN, bridge and router ARP tables, port activity, host
liveness and NAT port-block leases.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from midonet.errors import StoreError
from midonet.store.watch import Change, Watch

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None
"""A state value: any JSON value, but not null at the top (a change with no value is
a deletion)."""


class SessionExpired(StoreError):
    """The session ended (closed, or not renewed within its TTL); its entries are gone."""


@dataclass(frozen=True, slots=True)
class StateEntry:
    value: JSON
    version: int
    session: int | None  # the owning session, None for a persistent entry


class Session(Protocol):
    """A client's liveness lease; ephemeral entries written under it end with it."""

    @property
    def id(self) -> int: ...

    @property
    def ttl(self) -> float: ...

    @property
    def expired(self) -> bool: ...

    def renew(self) -> None:
        """Extend the lease by `ttl`; `SessionExpired` if it already ended."""
        ...

    def close(self) -> None:
        """End the session now, removing its ephemeral entries."""
        ...


class StateStore(Protocol):
    def open_session(
        self, ttl: float = 10.0, *, owner: str = "", heartbeat: bool = True
    ) -> Session:
        """A new session; with `heartbeat` a thread renews it every ttl/3 seconds."""
        ...

    def get(self, table: str, key: str) -> StateEntry | None: ...

    def entries(self, table: str) -> dict[str, StateEntry]: ...

    def put(self, table: str, key: str, value: JSON, *, session: Session | None = None) -> int:
        """Set an entry (ephemeral under `session`); returns its version."""
        ...

    def put_if(
        self,
        table: str,
        key: str,
        value: JSON,
        *,
        expected_version: int,
        session: Session | None = None,
    ) -> int | None:
        """Set the entry only if it is at `expected_version` (0: only if absent),
        atomically; the new version, or None when another write got there first."""
        ...

    def remove(
        self,
        table: str,
        key: str,
        *,
        expected_version: int | None = None,
        session: Session | None = None,
    ) -> bool:
        """Delete the entry (only if at `expected_version`, only if owned by
        `session`, when given); True if it was deleted."""
        ...

    def watch(
        self, table: str, *, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        """Follow a table: its current entries first, then every change."""
        ...

    def reap_expired(self) -> int:
        """End every session past its TTL; returns how many ended."""
        ...


# --- MidoNet's tables ---------------------------------------------------------------

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def mac(value: str) -> str:
    """Canonical MAC text (lower case, colon separated)."""
    text = value.strip().lower().replace("-", ":")
    if not _MAC.match(text):
        raise ValueError(f"not a MAC address: {value!r}")
    return text


class MacTable:
    """A bridge's MAC → port table for one VLAN (0 when untagged).

    Learned entries are ephemeral under the learning agent's session; entries an
    operator adds are persistent.
    """

    def __init__(self, state: StateStore, bridge_id: uuid.UUID, vlan: int = 0) -> None:
        if not 0 <= vlan < 4096:
            raise ValueError(f"vlan must be 0..4095, got {vlan}")
        self.state = state
        self.name = f"bridge/{bridge_id}/vlan/{vlan}/mac"

    def add(self, address: str, port_id: uuid.UUID, *, session: Session | None = None) -> None:
        self.state.put(self.name, mac(address), str(port_id), session=session)

    def remove(self, address: str, port_id: uuid.UUID | None = None) -> bool:
        """Forget `address` (only while it maps to `port_id`, when given)."""
        key = mac(address)
        entry = self.state.get(self.name, key)
        if entry is None or (port_id is not None and entry.value != str(port_id)):
            return False
        return self.state.remove(self.name, key, expected_version=entry.version)

    def get(self, address: str) -> uuid.UUID | None:
        entry = self.state.get(self.name, mac(address))
        return None if entry is None else uuid.UUID(str(entry.value))

    def snapshot(self) -> dict[str, uuid.UUID]:
        return {k: uuid.UUID(str(e.value)) for k, e in self.state.entries(self.name).items()}

    def watch(
        self, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        return self.state.watch(self.name, callback=callback)


class ArpTable:
    """IP → MAC for a bridge (`device` "bridge") or a router (`device` "router")."""

    def __init__(self, state: StateStore, device: str, device_id: uuid.UUID) -> None:
        if device not in ("bridge", "router"):
            raise ValueError(f"ARP tables belong to a bridge or a router, not {device!r}")
        self.state = state
        self.name = f"{device}/{device_id}/arp"

    def add(
        self,
        ip: ipaddress.IPv4Address | str,
        address: str,
        *,
        session: Session | None = None,
    ) -> None:
        self.state.put(self.name, str(ipaddress.IPv4Address(ip)), mac(address), session=session)

    def remove(self, ip: ipaddress.IPv4Address | str) -> bool:
        return self.state.remove(self.name, str(ipaddress.IPv4Address(ip)))

    def get(self, ip: ipaddress.IPv4Address | str) -> str | None:
        entry = self.state.get(self.name, str(ipaddress.IPv4Address(ip)))
        return None if entry is None else str(entry.value)

    def snapshot(self) -> dict[ipaddress.IPv4Address, str]:
        return {
            ipaddress.IPv4Address(k): str(e.value) for k, e in self.state.entries(self.name).items()
        }

    def watch(
        self, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        return self.state.watch(self.name, callback=callback)


class PortActive:
    """Which host has each port bound and active (ephemeral, under the agent's session)."""

    name = "port-active"

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def set_active(self, port_id: uuid.UUID, host_id: uuid.UUID, session: Session) -> None:
        self.state.put(self.name, str(port_id), str(host_id), session=session)

    def set_inactive(self, port_id: uuid.UUID, session: Session | None = None) -> bool:
        return self.state.remove(self.name, str(port_id), session=session)

    def host_of(self, port_id: uuid.UUID) -> uuid.UUID | None:
        entry = self.state.get(self.name, str(port_id))
        return None if entry is None else uuid.UUID(str(entry.value))

    def watch(
        self, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        return self.state.watch(self.name, callback=callback)


class HostAlive:
    """The hosts whose agent is running (ephemeral, under the agent's session)."""

    name = "host-alive"

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def announce(self, host_id: uuid.UUID, session: Session) -> None:
        self.state.put(self.name, str(host_id), True, session=session)

    def is_alive(self, host_id: uuid.UUID) -> bool:
        return self.state.get(self.name, str(host_id)) is not None

    def alive(self) -> set[uuid.UUID]:
        return {uuid.UUID(k) for k in self.state.entries(self.name)}

    def watch(
        self, callback: Callable[[Change[str, JSON]], None] | None = None
    ) -> Watch[str, JSON]:
        return self.state.watch(self.name, callback=callback)


class NatLeases:
    """NAT port-block leases: (device, ip, block index) → owner.

    As in MidoNet's NAT block allocator, an agent leases a block of source ports for
    an IP of a device before using it for SNAT; the lease is ephemeral under the
    agent's session so a crashed agent's blocks become free again.
    """

    def __init__(self, state: StateStore) -> None:
        self.state = state

    @staticmethod
    def table(device_id: uuid.UUID) -> str:
        return f"nat/{device_id}"

    @staticmethod
    def key(ip: ipaddress.IPv4Address | str, block: int) -> str:
        if block < 0:
            raise ValueError(f"block index must not be negative, got {block}")
        return f"{ipaddress.IPv4Address(ip)}/{block}"

    def try_lease(
        self,
        device_id: uuid.UUID,
        ip: ipaddress.IPv4Address | str,
        block: int,
        owner: str,
        session: Session,
    ) -> bool:
        """Lease the block if it is free (or already ours); True if we hold it now."""
        table, key = self.table(device_id), self.key(ip, block)
        entry = self.state.get(table, key)
        if entry is not None:
            return entry.session == session.id
        won = self.state.put_if(table, key, owner, expected_version=0, session=session)
        return won is not None

    def release(
        self, device_id: uuid.UUID, ip: ipaddress.IPv4Address | str, block: int, session: Session
    ) -> bool:
        """Give the block back; only its holder can."""
        return self.state.remove(self.table(device_id), self.key(ip, block), session=session)

    def owner(
        self, device_id: uuid.UUID, ip: ipaddress.IPv4Address | str, block: int
    ) -> str | None:
        entry = self.state.get(self.table(device_id), self.key(ip, block))
        return None if entry is None else str(entry.value)

    def leases(self, device_id: uuid.UUID) -> dict[tuple[ipaddress.IPv4Address, int], str]:
        out: dict[tuple[ipaddress.IPv4Address, int], str] = {}
        for key, entry in self.state.entries(self.table(device_id)).items():
            ip, block = key.rsplit("/", 1)
            out[(ipaddress.IPv4Address(ip), int(block))] = str(entry.value)
        return out
