"""Keeps the kernel fast path in step with the agent's flow table.

A flow installed by the pipeline is offered to the kernel (`installed`); if the
kernel can do all its actions, its later packets never reach the agent. The flow
stays in the flow table — tags, invalidation, meters and flow-state lifetimes work
as for any flow — and its entry goes when the flow goes (`removed`), taking the
kernel's counts into the flow's. Idle expiry asks `used` before removing an
offloaded flow: packets the kernel forwarded since the last look keep it alive.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from midonet.agent.datapath.datapath import Datapath
from midonet.agent.datapath.fast_path import KernelFastPath
from midonet.agent.datapath.fast_path_entry import entry_key, entry_value
from midonet.agent.flows.table import Flow
from midonet.agent.simulation.flow import Actions
from midonet.packets.match import FlowMatch


@dataclass(slots=True)
class _Entry:
    key: bytes
    packets: int = 0  # what the kernel had counted when we last looked
    bytes: int = 0


class KernelFlows:
    def __init__(self, fast_path: KernelFastPath, datapath: Datapath) -> None:
        self.fast_path = fast_path
        self._datapath = datapath
        self._entries: dict[FlowMatch, _Entry] = {}
        self.kernel_packets = 0
        """Packets the kernel forwarded (or dropped) for flows, as far as looked."""
        self.kernel_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def installed(self, flow: Flow[FlowMatch, Actions]) -> bool:
        """Offer a newly installed flow to the kernel; True if it took it."""
        port = self._datapath.ports.get(flow.key.in_port)
        if port is None or not port.in_kernel:
            return False
        key = entry_key(flow.key, port.ifindex)
        if key is None:
            return False
        value = entry_value(flow.key, flow.actions, self._ifindex_of)
        if value is None or not self.fast_path.add(key, value):
            return False
        self._entries[flow.key] = _Entry(key)
        return True

    def removed(self, flow: Flow[FlowMatch, Actions]) -> None:
        """The flow left the table: its entry leaves the kernel, its counts stay."""
        entry = self._entries.pop(flow.key, None)
        if entry is None:
            return
        self._account(flow, entry, self.fast_path.remove(entry.key))

    def used(self, flow: Flow[FlowMatch, Actions], now: float) -> bool:
        """Whether the kernel forwarded packets of `flow` since we last looked (its
        counts and last-used time are brought up to date)."""
        entry = self._entries.get(flow.key)
        if entry is None:
            return False
        counted = self.fast_path.counted(entry.key)
        if counted is None or counted[0] == entry.packets:
            return False
        self._account(flow, entry, counted)
        flow.last_used = now
        return True

    def sync(self, flows: list[Flow[FlowMatch, Actions]], now: float) -> None:
        """Bring every offloaded flow's counts up to date (for meters and metrics)."""
        for flow in flows:
            if flow.key in self._entries:
                self.used(flow, now)

    def close(self) -> None:
        self._entries.clear()
        self.fast_path.close()

    def _account(
        self, flow: Flow[FlowMatch, Actions], entry: _Entry, counted: tuple[int, int]
    ) -> None:
        packets, size = counted[0] - entry.packets, counted[1] - entry.bytes
        entry.packets, entry.bytes = counted
        flow.packets += packets
        flow.bytes += size
        self.kernel_packets += packets
        self.kernel_bytes += size

    def _ifindex_of(self, vport_id: uuid.UUID) -> int | None:
        port = self._datapath.by_vport.get(vport_id)
        return port.ifindex if port is not None else None
