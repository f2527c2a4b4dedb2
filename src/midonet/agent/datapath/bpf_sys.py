"""The bpf(2) system call through ctypes: hash maps, program loading, tcx links.

Only what the kernel fast path needs. Every call raises `OSError` with the errno
the kernel gave; a program the verifier refuses raises `BpfLoadError` carrying the
verifier's log, which names the instruction it objected to.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

_SYS_BPF = {"x86_64": 321, "aarch64": 280}.get(platform.machine(), 321)

# Commands (enum bpf_cmd).
_MAP_CREATE, _MAP_LOOKUP, _MAP_UPDATE, _MAP_DELETE = 0, 1, 2, 3
_MAP_LOOKUP_AND_DELETE = 21
_PROG_LOAD = 5
_LINK_CREATE = 28

MAP_TYPE_HASH = 1
PROG_TYPE_SOCKET_FILTER = 1
PROG_TYPE_SCHED_CLS = 3
ATTACH_TCX_INGRESS = 46
_ATTR_SIZE = 128  # larger than every attribute used; the kernel wants the rest zero
_LOG_SIZE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.syscall.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_uint]


class BpfLoadError(OSError):
    """The verifier refused a program; `log` says why."""

    def __init__(self, errno: int, name: str, log: str) -> None:
        super().__init__(errno, f"the kernel refused BPF program {name}: {os.strerror(errno)}")
        self.log = log


def _call(cmd: int, attr: ctypes.Array[ctypes.c_char]) -> int:
    result = int(_libc.syscall(_SYS_BPF, cmd, attr, _ATTR_SIZE))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"bpf({cmd}): {os.strerror(errno)}")
    return result


def _attr(fmt: str, *values: object) -> ctypes.Array[ctypes.c_char]:
    attr = ctypes.create_string_buffer(_ATTR_SIZE)
    struct.pack_into(fmt, attr, 0, *values)
    return attr


def _address(buffer: ctypes.Array[ctypes.c_char]) -> int:
    return ctypes.addressof(buffer)


PREALLOCATE_UP_TO = 1 << 16
"""Entries a hash map gets allocated up front (fast updates); a larger map allocates
as it fills (BPF_F_NO_PREALLOC), so a generous max_flow_count costs kernel memory
only for the flows there are."""
_F_NO_PREALLOC = 1


def create_hash_map(name: str, key_size: int, value_size: int, max_entries: int) -> int:
    """A new hash map; returns its descriptor."""
    flags = 0 if max_entries <= PREALLOCATE_UP_TO else _F_NO_PREALLOC
    attr = _attr("=IIIIIII16s", MAP_TYPE_HASH, key_size, value_size, max_entries, flags, 0, 0,
                 name.encode()[:15])  # fmt: skip
    return _call(_MAP_CREATE, attr)


class HashMap:
    """A BPF hash map of fixed-size byte keys and values, seen from user space."""

    def __init__(self, name: str, key_size: int, value_size: int, max_entries: int) -> None:
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.fd = create_hash_map(name, key_size, value_size, max_entries)
        # Reused buffers: one syscall per operation and no allocation.
        self._key = ctypes.create_string_buffer(key_size)
        self._value = ctypes.create_string_buffer(value_size)
        self._attr = ctypes.create_string_buffer(_ATTR_SIZE)
        struct.pack_into("=IIQQ", self._attr, 0, self.fd, 0, _address(self._key),
                         _address(self._value))  # fmt: skip
        # Deleting takes no value: the kernel wants every byte after the key zero.
        self._delete_attr = _attr("=IIQ", self.fd, 0, _address(self._key))

    def update(self, key: bytes, value: bytes) -> None:
        _fill(self._key, key)
        _fill(self._value, value)
        _call(_MAP_UPDATE, self._attr)  # flags stay 0: BPF_ANY

    def lookup(self, key: bytes) -> bytes | None:
        return self._read(_MAP_LOOKUP, key)

    def pop(self, key: bytes) -> bytes | None:
        """Remove an entry and return its last value, in one call (None if absent)."""
        return self._read(_MAP_LOOKUP_AND_DELETE, key)

    def _read(self, cmd: int, key: bytes) -> bytes | None:
        _fill(self._key, key)
        try:
            _call(cmd, self._attr)
        except FileNotFoundError:
            return None
        return self._value.raw

    def delete(self, key: bytes) -> bool:
        _fill(self._key, key)
        try:
            _call(_MAP_DELETE, self._delete_attr)
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _fill(buffer: ctypes.Array[ctypes.c_char], data: bytes) -> None:
    if len(data) != len(buffer):
        raise ValueError(f"{len(data)} bytes given for a {len(buffer)}-byte map field")
    ctypes.memmove(buffer, data, len(data))


def load_program(name: str, prog_type: int, code: bytes, license: str = "GPL") -> int:
    """Load assembled instructions; returns the program's descriptor."""
    insns = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(license.encode())
    log = ctypes.create_string_buffer(_LOG_SIZE)
    attr = _attr("=IIQQIIQII16s", prog_type, len(code) // 8, _address(insns), _address(lic),
                 1, _LOG_SIZE, _address(log), 0, 0, name.encode()[:15])  # fmt: skip
    try:
        return _call(_PROG_LOAD, attr)
    except OSError as e:
        text = log.value.decode(errors="replace")
        raise BpfLoadError(e.errno or 0, name, text) from None


def attach_tcx_ingress(prog_fd: int, ifindex: int) -> int:
    """Attach a SCHED_CLS program to an interface's ingress (tcx); returns the link's
    descriptor. The program stays attached until that descriptor is closed, so a
    process that dies leaves nothing behind."""
    return _call(_LINK_CREATE, _attr("=IIII", prog_fd, ifindex, ATTACH_TCX_INGRESS, 0))
