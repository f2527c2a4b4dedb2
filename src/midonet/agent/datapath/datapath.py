"""The user-space datapath: the host interfaces bound to virtual ports, by number.

Each bound interface becomes a datapath port with a small integer number (the
`in_port` of a FlowMatch) and a `PacketSocket`. Received frames go to the handler
the agent gives (the packet pipeline); `output` sends a frame out of the interface
bound to a virtual port. An output to a virtual port bound on another host belongs
to the tunnel port that a later datapath adds; today `output` answers False for it.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from midonet.agent.datapath.fast_path import KernelFastPath
from midonet.agent.datapath.offload import NO_OFFLOAD
from midonet.agent.datapath.packet_socket import PacketSocket, Received
from midonet.agent.loop import EventLoop

log = logging.getLogger(__name__)

BURST = 64
"""Frames read from one interface before the loop serves the others."""
RESYNC_AFTER = 0.005
"""Seconds of readable-but-empty wake-ups before the receive ring is resynced."""


@dataclass(slots=True)
class DatapathPort:
    number: int
    vport_id: uuid.UUID
    ifname: str
    socket: PacketSocket
    ifindex: int = 0
    in_kernel: bool = False
    """The kernel fast path forwards this interface's offloaded flows."""
    rx_packets: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0  # by the kernel, before we could read them
    tx_packets: int = 0
    tx_errors: int = 0
    recheck_pending: bool = False
    stalled_since: float | None = None
    """When the socket started polling readable with nothing to read (see `_readable`)."""


@dataclass(slots=True)
class DatapathStats:
    received: int = 0
    sent: int = 0
    send_errors: int = 0
    no_such_port: int = 0
    kernel_drops: int = 0
    gso_received: int = 0  # TSO super-packets, sent on with their virtio-net header
    ring_resyncs: int = 0  # receive rings found out of step and put back (see resync)


Handler = Callable[[DatapathPort, Received], None]


class Datapath:
    def __init__(self, loop: EventLoop, handler: Handler) -> None:
        self.loop = loop
        self.handler = handler
        self.ports: dict[int, DatapathPort] = {}
        self.by_vport: dict[uuid.UUID, DatapathPort] = {}
        self.stats = DatapathStats()
        self.fast_path: KernelFastPath | None = None
        """Set by the agent when the kernel takes offloaded flows."""
        self._next = 1

    def add_port(self, vport_id: uuid.UUID, ifname: str) -> DatapathPort:
        """Open `ifname` for `vport_id` (OSError if the interface cannot be opened)."""
        if vport_id in self.by_vport:
            raise ValueError(f"port {vport_id} is already in the datapath")
        ifindex = socket.if_nametoindex(ifname)
        sock = PacketSocket(ifname)
        port = DatapathPort(self._next, vport_id, ifname, sock, ifindex)
        self._next += 1
        if self.fast_path is not None:
            try:
                self.fast_path.attach(port.ifindex, sock.sock)
                port.in_kernel = True
            except OSError as e:
                log.warning("interface %s: no kernel fast path (%s)", ifname, e)
        self.ports[port.number] = port
        self.by_vport[vport_id] = port
        self.loop.add_reader(sock.fileno(), lambda: self._readable(port))
        return port

    def remove_port(self, vport_id: uuid.UUID) -> DatapathPort | None:
        port = self.by_vport.pop(vport_id, None)
        if port is None:
            return None
        del self.ports[port.number]
        if port.in_kernel and self.fast_path is not None:
            self.fast_path.detach(port.ifindex)
        self.loop.remove_reader(port.socket.fileno())
        port.socket.close()
        return port

    def output(self, vport_id: uuid.UUID, frame: bytes, vnet: bytes = NO_OFFLOAD) -> bool:
        port = self.by_vport.get(vport_id)
        if port is None:
            self.stats.no_such_port += 1
            return False
        try:
            port.socket.send(frame, vnet)
        except OSError as e:
            port.tx_errors += 1
            self.stats.send_errors += 1
            log.debug("sending %d bytes on %s failed: %s", len(frame), port.ifname, e)
            return False
        port.tx_packets += 1
        self.stats.sent += 1
        return True

    def collect_drops(self) -> int:
        """Add up the frames the kernel dropped on each port since the last call."""
        total = 0
        for port in self.ports.values():
            try:
                dropped = port.socket.kernel_drops()
            except OSError:
                continue
            port.rx_dropped += dropped
            total += dropped
            if dropped and port.socket.resync():  # dropping while frames wait unread
                self.stats.ring_resyncs += 1
                self._readable(port)
        self.stats.kernel_drops += total
        return total

    def close(self) -> None:
        for vport_id in list(self.by_vport):
            self.remove_port(vport_id)

    def _recheck(self, port: DatapathPort) -> None:
        """Still a hole where we read next while frames wait after it: move on."""
        port.recheck_pending = False
        if port.number not in self.ports:
            return
        if port.socket.skipped_ahead() and port.socket.resync():
            self.stats.ring_resyncs += 1
        self._readable(port)

    def _woken_for_nothing(self, port: DatapathPort) -> None:
        """The socket polled readable but its next ring slot is empty. A frame still
        being copied by another CPU explains a moment of that; if it lasts, the ring
        is out of step and would spin the loop while frames pile up: resync it."""
        now = time.monotonic()
        if port.stalled_since is None:
            port.stalled_since = now
        elif now - port.stalled_since >= RESYNC_AFTER and port.socket.resync():
            self.stats.ring_resyncs += 1
            port.stalled_since = None

    def _readable(self, port: DatapathPort) -> None:
        for count in range(BURST):
            if port.number not in self.ports:  # unbound while handling the burst
                return
            try:
                received = port.socket.receive()
            except OSError as e:  # the interface went down or away: reported once
                port.rx_errors += 1
                log.info("interface %s: %s", port.ifname, e)
                return
            if received is None:
                if count == 0:
                    self._woken_for_nothing(port)
                if port.socket.skipped_ahead() and not port.recheck_pending:
                    # No wake-up may come for a hole (poll looks at the kernel's
                    # last slot, which we emptied): look again shortly.
                    port.recheck_pending = True
                    self.loop.call_later(RESYNC_AFTER, lambda: self._recheck(port))
                return
            port.stalled_since = None
            port.rx_packets += 1
            self.stats.received += 1
            if received.vnet is not None:
                self.stats.gso_received += 1
            self.handler(port, received)
