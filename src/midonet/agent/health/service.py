"""Which agent checks which pools, and member status written to the NSDB.

Agents with `agent.haproxy_health_monitor.health_monitor_enable` announce it in the
NSDB state table `health-monitors` (an entry ephemeral under their session). The
alive announcer with the lowest host id monitors every pool whose health monitor is
set and administratively up and whose load balancer hangs off a router (MidoNet
elected one agent too); if it dies, its entry goes and the next one takes over.

For each monitored pool the agent makes a `Probe` namespace and a port of the
load balancer's router bound to it (created in the NSDB, removed when monitoring
stops), runs the `PoolChecks` schedule and writes a member's status (ACTIVE or
INACTIVE) when it changes, so new flows avoid dead members. Disabling the monitor,
clearing it from the pool or deleting it stops the checks and removes the probe.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from midonet.agent.health.checks import PoolChecks
from midonet.agent.health.probe import Probe, ProbeError
from midonet.agent.loop import EventLoop
from midonet.agent.topology.snapshot import Topology
from midonet.errors import MidonetError
from midonet.model import (
    HealthMonitor,
    LBStatus,
    LoadBalancer,
    Pool,
    PoolMember,
    Port,
    PortType,
)
from midonet.store.base import Store
from midonet.store.state import HostAlive, Session

log = logging.getLogger(__name__)

TABLE: Final = "health-monitors"
TICK: Final = 0.5


@dataclass
class _Monitored:
    probe: Probe
    checks: PoolChecks
    port_id: uuid.UUID


class HealthMonitoring:
    def __init__(
        self,
        store: Store,
        host_id: uuid.UUID,
        session: Session,
        loop: EventLoop,
        topology: Callable[[], Topology],
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._host_id = host_id
        self._session = session
        self._loop = loop
        self._topology = topology
        self._clock = clock
        self._pools: dict[uuid.UUID, _Monitored] = {}
        self._failed: set[uuid.UUID] = set()

    def start(self) -> None:
        self._store.state.put(TABLE, str(self._host_id), "enabled", session=self._session)
        self._loop.call_every(TICK, self.tick)

    def close(self) -> None:
        for pool_id in list(self._pools):
            self._stop(pool_id)

    @property
    def monitored(self) -> frozenset[uuid.UUID]:
        return frozenset(self._pools)

    # --- the schedule ---------------------------------------------------------------------

    def tick(self) -> None:
        topology = self._topology()
        wanted = self._wanted(topology) if self._elected() else {}
        for pool_id in set(self._pools) - set(wanted):
            self._stop(pool_id)
        now = self._clock()
        for pool_id, (monitor, router_id) in wanted.items():
            monitored = self._pools.get(pool_id)
            if monitored is None:
                if pool_id in self._failed:
                    continue
                monitored = self._start(pool_id, router_id)
                if monitored is None:
                    continue
            pool = topology.get(Pool, pool_id)
            assert pool is not None
            monitored.checks.configure(
                float(monitor.delay),
                float(monitor.timeout),
                monitor.max_retries,
                _members(topology, pool),
            )
            for member_id, (ip, port) in monitored.checks.due(now):
                monitored.probe.check(member_id, ip, port, float(monitor.timeout))

    def _elected(self) -> bool:
        alive = HostAlive(self._store.state).alive()
        candidates = []
        for key in self._store.state.entries(TABLE):
            try:
                host = uuid.UUID(key)
            except ValueError:
                continue
            if host in alive or host == self._host_id:
                candidates.append(host)
        return bool(candidates) and min(candidates) == self._host_id

    @staticmethod
    def _wanted(topology: Topology) -> dict[uuid.UUID, tuple[HealthMonitor, uuid.UUID]]:
        wanted = {}
        for pool in topology.objects(Pool):
            monitor = topology.get(HealthMonitor, pool.health_monitor_id)
            lb = topology.get(LoadBalancer, pool.load_balancer_id)
            if monitor is None or not monitor.admin_state_up or lb is None:
                continue
            if lb.router_id is not None and pool.admin_state_up:
                wanted[pool.id] = (monitor, lb.router_id)
        return wanted

    # --- pools ----------------------------------------------------------------------------

    def _start(self, pool_id: uuid.UUID, router_id: uuid.UUID) -> _Monitored | None:
        probe = Probe(pool_id, self._result_for(pool_id))
        try:
            probe.create()
            port = Port(
                type=PortType.ROUTER,
                router_id=router_id,
                port_address=probe.router_ip,
                network_address=probe.network.network_address,
                network_length=probe.network.prefixlen,
                host_id=self._host_id,
                interface_name=probe.outer,
            )
            self._store.create(port)
        except (ProbeError, MidonetError, OSError) as e:
            log.error("health monitoring of pool %s cannot start: %s", pool_id, e)
            self._failed.add(pool_id)
            probe.destroy()
            return None
        log.info("health monitoring pool %s from %s (%s)", pool_id, probe.netns, probe.ip)
        monitored = _Monitored(probe, PoolChecks(0.0, 0.0, 1), port.id)
        self._pools[pool_id] = monitored
        return monitored

    def _stop(self, pool_id: uuid.UUID) -> None:
        monitored = self._pools.get(pool_id)
        if monitored is None:
            return
        log.info("health monitoring of pool %s stopped", pool_id)
        monitored.probe.destroy()
        try:
            self._store.delete(Port, monitored.port_id)
        except MidonetError as e:
            log.warning("removing the health monitor port of pool %s: %s", pool_id, e)
        del self._pools[pool_id]

    def _result_for(self, pool_id: uuid.UUID) -> Callable[[uuid.UUID, bool], None]:
        def result(member_id: uuid.UUID, ok: bool) -> None:  # the probe's thread
            self._loop.call_soon_threadsafe(lambda: self._record(pool_id, member_id, ok))

        return result

    def _record(self, pool_id: uuid.UUID, member_id: uuid.UUID, ok: bool) -> None:
        monitored = self._pools.get(pool_id)
        if monitored is None:
            return
        status = monitored.checks.record(member_id, ok)
        if status is not None:
            self._write_status(member_id, status)

    def _write_status(self, member_id: uuid.UUID, status: LBStatus) -> None:
        for _ in range(3):
            try:
                current = self._store.get(PoolMember, member_id)
                self._store.update(
                    current.obj.replace(status=status), expected_version=current.version
                )
                log.info("pool member %s is now %s", member_id, status.value)
                return
            except MidonetError as e:
                log.debug("writing the status of member %s: %s", member_id, e)
        log.warning("could not write the status of pool member %s", member_id)


def _members(topology: Topology, pool: Pool) -> dict[uuid.UUID, tuple[tuple[str, int], LBStatus]]:
    out = {}
    for member_id in pool.pool_member_ids:
        member = topology.get(PoolMember, member_id)
        if member is None or not isinstance(member.address, ipaddress.IPv4Address):
            continue
        out[member_id] = ((str(member.address), member.protocol_port), member.status)
    return out
