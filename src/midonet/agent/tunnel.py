"""VXLAN tunnels between agents (guide chapter 3): frames for ports bound elsewhere.

Hosts join tunnel zones with an underlay address. A frame the simulation sends out
of an exterior port bound on another host is encapsulated in VXLAN over UDP
(`agent.datapath.vxlan_overlay_udp_port`, MidoNet's 6677) to that host's address in a
VXLAN zone both hosts are members of, with the egress port's tunnel key as the VNI.
The receiving agent delivers the inner frame to its local port with that key
without simulating it again: the sender's simulation already decided everything,
rewrites included.

Tunnel keys: a port's `tunnel_key` when the NSDB assigned one, else 24 bits derived
from its id (`tunnel_key_of`). The receiver resolves a key among the ports bound to
it; two of its ports sharing a key is reported and their frames dropped.

A TSO super-packet keeps its virtio-net header across the tunnel: the VXLAN flags
byte's reserved bit `FLAG_VNET` says a 10-byte header precedes the inner frame, so
the receiving kernel segments it (our agents only; peers that do not know the bit
never see it, as the sender only sets it for TSO frames between our agents).

Zones of type `gre` are not supported by this datapath: a frame that could only go
through one is dropped and counted, and the agent logs an error naming the types it
supports (vxlan) once per zone.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from midonet.agent.datapath.offload import VNET_HDR_LEN
from midonet.agent.loop import EventLoop
from midonet.agent.topology.snapshot import Topology
from midonet.model import Port, TunnelZone, TunnelZoneType

log = logging.getLogger(__name__)

DEFAULT_PORT: Final = 6677
VXLAN: Final = struct.Struct("!BBxxI")  # flags, our reserved flags, (reserved), VNI << 8
FLAG_VNI: Final = 0x08
FLAG_VNET: Final = 0x01
"""Our use of a reserved bit: a virtio-net header precedes the inner frame."""
FLOW_STATE_VNI: Final = 0xFFFFFF
"""The VNI of flow-state messages (no port's key: `tunnel_key_of` never gives it)."""
BURST: Final = 64
MAX_DATAGRAM: Final = 65535
SUPPORTED: Final = (TunnelZoneType.VXLAN,)

Deliver = Callable[[uuid.UUID, bytes, bytes | None], bool]
StateReceived = Callable[[bytes], None]


def tunnel_key_of(port: Port) -> int:
    """The VNI of frames for `port`: its assigned key, else 24 bits of its id."""
    if port.tunnel_key:
        return port.tunnel_key & 0xFFFFFF
    return (port.id.int % 0xFFFFFE) + 1


@dataclass(slots=True)
class TunnelStats:
    sent: int = 0
    received: int = 0
    delivered: int = 0
    malformed: int = 0
    unknown_key: int = 0
    no_peer: int = 0
    unsupported_zone: int = 0
    send_errors: int = 0
    state_sent: int = 0
    state_received: int = 0


class VxlanTunnels:
    """The agent's `RemoteOutput`: sends to peers and receives from them."""

    def __init__(
        self,
        host_id: uuid.UUID,
        loop: EventLoop,
        topology: Callable[[], Topology],
        deliver: Deliver,
        udp_port: int = DEFAULT_PORT,
        on_state: StateReceived | None = None,
    ) -> None:
        self.host_id = host_id
        self.on_state = on_state
        """Called with the payload of each flow-state message received."""
        self.udp_port = udp_port
        self.stats = TunnelStats()
        self._loop = loop
        self._topology = topology
        self._deliver = deliver
        self._socket: socket.socket | None = None
        self._warned: set[uuid.UUID] = set()

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._socket is not None

    def open(self) -> None:
        """Listen on the tunnel port (all addresses of this host's namespace)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(("0.0.0.0", self.udp_port))
        sock.setblocking(False)
        self._socket = sock
        self._loop.add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        if self._socket is not None:
            self._loop.remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None

    # --- sending ------------------------------------------------------------------------

    def send(self, host_id: uuid.UUID, port: Port, frame: bytes, vnet: bytes | None) -> bool:
        if self._socket is None:
            self.stats.no_peer += 1
            return False
        peer = self.peer_address(host_id)
        if peer is None:
            self.stats.no_peer += 1
            return False
        gso = vnet is not None and vnet[1] != 0
        header = VXLAN.pack(FLAG_VNI, FLAG_VNET if gso else 0, tunnel_key_of(port) << 8)
        payload = header + vnet + frame if gso and vnet is not None else header + frame
        try:
            self._socket.sendto(payload, (peer, self.udp_port))
        except OSError as e:
            self.stats.send_errors += 1
            log.debug("tunnel to %s: %s", peer, e)
            return False
        self.stats.sent += 1
        return True

    def send_state(self, host_id: uuid.UUID, message: bytes) -> bool:
        """Send a flow-state message to `host_id` (see `midonet.agent.state.exchange`)."""
        peer = self.peer_address(host_id) if self._socket is not None else None
        if self._socket is None or peer is None:
            self.stats.no_peer += 1
            return False
        try:
            self._socket.sendto(VXLAN.pack(FLAG_VNI, 0, FLOW_STATE_VNI << 8) + message,
                                (peer, self.udp_port))  # fmt: skip
        except OSError as e:
            self.stats.send_errors += 1
            log.debug("flow state to %s: %s", peer, e)
            return False
        self.stats.state_sent += 1
        return True

    def peer_address(self, host_id: uuid.UUID) -> str | None:
        """The address of `host_id` in a VXLAN zone this host is in, or None."""
        topology = self._topology()
        peers, refused = topology.memo(
            ("tunnel.peers", self.host_id), lambda: self._peers(topology)
        )
        address = peers.get(host_id)
        if address is None and host_id in refused:
            self._refuse(refused[host_id])
        return address

    def _peers(
        self, topology: Topology
    ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, TunnelZone]]:
        peers: dict[uuid.UUID, str] = {}
        refused: dict[uuid.UUID, TunnelZone] = {}
        for zone in topology.objects(TunnelZone):
            if self.host_id not in zone.host_ids:
                continue
            for member in zone.hosts:
                if member.host_id == self.host_id or member.host_id not in zone.host_ids:
                    continue
                if zone.type in SUPPORTED:
                    peers.setdefault(member.host_id, str(member.ip_address))
                else:
                    refused.setdefault(member.host_id, zone)
        return peers, refused

    def _refuse(self, zone: TunnelZone) -> None:
        self.stats.unsupported_zone += 1
        if zone.id not in self._warned:
            self._warned.add(zone.id)
            log.error(
                "tunnel zone %s (%s) is of type %s, which this agent does not support; "
                "supported tunnel zone types: %s",
                zone.name,
                zone.id,
                zone.type.value,
                ", ".join(t.value for t in SUPPORTED),
            )

    # --- receiving ----------------------------------------------------------------------

    def _readable(self) -> None:
        sock = self._socket
        if sock is None:
            return
        for _ in range(BURST):
            try:
                datagram = sock.recv(MAX_DATAGRAM)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                    log.debug("tunnel receive: %s", e)
                return
            self.receive(datagram)

    def receive(self, datagram: bytes) -> None:
        """Deliver one VXLAN datagram's frame to its local port."""
        self.stats.received += 1
        if len(datagram) < VXLAN.size + 8:
            self.stats.malformed += 1
            return
        flags, ours, vni = VXLAN.unpack_from(datagram)
        if not flags & FLAG_VNI:
            self.stats.malformed += 1
            return
        if vni >> 8 == FLOW_STATE_VNI:
            self.stats.state_received += 1
            if self.on_state is not None:
                self.on_state(datagram[VXLAN.size :])
            return
        if len(datagram) < VXLAN.size + 14:
            self.stats.malformed += 1
            return
        start, vnet = VXLAN.size, None
        if ours & FLAG_VNET:
            start += VNET_HDR_LEN
            vnet = datagram[VXLAN.size : start]
            if len(datagram) < start + 14:
                self.stats.malformed += 1
                return
        port_id = self._local_port(vni >> 8)
        if port_id is None:
            self.stats.unknown_key += 1
            return
        if self._deliver(port_id, datagram[start:], vnet):
            self.stats.delivered += 1

    def _local_port(self, key: int) -> uuid.UUID | None:
        topology = self._topology()
        index = topology.memo(("tunnel.local", self.host_id), lambda: self._index(topology))
        return index.get(key)

    def _index(self, topology: Topology) -> dict[int, uuid.UUID]:
        index: dict[int, uuid.UUID] = {}
        clashes: set[int] = set()
        for port in topology.objects(Port):
            if port.host_id != self.host_id:
                continue
            key = tunnel_key_of(port)
            if key in index:
                clashes.add(key)
                log.error("ports %s and %s share tunnel key %d", index[key], port.id, key)
            index[key] = port.id
        for key in clashes:
            del index[key]
        return index
