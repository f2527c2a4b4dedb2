"""Meters: packet and byte counters for slices of the traffic (the guide's metering).

A simulation lists the meters its packet feeds (`SimulationResult.meters`): every
device and port it traversed (`meters:device:ID`, `meters:port:rx:ID`,
`meters:port:tx:ID`) and the `meterName` of every rule that matched
(`meters:user:NAME`). The registry ties those names to the installed flow, so the
per-packet path costs nothing: the flow table already counts each flow's packets
and bytes. A meter's value is what its flows counted before they were removed plus
what its live flows have counted so far; packets that install no flow (consumed,
parked, traced) are added directly. Values are local to this agent and start from
zero when it starts, as MidoNet's do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from midonet.agent.flows.table import Flow


class MeterRegistry:
    """Meter name → (packets, bytes), fed by flows and by single packets."""

    def __init__(self) -> None:
        self._totals: dict[str, list[int]] = {}
        """Counts of removed flows and of packets that installed no flow."""
        self._live: dict[Flow[Any, Any], tuple[str, ...]] = {}
        """Installed flows → the meters they feed (read when a meter is read: one
        dict operation per flow installed or removed, nothing per meter)."""

    def count(self, meters: Iterable[str], size: int) -> None:
        """One packet of `size` bytes that fed `meters` outside any flow."""
        for name in meters:
            totals = self._totals.get(name)
            if totals is None:
                self._totals[name] = [1, size]
            else:
                totals[0] += 1
                totals[1] += size

    def track(self, flow: Flow[Any, Any], meters: tuple[str, ...]) -> None:
        """`flow` feeds `meters` with every packet it forwards from now on."""
        if not meters:
            return
        self._live[flow] = meters
        totals = self._totals
        for name in meters:
            if name not in totals:
                totals[name] = [0, 0]

    def flow_removed(self, flow: Flow[Any, Any]) -> None:
        """Fold a removed flow's counts into its meters' totals."""
        meters = self._live.pop(flow, None)
        if meters is None or not flow.packets:
            return
        for name in meters:
            totals = self._totals[name]
            totals[0] += flow.packets
            totals[1] += flow.bytes

    def names(self) -> list[str]:
        """Every meter this agent has counted into, sorted."""
        return sorted(self._totals)

    def get(self, name: str) -> tuple[int, int] | None:
        """(packets, bytes) of meter `name`, None if this agent never counted it."""
        totals = self._totals.get(name)
        if totals is None:
            return None
        packets, size = totals
        for flow, meters in self._live.items():
            if name in meters:
                packets += flow.packets
                size += flow.bytes
        return packets, size

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """All meters at once (one pass over the live flows)."""
        out = {name: [packets, size] for name, (packets, size) in self._totals.items()}
        for flow, meters in self._live.items():
            for name in meters:
                counts = out[name]
                counts[0] += flow.packets
                counts[1] += flow.bytes
        return {name: (counts[0], counts[1]) for name, counts in sorted(out.items())}
