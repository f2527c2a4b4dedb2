"""Frames for virtual ports bound on other hosts.

A simulation may output to an exterior port whose binding is on another host; the
frame must then travel there through a tunnel (VXLAN in a tunnel zone, with the
port's tunnel key), which a later datapath adds behind this protocol. Until then
`NoTunnels` counts and drops such frames, so the pipeline's accounting shows them.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from midonet.model import Port


class RemoteOutput(Protocol):
    def send(self, host_id: uuid.UUID, port: Port, frame: bytes, vnet: bytes | None) -> bool:
        """Carry `frame` to `port`, bound on `host_id`; False if it cannot go."""
        ...


class NoTunnels:
    def __init__(self) -> None:
        self.dropped = 0

    def send(self, host_id: uuid.UUID, port: Port, frame: bytes, vnet: bytes | None) -> bool:
        self.dropped += 1
        return False
