"""What the agent's control endpoint does, run on the agent's loop thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from midonet.agent.tracing import PacketTracer
from midonet.metrics import Registry
from midonet.trace.runner import parse_request, trace_packet
from midonet.trace.state import ReadOnlyState

if TYPE_CHECKING:
    from midonet.agent.service import Agent


class AgentCommands:
    """`control.Commands` for one agent."""

    def __init__(self, agent: Agent, registry: Registry) -> None:
        self._agent = agent
        self._registry = registry

    def _on_loop(self, fn: Any) -> Any:
        return self._agent.call(fn)

    def meter_names(self) -> list[str]:
        names: list[str] = self._on_loop(self._agent.pipeline.meters.names)
        return names

    def meter(self, name: str) -> tuple[int, int] | None:
        def read() -> tuple[int, int] | None:
            self._agent.pipeline.sync_offloaded()
            return self._agent.pipeline.meters.get(name)

        value: tuple[int, int] | None = self._on_loop(read)
        return value

    def tracers(self, live_only: bool) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            return [t.to_json() for t in self._agent.pipeline.tracers.list(live_only)]

        result: list[dict[str, Any]] = self._on_loop(run)
        return result

    def add_tracer(self, options: dict[str, Any]) -> dict[str, Any]:
        tracer = PacketTracer.from_json(options)
        self._on_loop(lambda: self._agent.pipeline.add_tracer(tracer))
        return tracer.to_json()

    def remove_tracer(self, options: dict[str, Any]) -> int:
        tracer = PacketTracer.from_json(options)
        removed: int = self._on_loop(lambda: self._agent.pipeline.tracers.remove(tracer))
        return removed

    def flush_tracers(self, dead_only: bool) -> int:
        removed: int = self._on_loop(lambda: self._agent.pipeline.tracers.flush(dead_only))
        return removed

    def trace(self, body: object) -> dict[str, Any]:
        port_id, spec, ct = parse_request(body)
        agent = self._agent

        def run() -> dict[str, Any]:
            return trace_packet(
                agent.topology.current,
                ReadOnlyState(agent.state, ct),
                port_id,
                spec,
                traced_by=f"agent {agent.host_id} ({agent.host.name})",
                conntrack=ct,
                now=agent.clock(),
            )

        report: dict[str, Any] = self._on_loop(run)
        return report

    def metrics(self) -> str:
        text: str = self._on_loop(self._registry.render)
        return text
