"""Small checks shared by the model classes; each yields `Violation`s naming a field.

They yield rather than raise so that one object reports every broken rule at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from midonet.errors import ValidationError, Violation
from midonet.model.base import IPAddress, IPNetwork
from midonet.model.mac import normalize_mac

MAX_NAME_LENGTH = 255
MAX_PORT = 0xFFFF
MAX_VLAN = 4095
MAX_UINT32 = 0xFFFF_FFFF


def check_range(name: str, value: int | None, low: int, high: int) -> Iterator[Violation]:
    """`value` (when set) lies within [low, high]."""
    if value is not None and not low <= value <= high:
        yield Violation(name, f"must be between {low} and {high}, got {value}")


def check_min(name: str, value: int | None, low: int) -> Iterator[Violation]:
    if value is not None and value < low:
        word = "non-negative" if low == 0 else f"at least {low}"
        yield Violation(name, f"must be {word}, got {value}")


def check_name(
    name: str, value: str | None, *, required: bool = False, limit: int = MAX_NAME_LENGTH
) -> Iterator[Violation]:
    """Names are at most 255 characters (MidoNet's @Size) and, when required, not empty."""
    if value is None or value == "":
        if required:
            yield Violation(name, "is required")
        return
    if len(value) > limit:
        yield Violation(name, f"must be at most {limit} characters long")


def max_prefix_length(address: IPAddress) -> int:
    return 32 if address.version == 4 else 128


def check_prefix(name: str, address: IPAddress | None, length: int | None) -> Iterator[Violation]:
    """A prefix length fits its address family: 0-32 for IPv4, 0-128 for IPv6.

    `name` is the pair's stem: the fields are `<name>_address` and `<name>_length`, and
    the violation names the length, which is the one at fault.
    """
    if length is None:
        return
    if address is None:
        yield Violation(f"{name}_length", f"is set without {name}_address")
        return
    limit = max_prefix_length(address)
    if not 0 <= length <= limit:
        yield Violation(f"{name}_length", f"must be between 0 and {limit}, got {length}")


def prefix(address: IPAddress | None, length: int | None) -> IPNetwork | None:
    """The network `address/length` (host bits dropped), or None without an address."""
    if address is None:
        return None
    if length is None:
        length = max_prefix_length(address)
    return ipaddress.ip_network(f"{address}/{length}", strict=False)


def check_mac(name: str, value: str | None) -> Iterator[Violation]:
    if value is None:
        return
    try:
        normalize_mac(value)
    except ValueError:
        yield Violation(name, f"expected a MAC address like 02:00:00:00:00:01, got {value!r}")


def check_unique(name: str, values: Iterable[object]) -> Iterator[Violation]:
    seen: set[object] = set()
    for v in values:
        if v in seen:
            yield Violation(name, f"lists {v} more than once")
            return
        seen.add(v)


def check_same_family(name: str, first: IPAddress, second: IPAddress) -> Iterator[Violation]:
    if first.version != second.version:
        yield Violation(name, "mixes IPv4 and IPv6 addresses")


@dataclass(frozen=True, slots=True, kw_only=True)
class PortRange:
    """An inclusive range of L4 ports (MidoNet's Range<Integer>: start ≤ end)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        problems = list(self._violations())
        if problems:
            raise ValidationError(problems, kind="PortRange")

    def _violations(self) -> Iterator[Violation]:
        yield from check_range("start", self.start, 0, MAX_PORT)
        yield from check_range("end", self.end, 0, MAX_PORT)
        if self.start > self.end:
            yield Violation("start", f"must not exceed end ({self.start} > {self.end})")

    @classmethod
    def single(cls, port: int) -> PortRange:
        return cls(start=port, end=port)

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end
