"""A small eBPF assembler: instructions as Python calls, jumps to named labels.

The kernel fast path (`fast_path`) is a few dozen eBPF instructions; writing them
here keeps the project free of a C compiler and clang at run time. Each method
appends one instruction (LD_IMM64 takes two slots, as in the kernel's encoding);
`assemble()` resolves labels into the relative offsets the ISA uses and returns the
bytes `BPF_PROG_LOAD` takes. Encoding (linux/bpf.h, struct bpf_insn): opcode u8,
dst_reg:4 | src_reg:4 (little-endian: dst in the low nibble), offset s16, imm s32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_INSN = struct.Struct("<BBhi")

# Registers: R0 return value, R1-R5 arguments (clobbered by calls), R6-R9 kept
# across calls, R10 the read-only frame pointer.
R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)

# Classes, sizes, modes and operations (linux/bpf_common.h, linux/bpf.h).
_LD, _LDX, _ST, _STX, _ALU, _JMP, _ALU64 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07
_SIZES = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}
_IMM, _MEM, _ATOMIC = 0x00, 0x60, 0xC0
_K, _X = 0x00, 0x08
_ADD, _AND, _MOV = 0x00, 0x50, 0xB0
_JA, _CALL, _EXIT = 0x00, 0x80, 0x90
_JUMPS = {"==": 0x10, ">": 0x20, ">=": 0x30, "&": 0x40, "!=": 0x50, "<": 0xA0, "<=": 0xB0}
_SIGNED_JUMPS = {"s>": 0x60, "s>=": 0x70, "s<": 0xC0, "s<=": 0xD0}
PSEUDO_MAP_FD = 1


@dataclass(slots=True)
class _Insn:
    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0
    target: str | None = None  # a label this jump goes to


class Program:
    """Instructions appended in order; `label(name)` marks the next one."""

    def __init__(self) -> None:
        self._insns: list[_Insn] = []
        self._labels: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._insns)

    def label(self, name: str) -> None:
        if name in self._labels:
            raise ValueError(f"label {name!r} is defined twice")
        self._labels[name] = len(self._insns)

    # --- moves and arithmetic (64-bit) ---------------------------------------------

    def mov(self, dst: int, src: int) -> None:
        self._insns.append(_Insn(_ALU64 | _MOV | _X, dst, src))

    def mov_imm(self, dst: int, imm: int) -> None:
        self._insns.append(_Insn(_ALU64 | _MOV | _K, dst, imm=imm))

    def mov32_imm(self, dst: int, imm: int) -> None:
        """A 32-bit move: `imm` is zero-extended (for values ≥ 2**31)."""
        self._insns.append(_Insn(_ALU | _MOV | _K, dst, imm=_signed32(imm)))

    def add_imm(self, dst: int, imm: int) -> None:
        self._insns.append(_Insn(_ALU64 | _ADD | _K, dst, imm=imm))

    def and_imm(self, dst: int, imm: int) -> None:
        self._insns.append(_Insn(_ALU64 | _AND | _K, dst, imm=imm))

    def load_map_fd(self, dst: int, map_fd: int) -> None:
        """`dst` = the map whose descriptor is `map_fd` (resolved by the kernel)."""
        self._insns.append(_Insn(_LD | _IMM | _SIZES[8], dst, PSEUDO_MAP_FD, imm=map_fd))
        self._insns.append(_Insn(0))

    # --- memory ---------------------------------------------------------------------

    def load(self, size: int, dst: int, src: int, off: int) -> None:
        """`dst` = *(u<size*8> *)(src + off)."""
        self._insns.append(_Insn(_LDX | _MEM | _SIZES[size], dst, src, off))

    def store(self, size: int, dst: int, off: int, src: int) -> None:
        """*(u<size*8> *)(dst + off) = src."""
        self._insns.append(_Insn(_STX | _MEM | _SIZES[size], dst, src, off))

    def store_imm(self, size: int, dst: int, off: int, imm: int) -> None:
        self._insns.append(_Insn(_ST | _MEM | _SIZES[size], dst, off=off, imm=imm))

    def atomic_add(self, size: int, dst: int, off: int, src: int) -> None:
        """*(dst + off) += src, atomically (counters shared by every CPU)."""
        if size not in (4, 8):
            raise ValueError("atomic operations are 32 or 64 bits wide")
        self._insns.append(_Insn(_STX | _ATOMIC | _SIZES[size], dst, src, off, _ADD))

    # --- control --------------------------------------------------------------------

    def jump(self, target: str) -> None:
        self._insns.append(_Insn(_JMP | _JA, target=target))

    def jump_if(self, reg: int, op: str, imm: int, target: str) -> None:
        """Jump to `target` if `reg <op> imm` (op: == != > >= < <= & s> s>= s< s<=)."""
        code = _JUMPS.get(op, _SIGNED_JUMPS.get(op))
        if code is None:
            raise ValueError(f"unknown comparison {op!r}")
        self._insns.append(_Insn(_JMP | code | _K, reg, imm=imm, target=target))

    def call(self, helper: int) -> None:
        self._insns.append(_Insn(_JMP | _CALL, imm=helper))

    def exit(self) -> None:
        self._insns.append(_Insn(_JMP | _EXIT))

    # --- output ---------------------------------------------------------------------

    def assemble(self) -> bytes:
        out = bytearray()
        for index, insn in enumerate(self._insns):
            off = insn.off
            if insn.target is not None:
                if insn.target not in self._labels:
                    raise ValueError(f"jump to undefined label {insn.target!r}")
                off = self._labels[insn.target] - index - 1
            out += _INSN.pack(insn.code, (insn.src << 4) | insn.dst, off, insn.imm)
        return bytes(out)


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
