"""The keys of the flow state a simulation reads and writes: conntrack and NAT.

Kept apart (no imports from the simulation) so results, state tables and the
flow-state exchange can all name them. Keys double as flow tags: a flow that read or
wrote an entry is tagged with its key, and goes when the entry changes.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Container, Sequence
from typing import NamedTuple

from midonet.model import NatTarget


def ip_text(value: int) -> str:
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


class ConnTrackKey(NamedTuple):
    """MidoNet's ConnTrackKey: a packet's addresses, ports (ICMP: the echo id in
    both) and protocol, and the device it entered by."""

    src_ip: int
    src_port: int
    dst_ip: int
    dst_port: int
    proto: int
    device_id: uuid.UUID

    def __str__(self) -> str:
        return (
            f"{ip_text(self.src_ip)}:{self.src_port} > {ip_text(self.dst_ip)}:{self.dst_port}"
            f" proto {self.proto}"
        )


class NatKind(enum.IntEnum):
    """MidoNet's NAT key types (the numbers are its flow-state encoding)."""

    FWD_SNAT = 1
    FWD_DNAT = 2
    FWD_STICKY_DNAT = 3
    REV_SNAT = 4
    REV_DNAT = 5
    REV_STICKY_DNAT = 6

    @property
    def inverse(self) -> NatKind:
        return NatKind(self + 3 if self <= 3 else self - 3)

    @property
    def is_forward(self) -> bool:
        return self <= 3


class NatKey(NamedTuple):
    """A translation's key: its kind, the packet's 5-tuple as the rule saw it, and
    the device. A forward key maps to the new address and port; the return key (the
    reply's 5-tuple after translation) maps back to the original ones."""

    kind: NatKind
    src_ip: int
    src_port: int
    dst_ip: int
    dst_port: int
    proto: int
    device_id: uuid.UUID

    def return_key(self, binding: NatBinding) -> NatKey:
        """The key the reply will look up (MidoNet's NatKey.returnKey)."""
        if self.kind is NatKind.FWD_SNAT:
            return NatKey(
                NatKind.REV_SNAT,
                self.dst_ip,
                self.dst_port,
                binding.ip,
                binding.port,
                self.proto,
                self.device_id,
            )
        if self.kind in (NatKind.FWD_DNAT, NatKind.FWD_STICKY_DNAT):
            return NatKey(
                self.kind.inverse,
                binding.ip,
                binding.port,
                self.src_ip,
                self.src_port,
                self.proto,
                self.device_id,
            )
        raise ValueError(f"a {self.kind.name} key has no return key")

    def return_binding(self) -> NatBinding:
        """What the reply is translated back to: the original source (SNAT) or
        destination (DNAT)."""
        if self.kind is NatKind.FWD_SNAT:
            return NatBinding(self.src_ip, self.src_port)
        if self.kind in (NatKind.FWD_DNAT, NatKind.FWD_STICKY_DNAT):
            return NatBinding(self.dst_ip, self.dst_port)
        raise ValueError(f"a {self.kind.name} key has no return binding")

    def __str__(self) -> str:
        return (
            f"{self.kind.name} {ip_text(self.src_ip)}:{self.src_port}"
            f" > {ip_text(self.dst_ip)}:{self.dst_port} proto {self.proto}"
        )


class NatBinding(NamedTuple):
    """The address and port a key translates to."""

    ip: int
    port: int

    def __str__(self) -> str:
        return f"{ip_text(self.ip)}:{self.port}"


def first_free_snat(
    taken: Container[NatKey],
    device_id: uuid.UUID,
    dst_ip: int,
    dst_port: int,
    proto: int,
    targets: Sequence[NatTarget],
) -> NatBinding | None:
    """The first (ip, port) of `targets` (ports 0: 1-65535) whose return key is not
    in `taken`: SNAT for one agent with no NSDB leases (tests, benchmarks)."""
    for target in targets:
        first, last = target.port_from or 1, target.port_to or 0xFFFF
        for ip in range(int(target.address_from), int(target.address_to) + 1):
            for port in range(first, last + 1):
                key = NatKey(NatKind.REV_SNAT, dst_ip, dst_port, ip, port, proto, device_id)
                if key not in taken:
                    return NatBinding(ip, port)
    return None
