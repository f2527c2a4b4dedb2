"""Packet tracers (`mm-trace`): match filters held by one agent, not persisted.

A packet whose flow match fits a live tracer is simulated with tracing on and its
whole simulation is logged, each line prefixed with `cookie:0x…` (one cookie per
packet), at the tracer's level whatever the agent's log level is. While a tracer is
live, the packets it matches install no flow, so every one of them is traced until
its `--limit` is spent; adding a tracer drops the installed flows so established
traffic is traced too.

`spec()` prints a tracer in exactly the syntax `mm-trace add` accepts.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from midonet.errors import ValidationError, Violation
from midonet.packets.match import FlowMatch

TRACE = 5
"""Below DEBUG: MidoNet's (logback's) TRACE level."""
logging.addLevelName(TRACE, "TRACE")

log = logging.getLogger("org.midonet.packets.trace")

# (option, attribute) in the order `spec()` prints them.
_OPTIONS = (
    ("ethertype", "ethertype"),
    ("mac-src", "mac_src"),
    ("mac-dst", "mac_dst"),
    ("ip-protocol", "ip_protocol"),
    ("ip-src", "ip_src"),
    ("ip-dst", "ip_dst"),
    ("src-port", "src_port"),
    ("dst-port", "dst_port"),
)


@dataclass(slots=True)
class PacketTracer:
    """One `mm-trace add` filter; unset fields match anything."""

    level: str = "debug"  # debug | trace
    ethertype: int | None = None
    mac_src: bytes | None = None
    mac_dst: bytes | None = None
    ip_protocol: int | None = None
    ip_src: int | None = None
    ip_dst: int | None = None
    src_port: int | None = None
    dst_port: int | None = None
    limit: int | None = None
    """Packets to trace before the tracer goes dead (None: no limit)."""
    matched: int = field(default=0, compare=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PacketTracer:
        """From the control endpoint's JSON (the option names, as `mm-trace` takes
        them); every bad field is named."""
        problems: list[Violation] = []
        values: dict[str, Any] = {}
        known = {name for name, _ in _OPTIONS} | {"level", "limit"}
        for name, raw in body.items():
            if name not in known:
                problems.append(Violation(name, f"unknown tracer option; known: {sorted(known)}"))
                continue
            if raw is None:
                continue
            try:
                values[name.replace("-", "_")] = _parse(name, raw)
            except ValueError as e:
                problems.append(Violation(name, str(e)))
        if problems:
            raise ValidationError(problems, kind="tracer")
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level}
        for option, attr in _OPTIONS:
            value = getattr(self, attr)
            if value is not None:
                out[option] = _show(option, value)
        if self.limit is not None:
            out["limit"] = self.limit
        out["matched"] = self.matched
        out["live"] = self.live
        out["spec"] = self.spec()
        return out

    def spec(self) -> str:
        """`--debug --ip-dst 192.0.2.1`: what `mm-trace add` takes to re-add it."""
        parts = [f"--{self.level}"]
        for option, attr in _OPTIONS:
            value = getattr(self, attr)
            if value is not None:
                parts.append(f"--{option} {_show(option, value)}")
        if self.limit is not None:
            parts.append(f"--limit {self.limit}")
        return " ".join(parts)

    def same_filter(self, other: PacketTracer) -> bool:
        """`mm-trace remove` takes the same options as `add`: equal filters."""
        return self.spec() == other.spec()

    @property
    def live(self) -> bool:
        return self.limit is None or self.matched < self.limit

    def matches(self, match: FlowMatch) -> bool:
        return (
            (self.ethertype is None or match.ethertype == self.ethertype)
            and (self.mac_src is None or match.eth_src == self.mac_src)
            and (self.mac_dst is None or match.eth_dst == self.mac_dst)
            and (self.ip_protocol is None or match.nw_proto == self.ip_protocol)
            and (self.ip_src is None or match.nw_src == self.ip_src)
            and (self.ip_dst is None or match.nw_dst == self.ip_dst)
            and (self.src_port is None or match.src_port == self.src_port)
            and (self.dst_port is None or match.dst_port == self.dst_port)
        )


class PacketTracers:
    """The tracers of one agent (owned by its loop thread)."""

    def __init__(self) -> None:
        self._tracers: list[PacketTracer] = []
        self._cookies = itertools.count(1)
        self.active = False
        """Any live tracer: the pipeline's one check per simulated packet."""

    def add(self, tracer: PacketTracer) -> None:
        self._tracers.append(tracer)
        self._refresh()

    def remove(self, tracer: PacketTracer) -> int:
        before = len(self._tracers)
        self._tracers = [t for t in self._tracers if not t.same_filter(tracer)]
        self._refresh()
        return before - len(self._tracers)

    def flush(self, dead_only: bool = False) -> int:
        before = len(self._tracers)
        self._tracers = [t for t in self._tracers if dead_only and t.live]
        self._refresh()
        return before - len(self._tracers)

    def list(self, live_only: bool = False) -> list[PacketTracer]:
        return [t for t in self._tracers if t.live or not live_only]

    def matching(self, match: FlowMatch) -> PacketTracer | None:
        """The first live tracer `match` fits, counting the packet against its limit."""
        for tracer in self._tracers:
            if tracer.live and tracer.matches(match):
                tracer.matched += 1
                self._refresh()
                return tracer
        return None

    def next_cookie(self) -> str:
        return f"cookie:0x{next(self._cookies):x}"

    def log(self, tracer: PacketTracer, cookie: str, lines: Iterable[str]) -> None:
        """Log a traced simulation at the tracer's level, whatever the configured level."""
        level = TRACE if tracer.level == "trace" else logging.DEBUG
        for line in lines:
            record = log.makeRecord(log.name, level, __file__, 0, "%s %s", (cookie, line), None)
            _emit(record)

    def _refresh(self) -> None:
        self.active = any(t.live for t in self._tracers)


def _emit(record: logging.LogRecord) -> None:
    """Hand the record to every handler up the logger tree, past level checks (the
    guide: traces are logged "regardless of the configured log level")."""
    logger: logging.Logger | None = log
    while logger is not None:
        for handler in logger.handlers:
            handler.handle(record)
        if not logger.propagate:
            break
        logger = logger.parent


def _parse(option: str, raw: Any) -> Any:
    text = str(raw).strip()
    if option == "level":
        if text not in ("debug", "trace"):
            raise ValueError(f"level must be debug or trace, not {text!r}")
        return text
    if option in ("mac-src", "mac-dst"):
        parts = text.lower().split(":")
        if len(parts) != 6 or not all(len(p) == 2 for p in parts):
            raise ValueError(f"{text!r} is not a MAC address")
        try:
            return bytes.fromhex("".join(parts))
        except ValueError:
            raise ValueError(f"{text!r} is not a MAC address") from None
    if option in ("ip-src", "ip-dst"):
        try:
            return int(ipaddress.IPv4Address(text))
        except ValueError:
            raise ValueError(f"{text!r} is not an IPv4 address") from None
    try:
        number = int(text, 0)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    high = {"ethertype": 0xFFFF, "ip-protocol": 255, "limit": 2**63 - 1}.get(option, 0xFFFF)
    if not 0 <= number <= high:
        raise ValueError(f"{number} is not within 0..{high}")
    return number


def _show(option: str, value: Any) -> str:
    if option in ("mac-src", "mac-dst"):
        return bytes(value).hex(":")
    if option in ("ip-src", "ip-dst"):
        return str(ipaddress.IPv4Address(value))
    if option == "ethertype":
        return f"0x{value:04x}" if value > 9 else str(value)
    return str(value)
