"""A host interface opened in user space: an AF_PACKET raw socket bound to it.

The socket asks for the virtio-net header (PACKET_VNET_HDR, see `offload`) and for
auxiliary data (PACKET_AUXDATA), because the kernel strips a VLAN tag it offloaded
(TP_STATUS_VLAN_VALID) and we must put it back before the frame is matched. Our own
transmissions are not looped back to us (PACKET_IGNORE_OUTGOING) and skip the qdisc
layer (PACKET_QDISC_BYPASS), and the interface is put in promiscuous mode for as
long as the socket is open, as a switch port is.
"""

from __future__ import annotations

import socket
import struct

from midonet.agent.datapath.offload import NO_OFFLOAD, VNET_HDR_LEN, VnetHeader, complete_checksum

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_AUXDATA = 8
PACKET_VNET_HDR = 15
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
ETH_P_ALL = 0x0003
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
_AUXDATA = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid
_MREQ = struct.Struct("=iHH8s")
_ANCILLARY = socket.CMSG_SPACE(_AUXDATA.size)
MAX_FRAME = 65536 + 4


class Received:
    """One frame read from an interface, checksum completed unless it is GSO."""

    __slots__ = ("frame", "vnet")

    def __init__(self, frame: bytes, vnet: VnetHeader | None) -> None:
        self.frame = frame
        self.vnet = vnet  # kept only for GSO frames, which go out with it


class PacketSocket:
    def __init__(self, ifname: str) -> None:
        self.ifname = ifname
        self.ifindex = socket.if_nametoindex(ifname)
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            # Straight to the driver, as a switch port: no qdisc (and its lock) per frame.
            sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
            sock.setsockopt(
                SOL_PACKET,
                PACKET_ADD_MEMBERSHIP,
                _MREQ.pack(self.ifindex, PACKET_MR_PROMISC, 0, b""),
            )
            sock.bind((ifname, ETH_P_ALL))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self._buf = bytearray(VNET_HDR_LEN + MAX_FRAME)
        self._view = memoryview(self._buf)

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive(self) -> Received | None:
        """The next frame, or None when none is waiting."""
        try:
            size, ancdata, _, _ = self.sock.recvmsg_into([self._view], _ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return None
        if size < VNET_HDR_LEN:
            return Received(b"", None)
        vnet = VnetHeader.unpack(self._buf)
        frame = bytearray(self._view[VNET_HDR_LEN:size])
        shift = _restore_vlan(frame, ancdata)
        if vnet.needs_csum and not vnet.is_gso:
            complete_checksum(frame, vnet.csum_start + shift, vnet.csum_offset)
            return Received(bytes(frame), None)
        if vnet.is_gso:
            header = VnetHeader.unpack(vnet.shifted(shift))
            return Received(bytes(frame), header)
        return Received(bytes(frame), None)

    def send(self, frame: bytes, vnet: bytes = NO_OFFLOAD) -> None:
        """Transmit `frame`, with a virtio-net header for GSO frames."""
        self.sock.sendmsg([vnet, frame])

    def close(self) -> None:
        self.sock.close()


def _restore_vlan(frame: bytearray, ancdata: list[tuple[int, int, bytes]]) -> int:
    """Put back a VLAN tag the kernel took off; the bytes inserted before L3."""
    for level, kind, data in ancdata:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(data) < _AUXDATA.size:
            continue
        status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(data)
        if status & TP_STATUS_VLAN_VALID and len(frame) >= 12:
            tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID and tpid else 0x8100
            frame[12:12] = struct.pack("!HH", tpid, tci)
            return 4
    return 0
