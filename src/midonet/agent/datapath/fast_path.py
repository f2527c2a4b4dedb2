"""The kernel fast path: established flows forwarded by the kernel, not by Python.

MidoNet's agent simulates a flow's first packet and installs the result in the
kernel's datapath, which forwards the rest. There is no Open vSwitch datapath here,
so the agent brings its own: two small eBPF programs sharing one hash map
(`fast_path_entry` gives its layout).

- The *forwarder* runs at each bound interface's ingress (tcx). A packet whose key
  is in the map (TCP, UDP, ICMP echo) is rewritten (MACs, TOS, TTL, addresses,
  ports; checksums moved by the flow's constant deltas, partial ones too) and
  redirected out of the
  destination interface, or dropped; counters are added to the entry. Anything
  else goes on untouched.
- The *filter* is attached to the agent's AF_PACKET socket on the same interface.
  Packet sockets see a frame before tc ingress does, so without it the agent would
  receive the frames the kernel already forwarded. It answers "not for you" to
  frames the map holds and passes every other one, whole.

The agent offloads a flow when it installs it and removes the entry when the flow
goes (idle, invalidated, evicted), so what the kernel does is always what the flow
table says. Packets already in the ring when a flow is offloaded are forwarded by
the agent: a few may pass ones the kernel forwarded.

Programs are attached through tcx links held by this process: when the agent exits,
however it exits, the kernel detaches them.
"""

from __future__ import annotations

import logging
import os
import socket
import struct

from midonet.agent.datapath import bpf_sys
from midonet.agent.datapath.bpf_asm import R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, Program
from midonet.agent.datapath.fast_path_entry import (
    HEADER_BYTES,
    KEY_SIZE,
    V_ADDRS_PORTS,
    V_BYTES,
    V_IP_DIFF,
    V_L4_CSUM_AT,
    V_MACS,
    V_OUT_IFINDEX,
    V_PACKETS,
    V_PORTS_DIFF,
    V_PORTS_FLAGS,
    V_PSEUDO_DIFF,
    V_PSEUDO_FLAGS,
    V_TOS,
    V_TTL,
    VALUE_SIZE,
    counters,
)

log = logging.getLogger(__name__)

# Helpers (linux/bpf.h, enum bpf_func_id).
_MAP_LOOKUP = 1
_SKB_STORE_BYTES = 9
_L3_CSUM_REPLACE = 10
_L4_CSUM_REPLACE = 11
_REDIRECT = 23
_SKB_LOAD_BYTES = 26

# struct __sk_buff fields.
_SKB_LEN = 0
_SKB_VLAN_PRESENT = 20
_SKB_IFINDEX = 40

TC_ACT_OK = 0
TC_ACT_SHOT = 2
SO_ATTACH_BPF = 50
KEEP_WHOLE = 0x7FFFFFFF  # a socket filter's verdict: keep this many bytes

# The key is built on the stack at KEY (8-aligned); frame byte b lands at FRAME + b.
KEY = -48
FRAME = KEY + 4


