"""The agent: host registration, virtual topology, bindings, datapath and pipeline,
wired around one event loop.

Threads: the store's watch threads and the topology worker only post work to the
loop (`call_soon_threadsafe`); the loop thread owns the datapath, the flow table,
the parked packets and the bindings. `start()` sets everything up and returns;
`run()` serves until `stop()` (from any thread or a signal handler).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

from midonet.agent.agent_metrics import agent_registry
from midonet.agent.bindings import Bindings
from midonet.agent.control import CONTROL_TABLE, ControlServer
from midonet.agent.control_commands import AgentCommands
from midonet.agent.datapath.bpf_sys import BpfLoadError
from midonet.agent.datapath.datapath import Datapath, DatapathPort
from midonet.agent.datapath.fast_path import KernelFastPath
from midonet.agent.datapath.packet_socket import Received
from midonet.agent.events import AgentEvents
from midonet.agent.health.service import HealthMonitoring
from midonet.agent.host import HostService
from midonet.agent.interfaces import InterfaceMonitor
from midonet.agent.kernel_flows import KernelFlows
from midonet.agent.loop import EventLoop
from midonet.agent.mac_expiry import MacExpiry
from midonet.agent.pipeline import PacketPipeline
from midonet.agent.remote import NoTunnels, RemoteOutput
from midonet.agent.simulation import MacLearned, SimulationResult, StateChange
from midonet.agent.simulation.compiled import warm
from midonet.agent.state import exchange, storage
from midonet.agent.state.flow_state import FlowStateTable
from midonet.agent.state.nat_allocator import SnatAllocator
from midonet.agent.topology.snapshot import Topology
from midonet.agent.topology.state_tables import StoreSimulationState, mac_text
from midonet.agent.topology.virtual_topology import TopologyChange, VirtualTopology
from midonet.agent.trace_requests import LiveTraceRequests
from midonet.agent.tunnel import VxlanTunnels
from midonet.config import Config
from midonet.errors import MalformedPacket
from midonet.model import HostInterface, Port, PortGroup, TunnelZone
from midonet.store.base import Store
from midonet.store.state import MacTable, NatLeases, PortActive, Session

log = logging.getLogger("org.midonet.midolman")

FLOW_IDLE_TIMEOUT = 60.0
PARKED_CHECK_INTERVAL = 1.0
FLOW_STATE_CHECK_INTERVAL = 1.0
FLOW_STATE_SAVE_INTERVAL = 2.0
SESSION_CHECK_INTERVAL = 1.0
MAC_CHECK_INTERVAL = 1.0
DROPS_CHECK_INTERVAL = 1.0


class Agent:
    def __init__(
        self,
        store: Store,
        host_id: uuid.UUID,
        *,
        hostname: str,
        events: AgentEvents,
        config: Config | None = None,
        session_ttl: float | None = None,
        flow_idle_timeout: float = FLOW_IDLE_TIMEOUT,
        expiration_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        state_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.state_dir = state_dir
        """Where the flow state is kept across restarts (none: not kept)."""
        self.host_id = host_id
        self.events = events
        self.config = config if config is not None else store.config.node_config(host_id)
        self.clock = clock
        self._session_ttl = (
            session_ttl or self.config.get_duration("zookeeper.session_timeout").seconds
        )
        self._idle_timeout = flow_idle_timeout
        self._expiration_interval = (
            expiration_interval
            or self.config.get_duration("agent.midolman.check_flow_expiration_interval").seconds
        )
        self.host = HostService(store, host_id, hostname, events)
        self.loop = EventLoop(
            clock, busy_poll=self.config.get_int("agent.datapath.busy_poll_us") / 1e6
        )
        self._thread: threading.Thread | None = None
        self._started = False
        self.expired = False
        self._closers: list[Callable[[], None]] = []
        self._no_tunnels = NoTunnels()
        self.kernel_flows: KernelFlows | None = None
        """The kernel fast path (`agent.datapath.kernel_fast_path`), once started."""
        self.control_url: str | None = None
        """Where the control endpoint listens, once started."""
        self.remote: RemoteOutput = self._no_tunnels
        """Where frames for ports bound on other hosts go: VXLAN tunnels once this
        host is in a tunnel zone (tests may put a recorder here)."""

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect, register the host, follow the topology, open the bindings."""
        try:
            self._start()
        except BaseException:
            self._shutdown()
            raise
        self._started = True
        self.events.service_start()

    def _start(self) -> None:
        self.events.nsdb_connect()
        self.session: Session = self.store.state.open_session(
            self._session_ttl, owner=f"midolman {self.host_id}"
        )
        self._closers.append(self.session.close)
        self.interfaces = InterfaceMonitor(self._on_interfaces)
        self._closers.append(self.interfaces.close)
        self.host.register(self.interfaces.start(), self.session)
        self.topology = VirtualTopology(self.store)
        self._closers.append(self.topology.close)
        allocator = SnatAllocator(
            NatLeases(self.store.state), self.session, owner=str(self.host_id)
        )
        self.flow_state = FlowStateTable(allocator)
        self.state = StoreSimulationState(
            self.store.state, self.topology, clock=self.clock, flow_state=self.flow_state
        )
        self._load_flow_state()
        self._closers.append(self.state.close)
        self.datapath = Datapath(self.loop, self._received)
        self._closers.append(self.datapath.close)
        self.kernel_flows = self._kernel_fast_path()
        self.tunnels = VxlanTunnels(
            self.host_id,
            self.loop,
            lambda: self.topology.current,
            self._deliver_tunnelled,
            self.config.get_int("agent.datapath.vxlan_overlay_udp_port"),
            on_state=self._state_received,
        )
        self._closers.append(self.tunnels.close)
        self.pipeline = PacketPipeline(
            lambda: self.topology.current,
            self.state,
            self._write_state,
            self._output,
            self.clock,
            idle_timeout=self._idle_timeout,
            max_flows=self.config.get_int("agent.datapath.max_flow_count"),
            share_state=self._share_state,
            flow_removed=lambda tags: self.flow_state.outlive(tags, self.clock()),
        )
        self.pipeline.trace_requests = LiveTraceRequests(self.store.state, self.host_id)
        self.pipeline.offload = self.kernel_flows
        self.pipeline.follow_trace_requests(self.topology.current)
        self.bindings = Bindings(
            self.host_id, self.datapath, self.pipeline, PortActive(self.store.state), self.session
        )
        self._closers.append(self.bindings.close)
        self._closers.append(self.topology.subscribe(self._on_topology))
        warm(self.topology.current)
        self._closers.append(self.state.subscribe(self._on_state))
        self.loop.call_every(self._expiration_interval, self.pipeline.expire)
        self.loop.call_every(PARKED_CHECK_INTERVAL, self.pipeline.check_parked)
        if self.config.get_bool("agent.haproxy_health_monitor.health_monitor_enable"):
            self.health = HealthMonitoring(
                self.store,
                self.host_id,
                self.session,
                self.loop,
                lambda: self.topology.current,
                self.clock,
            )
            self.health.start()
            self._closers.append(self.health.close)
        self.loop.call_every(FLOW_STATE_CHECK_INTERVAL, self._expire_flow_state)
        if self.state_dir is not None:
            self._state_file = storage.FlowStateFile(self.state_dir / storage.FILE_NAME)
            self.flow_state.recorded = []
            self.loop.call_every(FLOW_STATE_SAVE_INTERVAL, self._save_flow_state)
            self._closers.insert(0, self._last_flow_state_save)
        self.loop.call_every(SESSION_CHECK_INTERVAL, self._check_session)
        follow_connection = getattr(self.store, "add_connection_listener", None)
        if follow_connection is not None:  # ZooKeeper: LOST once past session_gracetime
            follow_connection(self._on_connection)
        self.loop.call_every(DROPS_CHECK_INTERVAL, self.datapath.collect_drops)
        self.mac_expiry = MacExpiry(
            self.config.get_duration("agent.bridge.mac_port_mapping_expire").seconds,
            self._forget_mac,
        )
        self.loop.call_every(
            MAC_CHECK_INTERVAL, lambda: self.mac_expiry.check(self.clock(), self.pipeline.flows)
        )
        self._start_control()
        self._reconcile()

    def _kernel_fast_path(self) -> KernelFlows | None:
        if not self.config.get_bool("agent.datapath.kernel_fast_path"):
            return None
        try:
            fast_path = KernelFastPath(self.config.get_int("agent.datapath.max_flow_count"))
        except BpfLoadError as e:  # ours to fix: say what the verifier said
            log.error("no kernel fast path (%s); the verifier said:\n%s", e, e.log[-2000:])
            return None
        except OSError as e:
            log.warning("no kernel fast path (%s): the agent forwards every packet", e)
            return None
        self.datapath.fast_path = fast_path
        flows = KernelFlows(fast_path, self.datapath)
        self._closers.append(flows.close)
        return flows

    def _start_control(self) -> None:
        """The control endpoint (mm-meter, mm-trace, traces, metrics); a port that is
        taken is logged, not fatal: the datapath matters more."""
        if not self.config.get_bool("agent.control.enabled"):
            return
        address = self.config.get_str("agent.control.address")
        port = self.config.get_int("agent.control.port")
        self.metrics = agent_registry(self)
        try:
            server = ControlServer(AgentCommands(self, self.metrics), address, port)
        except OSError as e:
            log.error("control endpoint not started on %s:%d: %s", address, port, e)
            return
        server.start()
        self._closers.append(server.close)
        self.control_url = server.url
        self.store.state.put(CONTROL_TABLE, str(self.host_id), server.url, session=self.session)
        log.info("control endpoint at %s", server.url)

    def run(self) -> None:
        """Serve on this thread until `stop()`."""
        try:
            self.loop.run()
        finally:
            self._shutdown()

    def start_thread(self) -> None:
        """`start()` and `run()` on a thread of its own (tests, embedding)."""
        self.start()
        self._thread = threading.Thread(target=self.run, name="midolman", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.loop.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def call(self, fn: Callable[[], object], timeout: float = 5.0) -> object:
        """Run `fn` on the loop thread and return its result (tests, tools)."""
        done = threading.Event()
        box: list[object] = []

        def run() -> None:
            try:
                box.append(fn())
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        if not done.wait(timeout):
            raise TimeoutError("the agent's loop did not answer")
        return box[0] if box else None

    def _shutdown(self) -> None:
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            try:
                close()
            except Exception:
                log.exception("shutting down: %r failed", close)
        if self._started:
            self._started = False
            self.events.nsdb_disconnect()
            self.events.service_exit()
        self.loop.close()

    # --- events -------------------------------------------------------------------------

    def _received(self, port: DatapathPort, received: Received) -> None:
        vnet = received.vnet.shifted(0) if received.vnet is not None else None
        self.pipeline.handle(port.number, port.vport_id, received.frame, vnet)

    def _output(self, vport_id: uuid.UUID, frame: bytes, vnet: bytes | None) -> bool:
        if vport_id in self.datapath.by_vport:
            if vnet is None:
                return self.datapath.output(vport_id, frame)
            return self.datapath.output(vport_id, frame, vnet)
        port = self.topology.current.get(Port, vport_id)
        if port is not None and port.host_id is not None and port.host_id != self.host_id:
            return self.remote.send(port.host_id, port, frame, vnet)
        self.datapath.stats.no_such_port += 1  # bound here but not open, or unbound
        return False

    def _write_state(self, changes: Iterable[StateChange]) -> list[Hashable]:
        changes = tuple(changes)
        changed = self.state.apply(changes, self.session)
        for change in changes:
            if isinstance(change, MacLearned):
                self.mac_expiry.learned(change)
        return changed

    def _expire_flow_state(self) -> None:
        """Drop conntrack/NAT entries no flow used for their idle timeout, and the
        flows that depended on them."""
        flows = self.pipeline.flows
        removed = self.flow_state.expire(self.clock(), lambda key: bool(flows.tagged(key)))
        if removed:
            self.pipeline.invalidate(removed)

    # --- flow state: shared with the hosts that may see replies, kept across restarts ---

    def _share_state(self, result: SimulationResult) -> None:
        """Send the conntrack/NAT entries a forwarded flow depends on (those it
        created included: they are written before) to the hosts of its egress ports
        and of the stateful port groups those ports are in."""
        if not self.tunnels.is_open:
            return
        hosts = _reply_hosts(self.topology.current, result.output_ports) - {self.host_id}
        if not hosts:
            return
        entries = self.flow_state.entries(result.tags)
        if not entries:
            return
        for host_id in hosts:
            for message in exchange.encode(entries):
                self.tunnels.send_state(host_id, message)

    def _state_received(self, message: bytes) -> None:
        try:
            entries = exchange.decode(message)
        except MalformedPacket as e:
            self.tunnels.stats.malformed += 1
            log.debug("dropped a flow-state message: %s", e)
            return
        added = self.flow_state.merge(entries, self.clock())
        if added:
            self.pipeline.invalidate(added)

    def _load_flow_state(self) -> None:
        if self.state_dir is not None:
            loaded = storage.load(self.state_dir / storage.FILE_NAME)
            self.flow_state.merge(loaded, self.clock())

    def _save_flow_state(self) -> None:
        """Append what is new to the journal (a timer), or rewrite it when due."""
        fresh = self.flow_state.take_recorded()
        try:
            try:
                self._state_file.append(fresh, len(self.flow_state))
            except storage.NeedsRewrite:
                self._state_file.rewrite(self.flow_state.all_entries())
        except OSError as e:
            log.warning("cannot save the flow state to %s: %s", self._state_file.path, e)

    def _last_flow_state_save(self) -> None:
        self.flow_state.take_recorded()
        try:
            self._state_file.rewrite(self.flow_state.all_entries())
        except OSError as e:
            log.warning("cannot save the flow state to %s: %s", self._state_file.path, e)
        finally:
            self._state_file.close()

    def _forget_mac(self, bridge_id: uuid.UUID, vlan: int, mac: bytes, port: uuid.UUID) -> None:
        MacTable(self.store.state, bridge_id, vlan).remove(mac_text(mac), port)

    def _on_topology(self, change: TopologyChange) -> None:  # topology worker thread
        try:
            warm(change.current)  # here, not on the loop: packets keep flowing
        except Exception:
            log.exception("compiling the new topology ahead of packets failed")

        def apply() -> None:
            self.pipeline.invalidate(change.tags)
            self.pipeline.follow_trace_requests(change.current)
            self._reconcile()

        self.loop.call_soon_threadsafe(apply)

    def _on_state(self, tags: frozenset[Hashable]) -> None:  # store watch thread
        self.loop.call_soon_threadsafe(lambda: self.pipeline.invalidate(tags))

    def _on_interfaces(self, interfaces: dict[str, HostInterface]) -> None:  # netlink thread
        def apply() -> None:
            self.host.update(interfaces)
            self._reconcile()

        self.loop.call_soon_threadsafe(apply)

    def _check_session(self) -> None:
        """As MidoNet's agent: a lost session means our ephemeral entries (host
        alive, active ports, learned MACs) are gone for everyone else, so stop
        rather than forward on stale claims (the guide's CONN_EXPIRE)."""
        if self.session.expired:
            self._give_up()

    def _on_connection(self, state: object) -> None:  # store connection thread
        # Compared by name so the agent needs no ZooKeeper import.
        if getattr(state, "value", None) == "LOST":
            self.loop.call_soon_threadsafe(self._give_up)

    def _give_up(self) -> None:
        if not self.expired:
            self.events.nsdb_expired()
            self.expired = True
            self.loop.stop()

    def _reconcile(self) -> None:
        self.bindings.reconcile(self.topology.current, self.host.interfaces.keys())
        self._follow_tunnel_zones()

    def _follow_tunnel_zones(self) -> None:
        """Listen for tunnelled frames once this host is in a tunnel zone."""
        tunnels = self.tunnels
        if tunnels.is_open or not _in_a_tunnel_zone(self.topology.current, self.host_id):
            return
        try:
            tunnels.open()
        except OSError as e:
            log.error("cannot listen on the tunnel port %d: %s", tunnels.udp_port, e)
            return
        if self.remote is self._no_tunnels:
            self.remote = tunnels

    def _deliver_tunnelled(self, vport_id: uuid.UUID, frame: bytes, vnet: bytes | None) -> bool:
        if vnet is None:
            return self.datapath.output(vport_id, frame)
        return self.datapath.output(vport_id, frame, vnet)


def _reply_hosts(topology: Topology, port_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    hosts: set[uuid.UUID] = set()
    for port_id in port_ids:
        port = topology.get(Port, port_id)
        if port is None:
            continue
        if port.host_id is not None:
            hosts.add(port.host_id)
        for group_id in port.port_group_ids:
            group = topology.get(PortGroup, group_id)
            if group is None or not group.stateful:
                continue
            for member_id in group.port_ids:
                member = topology.get(Port, member_id)
                if member is not None and member.host_id is not None:
                    hosts.add(member.host_id)
    return hosts


def _in_a_tunnel_zone(topology: Topology, host_id: uuid.UUID) -> bool:
    return any(host_id in zone.host_ids for zone in topology.objects(TunnelZone))
