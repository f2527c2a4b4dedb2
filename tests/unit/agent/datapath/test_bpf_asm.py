"""The eBPF assembler: encodings the kernel documents, jumps resolved to relative
offsets, mistakes refused with a clear error."""

from __future__ import annotations

import pytest

from midonet.agent.datapath.bpf_asm import R0, R1, R2, R6, R10, Program


def _insns(code: bytes) -> list[bytes]:
    return [code[i : i + 8] for i in range(0, len(code), 8)]


def test_instructions_encode_as_linux_bpf_h_says() -> None:
    p = Program()
    p.mov(R6, R1)  # BPF_ALU64 | BPF_MOV | BPF_X, dst 6, src 1
    p.mov_imm(R0, -1)
    p.load(4, R2, R6, 40)  # BPF_LDX | BPF_MEM | BPF_W
    p.store_imm(2, R10, -6, 0)  # BPF_ST | BPF_MEM | BPF_H
    p.atomic_add(8, R6, 56, R1)  # BPF_STX | BPF_ATOMIC | BPF_DW, imm BPF_ADD
    p.mov32_imm(R0, 0x7FFFFFFF)
    p.call(23)
    p.exit()
    assert _insns(p.assemble()) == [
        bytes.fromhex("bf16000000000000"),
        bytes.fromhex("b7000000ffffffff"),
        bytes.fromhex("6162280000000000"),
        bytes.fromhex("6a0afaff00000000"),
        bytes.fromhex("db16380000000000"),
        bytes.fromhex("b4000000ffffff7f"),
        bytes.fromhex("8500000017000000"),
        bytes.fromhex("9500000000000000"),
    ]


def test_jumps_go_to_their_labels_and_a_map_load_takes_two_slots() -> None:
    p = Program()
    p.jump_if(R0, "==", 0, "out")  # over the two-slot load and the exit
    p.load_map_fd(R1, 5)
    p.exit()
    p.label("out")
    p.jump("back")
    p.label("back")
    p.exit()
    insns = _insns(p.assemble())
    assert insns[0] == bytes.fromhex("1500030000000000")  # offset +3
    assert insns[1] == bytes.fromhex("1811000005000000")  # src 1: BPF_PSEUDO_MAP_FD
    assert insns[2] == bytes(8)
    assert insns[4] == bytes.fromhex("0500000000000000")  # to the next: offset 0


def test_mistakes_are_refused_by_name() -> None:
    p = Program()
    p.jump("nowhere")
    with pytest.raises(ValueError, match="undefined label 'nowhere'"):
        p.assemble()
    p.label("here")
    with pytest.raises(ValueError, match="defined twice"):
        p.label("here")
    with pytest.raises(ValueError, match="unknown comparison"):
        p.jump_if(R0, "=~", 1, "here")
    with pytest.raises(ValueError, match="32 or 64 bits"):
        p.atomic_add(2, R0, 0, R1)