def _match(p: Program, map_fd: int) -> None:
    """Shared head: look the packet up; R0 = the map value, or jump to `miss`.
    Keeps R6 = the context, R8 = the packet's length, R9 = its IP protocol."""
    p.mov(R6, R1)
    p.load(4, R2, R6, _SKB_VLAN_PRESENT)
    p.jump_if(R2, "!=", 0, "miss")  # tags live in the skb, not the frame
    p.load(4, R8, R6, _SKB_LEN)
    p.mov(R1, R6)
    p.mov_imm(R2, 0)
    p.mov(R3, R10)
    p.add_imm(R3, FRAME)
    p.mov_imm(R4, HEADER_BYTES)
    p.call(_SKB_LOAD_BYTES)
    p.jump_if(R0, "!=", 0, "miss")  # shorter than the headers
    p.load(2, R2, R10, FRAME + 12)
    p.jump_if(R2, "!=", 0x0008, "miss")  # ethertype 0x0800, as a little-endian load
    p.load(1, R2, R10, FRAME + 14)
    p.jump_if(R2, "!=", 0x45, "miss")  # IPv4 without options
    p.load(2, R2, R10, FRAME + 20)
    p.and_imm(R2, 0xFF3F)
    p.jump_if(R2, "!=", 0, "miss")  # a fragment (more fragments, or an offset)
    p.load(1, R9, R10, FRAME + 23)
    p.jump_if(R9, "==", 6, "tcp")
    p.jump_if(R9, "==", 1, "icmp")
    p.jump_if(R9, "!=", 17, "miss")
    p.jump_if(R8, "<", 14 + 20 + 8, "miss")
    p.jump("ports")
    p.label("tcp")
    p.jump_if(R8, "<", 14 + 20 + 20, "miss")  # truncated: the agent drops and counts it
    p.label("ports")
    p.store_imm(2, R10, FRAME + 38, 0)  # past the ports: not in the key
    p.jump("key")
    p.label("icmp")
    p.jump_if(R8, "<", 14 + 20 + 8, "miss")
    p.load(1, R2, R10, FRAME + 34)
    p.jump_if(R2, "==", 8, "echo")
    p.jump_if(R2, "!=", 0, "miss")  # errors quote a datagram: the agent's
    p.label("echo")
    p.store_imm(2, R10, FRAME + 36, 0)  # the ICMP checksum; its id stays at 38
    p.label("key")
    p.store_imm(4, R10, FRAME + 16, 0)  # total length, id
    p.store_imm(2, R10, FRAME + 20, 0)  # flags, fragment offset
    p.store_imm(2, R10, FRAME + 24, 0)  # header checksum
    p.load(4, R2, R6, _SKB_IFINDEX)
    p.store(4, R10, KEY, R2)
    p.load_map_fd(R1, map_fd)
    p.mov(R2, R10)
    p.add_imm(R2, KEY)
    p.call(_MAP_LOOKUP)
    p.jump_if(R0, "==", 0, "miss")


def _store(p: Program, frame_at: int, value_at: int, size: int) -> None:
    p.mov(R1, R6)
    p.mov_imm(R2, frame_at)
    p.mov(R3, R7)
    p.add_imm(R3, value_at)
    p.mov_imm(R4, size)
    p.mov_imm(R5, 0)
    p.call(_SKB_STORE_BYTES)
    p.jump_if(R0, "!=", 0, "shot")


def _l4_csum(p: Program, diff_at: int, flags_at: int) -> None:
    p.mov(R1, R6)
    p.load(4, R2, R7, V_L4_CSUM_AT)
    p.mov_imm(R3, 0)
    p.load(4, R4, R7, diff_at)
    p.load(4, R5, R7, flags_at)
    p.call(_L4_CSUM_REPLACE)
    p.jump_if(R0, "!=", 0, "shot")


