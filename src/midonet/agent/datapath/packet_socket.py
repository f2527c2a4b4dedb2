"""A host interface opened in user space: an AF_PACKET raw socket bound to it.

The socket asks for the virtio-net header (PACKET_VNET_HDR, see `offload`), and the
kernel's VLAN offload metadata, because a tag the kernel took off must be put back
before the frame is matched. Our own transmissions are not looped back to us
(PACKET_IGNORE_OUTGOING) and skip the qdisc layer (PACKET_QDISC_BYPASS), and the
interface is promiscuous for as long as the socket is open, as a switch port is.

Frames arrive through a TPACKET_V2 ring shared with the kernel (mmap): reading a
frame is a memory copy, not a system call, and the loop wakes once for a whole
burst. V2 rather than V3 because V3 signals a block only when it is full or its
timer (jiffies) fires, which adds milliseconds to every lone packet. A frame larger
than a ring slot (a TSO super-packet) is marked TP_STATUS_COPY and also queued on
the socket (PACKET_COPY_THRESH), where `recvmsg` reads it whole. Without a ring (the
kernel refuses one) every frame is read with `recvmsg` and PACKET_AUXDATA.
"""

from __future__ import annotations

import logging
import mmap
import socket
import struct

from midonet.agent.datapath.offload import (
    F_NEEDS_CSUM,
    GSO_NONE,
    NO_OFFLOAD,
    VNET_HDR,
    VNET_HDR_LEN,
    VnetHeader,
    complete_checksum,
)

log = logging.getLogger(__name__)

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_COPY_THRESH = 7
PACKET_AUXDATA = 8
PACKET_VERSION = 10
PACKET_VNET_HDR = 15
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
TPACKET_V2 = 1
ETH_P_ALL = 0x0003
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 0x1
TP_STATUS_COPY = 0x2
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
_AUXDATA = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid
# tpacket2_hdr: status, len, snaplen, mac, net, sec, nsec, vlan_tci, vlan_tpid
_TP2_HDR = struct.Struct("=IIIHHIIHH")
_STATUS = struct.Struct("=I")
_STATS = struct.Struct("=II")  # tpacket_stats: packets, drops
_MREQ = struct.Struct("=iHH8s")
_REQ = struct.Struct("=IIII")  # block size, block count, frame size, frame count
_ANCILLARY = socket.CMSG_SPACE(_AUXDATA.size)
MAX_FRAME = 65536 + 4
SMALL_FRAME = 2048
"""Frames up to this size are joined with their header to be sent in one buffer."""
RING_FRAME = 2048  # an MTU-sized frame, its headers and the virtio-net header
RING_BLOCK = 1 << 16
RING_BLOCKS = 32  # 1024 slots, 2 MiB per port


class Received:
    """One frame read from an interface, checksum completed unless it is GSO."""

    __slots__ = ("frame", "vnet")

    def __init__(self, frame: bytes, vnet: VnetHeader | None) -> None:
        self.frame = frame
        self.vnet = vnet  # kept only for GSO frames, which go out with it


