"""The agent's metrics (Prometheus text on the control endpoint's `/metrics`).

Each is read at scrape time from where the agent already counts it; the names and
the MidoNet JMX metric each stands for are listed in `docs/metrics.md`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from midonet.agent.datapath.datapath import DatapathStats
from midonet.agent.pipeline import PipelineStats
from midonet.agent.simulation import DropReason
from midonet.metrics import Registry, Sample
from midonet.store.zk_metrics import StoreMetrics, render_prometheus

if TYPE_CHECKING:
    from midonet.agent.service import Agent

P = "midolman_"


def agent_registry(agent: Agent) -> Registry:
    """The registry of one running agent (read on its loop thread)."""
    r = Registry()

    def stats() -> PipelineStats:
        return agent.pipeline.stats

    def dp() -> DatapathStats:
        return agent.datapath.stats

    r.counter(
        P + "datapath_flows_created_total",
        "Flows installed (DatapathMeter.flows.created)",
        lambda: stats().flows_created,
    )
    r.counter(
        P + "datapath_flows_deleted_total",
        "Flows removed, by reason: idle, hard, invalidated, evicted, deleted, replaced"
        " (DatapathMeter.flows.deleted)",
        lambda: [({"reason": r}, n) for r, n in sorted(stats().flows_deleted_by.items())],
    )
    r.gauge(
        P + "datapath_flows",
        "Flows installed now (FlowTablesGauge.currentDatapathFlows)",
        lambda: len(agent.pipeline.flows),
    )
    r.counter(
        P + "packets_processed_total", "Packets received from bound ports", lambda: stats().packets
    )
    r.counter(
        P + "packets_simulated_total",
        "Packets that missed the flow table and were simulated",
        lambda: stats().simulations,
    )
    r.counter(
        P + "flow_hits_total", "Packets forwarded by an installed flow", lambda: stats().flow_hits
    )
    r.counter(
        P + "packets_dropped_total",
        "Packets dropped, by reason (PacketPipelineMeter.packetsDropped)",
        lambda: _drops(agent),
    )
    r.counter(
        P + "packets_postponed_total",
        "Packets parked waiting for ARP (PacketPipelineMeter.packetsPostponed)",
        lambda: stats().parked,
    )
    r.gauge(
        P + "packets_on_hold",
        "Packets parked now (PacketPipelineCounter.packetsOnHold)",
        lambda: agent.pipeline.parked_count,
    )
    r.counter(
        P + "packets_generated_total",
        "Packets the virtual devices generated",
        lambda: stats().generated,
    )
    r.counter(P + "packets_traced_total", "Packets traced for mm-trace", lambda: stats().traced)
    r.add(agent.pipeline.simulation_latency)
    r.counter(
        P + "datapath_packets_received_total",
        "Frames read from bound interfaces",
        lambda: dp().received,
    )
    r.counter(
        P + "datapath_packets_sent_total", "Frames written to bound interfaces", lambda: dp().sent
    )
    r.counter(
        P + "datapath_send_errors_total",
        "Frames the kernel refused (NetlinkMeter.errors)",
        lambda: dp().send_errors,
    )
    r.counter(
        P + "datapath_kernel_drops_total",
        "Frames the kernel dropped before we read them (NetlinkMeter.htbDrops)",
        lambda: dp().kernel_drops,
    )
    r.counter(
        P + "datapath_ring_resyncs_total",
        "Receive rings found out of step with the kernel and resynced",
        lambda: dp().ring_resyncs,
    )
    r.gauge(
        P + "flow_state_entries",
        "Connection-tracking and NAT entries held (bounded by their idle expiry)",
        lambda: len(agent.flow_state),
    )
    r.gauge(
        P + "datapath_kernel_flows",
        "Flows the kernel fast path forwards without the agent",
        lambda: len(agent.kernel_flows) if agent.kernel_flows is not None else 0,
    )
    r.counter(
        P + "datapath_kernel_packets_total",
        "Packets the kernel fast path forwarded or dropped for flows (counted when the"
        " agent looks: at idle checks, meter reads and flow removal)",
        lambda: agent.kernel_flows.kernel_packets if agent.kernel_flows is not None else 0,
    )
    r.counter(
        P + "tunnel_packets_sent_total",
        "Frames sent to other hosts over VXLAN",
        lambda: agent.tunnels.stats.sent,
    )
    r.counter(
        P + "tunnel_packets_received_total",
        "Frames received from other hosts",
        lambda: agent.tunnels.stats.received,
    )
    r.counter(
        P + "state_packets_processed_total",
        "Flow-state messages received (PacketPipelineMeter.statePacketsProcessed)",
        lambda: agent.tunnels.stats.state_received,
    )
    r.gauge(
        P + "virtual_topology_devices",
        "Objects in the agent's topology, by kind (VirtualTopologyGauge.device)",
        lambda: _devices(agent),
    )
    r.counter(
        P + "virtual_topology_updates_total",
        "Objects created or changed (VirtualTopologyCounter.deviceUpdate)",
        lambda: agent.topology.updates,
    )
    r.counter(
        P + "virtual_topology_deletions_total",
        "Objects deleted (VirtualTopologyCounter.deviceDelete)",
        lambda: agent.topology.deletions,
    )
    r.counter(
        P + "virtual_topology_cache_hits_total",
        "Simulations that found every object they needed (VirtualTopologyGauge.cacheHit)",
        lambda: stats().simulations - _misses(agent),
    )
    r.counter(
        P + "virtual_topology_cache_misses_total",
        "Simulations that needed an object the agent does not hold (cacheMiss)",
        lambda: _misses(agent),
    )
    r.gauge(
        P + "meters",
        "Meters this agent has counted into",
        lambda: len(agent.pipeline.meters.names()),
    )
    r.gauge(
        P + "nsdb_connected",
        "1 while the agent's NSDB session is alive",
        lambda: 0 if agent.session.expired else 1,
    )
    store_metrics = getattr(agent.store, "metrics", None)
    if isinstance(store_metrics, StoreMetrics):
        r.text(lambda: render_prometheus(store_metrics))
    return r


def _drops(agent: Agent) -> Iterable[Sample]:
    stats = agent.pipeline.stats
    samples: list[Sample] = [({"reason": r}, n) for r, n in sorted(stats.drop_reasons.items())]
    samples.append(({"reason": "MALFORMED"}, stats.malformed))
    samples.append(({"reason": "SIMULATION_ERROR"}, stats.simulation_errors))
    samples.append(({"reason": "ERROR"}, stats.errors))
    return samples


def _misses(agent: Agent) -> int:
    return agent.pipeline.stats.drop_reasons.get(DropReason.UNKNOWN_OBJECT.name, 0)


def _devices(agent: Agent) -> Iterable[Sample]:
    return [({"kind": k}, n) for k, n in sorted(agent.topology.current.counts().items())]