def forwarder(map_fd: int) -> bytes:
    """The tc ingress program."""
    p = Program()
    _match(p, map_fd)
    p.mov(R7, R0)
    p.mov_imm(R1, 1)
    p.atomic_add(8, R7, V_PACKETS, R1)
    p.atomic_add(8, R7, V_BYTES, R8)
    p.load(4, R2, R7, V_OUT_IFINDEX)
    p.jump_if(R2, "==", 0, "shot")  # a drop flow
    _store(p, 0, V_MACS, 12)
    _store(p, 15, V_TOS, 1)
    _store(p, 22, V_TTL, 1)
    _store(p, 26, V_ADDRS_PORTS, 8)
    p.jump_if(R9, "==", 1, "l3")  # an echo's checksum covers no address, its id stays
    _store(p, 34, V_ADDRS_PORTS + 8, 4)
    _l4_csum(p, V_PSEUDO_DIFF, V_PSEUDO_FLAGS)
    _l4_csum(p, V_PORTS_DIFF, V_PORTS_FLAGS)
    p.label("l3")
    p.mov(R1, R6)
    p.mov_imm(R2, 14 + 10)
    p.mov_imm(R3, 0)
    p.load(4, R4, R7, V_IP_DIFF)
    p.mov_imm(R5, 0)  # size 0: R4 is a precomputed difference
    p.call(_L3_CSUM_REPLACE)
    p.jump_if(R0, "!=", 0, "shot")
    p.load(4, R1, R7, V_OUT_IFINDEX)
    p.mov_imm(R2, 0)  # out of (not into) that interface
    p.call(_REDIRECT)
    p.exit()
    p.label("shot")
    p.mov_imm(R0, TC_ACT_SHOT)
    p.exit()
    p.label("miss")
    p.mov_imm(R0, TC_ACT_OK)
    p.exit()
    return p.assemble()


def socket_filter(map_fd: int) -> bytes:
    """The packet socket's filter: 0 bytes of frames the kernel forwards."""
    p = Program()
    _match(p, map_fd)
    p.mov_imm(R0, 0)
    p.exit()
    p.label("miss")
    p.mov32_imm(R0, KEEP_WHOLE)
    p.exit()
    return p.assemble()


class KernelFastPath:
    """The map and both programs; attach each bound interface, then add flows.

    Raises OSError when the kernel refuses any part (no BPF, no tcx, not root):
    the agent then forwards everything itself."""

    def __init__(self, max_entries: int) -> None:
        self.entries = bpf_sys.HashMap("mn_flows", KEY_SIZE, VALUE_SIZE, max_entries)
        self._fds: list[int] = []
        try:
            self._forwarder = self._load("mn_forward", bpf_sys.PROG_TYPE_SCHED_CLS,
                                         forwarder(self.entries.fd))  # fmt: skip
            self._filter = self._load("mn_filter", bpf_sys.PROG_TYPE_SOCKET_FILTER,
                                      socket_filter(self.entries.fd))  # fmt: skip
        except OSError:
            self.close()
            raise
        self._links: dict[int, int] = {}  # ifindex → tcx link descriptor
        self.offloaded = 0
        self.refused = 0  # map full or the kernel said no

    def _load(self, name: str, prog_type: int, code: bytes) -> int:
        fd = bpf_sys.load_program(name, prog_type, code, license="Apache-2.0")
        self._fds.append(fd)
        return fd

    def attach(self, ifindex: int, packet_socket: socket.socket) -> None:
        """Forward the map's flows arriving on `ifindex`, and keep them out of
        `packet_socket` (the agent's socket on that interface). OSError if refused."""
        packet_socket.setsockopt(socket.SOL_SOCKET, SO_ATTACH_BPF,
                                 struct.pack("=i", self._filter))  # fmt: skip
        if ifindex not in self._links:
            self._links[ifindex] = bpf_sys.attach_tcx_ingress(self._forwarder, ifindex)

    def detach(self, ifindex: int) -> None:
        link = self._links.pop(ifindex, None)
        if link is not None:
            os.close(link)

    def add(self, key: bytes, value: bytes) -> bool:
        try:
            self.entries.update(key, value)
        except OSError as e:
            self.refused += 1
            log.debug("the kernel took no flow entry: %s", e)
            return False
        self.offloaded += 1
        return True

    def remove(self, key: bytes) -> tuple[int, int]:
        """Remove an entry; returns the (packets, bytes) it counted."""
        value = self.entries.pop(key)
        return counters(value) if value is not None else (0, 0)

    def counted(self, key: bytes) -> tuple[int, int] | None:
        value = self.entries.lookup(key)
        return counters(value) if value is not None else None

    def close(self) -> None:
        for ifindex in list(self._links):
            self.detach(ifindex)
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()
        self.entries.close()