class PacketSocket:
    def __init__(self, ifname: str, *, ring: bool = True) -> None:
        self.ifname = ifname
        self.ifindex = socket.if_nametoindex(ifname)
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._ring: mmap.mmap | None = None
        try:
            sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
            if ring:
                self._ring = _map_ring(sock)
            sock.setsockopt(
                SOL_PACKET,
                PACKET_ADD_MEMBERSHIP,
                _MREQ.pack(self.ifindex, PACKET_MR_PROMISC, 0, b""),
            )
            sock.bind((ifname, ETH_P_ALL))
            sock.setblocking(False)
        except BaseException:
            if self._ring is not None:
                self._ring.close()
            sock.close()
            raise
        self.sock = sock
        self._buf = bytearray(VNET_HDR_LEN + MAX_FRAME)
        self._view = memoryview(self._buf)
        self._head = 0
        self._slots = RING_BLOCK // RING_FRAME * RING_BLOCKS

    @property
    def has_ring(self) -> bool:
        return self._ring is not None

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive(self) -> Received | None:
        """The next frame, or None when none is waiting."""
        ring = self._ring
        if ring is None:
            return self._recvmsg()
        at = self._head * RING_FRAME
        status, _, snaplen, mac, _, _, _, tci, tpid = _TP2_HDR.unpack_from(ring, at)
        if not status & TP_STATUS_USER:
            return None
        if status & TP_STATUS_COPY:  # too big for a slot: read it whole from the queue
            self._release(at)
            return self._recvmsg()
        start = at + mac
        flags, gso = ring[start - VNET_HDR_LEN], ring[start - VNET_HDR_LEN + 1]
        if not flags and not gso and not status & TP_STATUS_VLAN_VALID:
            # The common case, a frame with nothing to fix: one copy, no objects.
            frame_bytes = ring[start : start + snaplen]
            self._release(at)
            return Received(frame_bytes, None)
        vnet = VNET_HDR.unpack_from(ring, start - VNET_HDR_LEN)
        frame = bytearray(ring[start : start + snaplen])
        self._release(at)
        shift = _insert_tag(frame, status, tci, tpid)
        return _finish(frame, vnet, shift)

    def skipped_ahead(self) -> bool:
        """The slot we read next is empty but the one after it is full: the kernel
        left a hole (or is still copying into our slot, for a moment)."""
        ring = self._ring
        if ring is None:
            return False
        after = ((self._head + 1) % self._slots) * RING_FRAME
        (status,) = _STATUS.unpack_from(ring, after)
        return bool(status & TP_STATUS_USER)

    def resync(self) -> bool:
        """Move the read position to the oldest frame the kernel has handed over, if
        the slot we read next is empty while others are full. The kernel fills slots
        in order, so this should never be needed; it was seen under a UDP flood (the
        ring full from slot 99 on, our position elsewhere: the socket polled readable
        forever while nothing was read). True if the position moved."""
        ring = self._ring
        if ring is None:
            return False
        oldest: tuple[int, int, int] | None = None
        for slot in range(self._slots):
            status, _, _, _, _, sec, nsec, _, _ = _TP2_HDR.unpack_from(ring, slot * RING_FRAME)
            if status & TP_STATUS_USER and (oldest is None or (sec, nsec) < oldest[:2]):
                oldest = (sec, nsec, slot)
        if oldest is None or oldest[2] == self._head:
            return False
        log.warning(
            "%s: receive ring out of step (slot %d, frames from slot %d); resynced",
            self.ifname,
            self._head,
            oldest[2],
        )
        self._head = oldest[2]
        return True

    def _release(self, at: int) -> None:
        assert self._ring is not None
        _STATUS.pack_into(self._ring, at, TP_STATUS_KERNEL)
        self._head = (self._head + 1) % self._slots

    def _recvmsg(self) -> Received | None:
        try:
            size, ancdata, _, _ = self.sock.recvmsg_into([self._view], _ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return None
        if size < VNET_HDR_LEN:
            return Received(b"", None)
        vnet = VNET_HDR.unpack_from(self._buf)
        frame = bytearray(self._view[VNET_HDR_LEN:size])
        shift = 0
        for level, kind, data in ancdata:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
                status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(data)
                shift = _insert_tag(frame, status, tci, tpid)
        return _finish(frame, vnet, shift)

    def kernel_drops(self) -> int:
        """Frames the kernel dropped since the last call (the ring or the socket
        queue was full: we did not keep up). Reading resets the kernel's counters."""
        _, drops = _STATS.unpack(self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size))
        return int(drops)

    def send(self, frame: bytes, vnet: bytes = NO_OFFLOAD) -> None:
        """Transmit `frame`, with a virtio-net header for GSO frames. A small frame
        goes as one joined buffer (`send` costs about two thirds of a two-part
        `sendmsg`); a large one as two parts, sparing a copy of it."""
        if len(frame) <= SMALL_FRAME:
            self.sock.send(vnet + frame)
        else:
            self.sock.sendmsg([vnet, frame])

    def close(self) -> None:
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        self.sock.close()


def _map_ring(sock: socket.socket) -> mmap.mmap | None:
    """Set up and map the RX ring; None (plain reads) if the kernel refuses."""
    try:
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        sock.setsockopt(SOL_PACKET, PACKET_COPY_THRESH, 1)
        frames = RING_BLOCK // RING_FRAME * RING_BLOCKS
        sock.setsockopt(
            SOL_PACKET, PACKET_RX_RING, _REQ.pack(RING_BLOCK, RING_BLOCKS, RING_FRAME, frames)
        )
        return mmap.mmap(sock.fileno(), RING_BLOCK * RING_BLOCKS)
    except OSError as e:
        log.warning("no TPACKET_V2 ring (%s): frames will be read one call each", e)
        return None


def _insert_tag(frame: bytearray, status: int, tci: int, tpid: int) -> int:
    """Put back a VLAN tag the kernel took off; the bytes inserted before L3."""
    if not status & TP_STATUS_VLAN_VALID or len(frame) < 12:
        return 0
    tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID and tpid else 0x8100
    frame[12:12] = struct.pack("!HH", tpid, tci)
    return 4


def _finish(frame: bytearray, vnet: tuple[int, ...], shift: int) -> Received:
    """The frame with its checksum completed, or its GSO header kept (shifted by the
    tag put back). `vnet` is the unpacked virtio-net header."""
    flags, gso_type, _, _, csum_start, csum_offset = vnet
    if gso_type != GSO_NONE:
        return Received(bytes(frame), VnetHeader.unpack(VnetHeader(*vnet).shifted(shift)))
    if flags & F_NEEDS_CSUM:
        complete_checksum(frame, csum_start + shift, csum_offset)
    return Received(bytes(frame), None)
