"""The `agent.*` keys: the MidoNet Agent (midolman) and its minions.

Key names, types and defaults are those of MidoNet 5.4's agent schema; where the
Operations Guide states a default it is the guide's.
"""

from __future__ import annotations

from midonet.config.catalog.logger import loggers
from midonet.config.valuetype import (
    BOOL,
    COUNT,
    DURATION,
    DURATION_S,
    PORT,
    POSITIVE,
    STRING,
    EnumType,
    IntType,
    KeySpec,
    key,
)

_HTB = (
    " Packets that miss the datapath flow table pass through a hierarchical token"
    " bucket before simulation; bucket sizes count packets. Tunnel ports get half"
    " the capacity, the other ports share the rest fairly."
)

_AGENT = (
    # -- bridges and routers --
    key("agent.bridge.mac_port_mapping_expire", DURATION, "15s",
        "How long a bridge keeps a MAC-port mapping once no flow references it."),
    key("agent.arptable.arp_retry_interval", DURATION, "10s",
        "Approximate interval between ARP request retries by virtual routers."),
    key("agent.arptable.arp_timeout", DURATION, "60s",
        "Routers give up resolving an address when no ARP reply arrives in this time."),
    key("agent.arptable.arp_stale", DURATION, "60s",
        "Age after which a router ARP entry is stale: still used, but refreshed."),
    key("agent.arptable.arp_expiration", DURATION, "90s",
        "Age after which a router ARP entry expires and is deleted."),
    key("agent.router.max_bgp_peer_routes", COUNT, 200,
        "Maximum number of routes a virtual router learns from one BGP peer."),
    key("agent.router.bgp_zookeeper_holdtime", DURATION, "5s",
        "After losing the NSDB, keep BGP sessions up this long before tearing them down."),
    # -- midolman --
    key("agent.midolman.lock_memory", BOOL, True,
        "Lock the agent in RAM, so swapping cannot stall packet processing."),
    key("agent.midolman.dhcp_mtu", PORT, 1500,
        "MTU offered in DHCP replies: the smaller of this and the tunnel MTU."),
    key("agent.midolman.check_flow_expiration_interval", DURATION, "10s",
        "How often the agent checks for and removes expired flows."),
    key("agent.midolman.bgp_keepalive", DURATION_S, "60s",
        "Time between BGP keepalive messages; a bare number is in seconds."),
    key("agent.midolman.bgp_holdtime", DURATION_S, "180s",
        "Maximum time tolerated between BGP keepalives; a bare number is in seconds."),
    key("agent.midolman.bgp_connect_retry", DURATION_S, "120s",
        "BGP connection retry interval; a bare number is in seconds."),
    key("agent.midolman.simulation_threads", POSITIVE, 1,
        "Number of threads dedicated to packet processing."),
    key("agent.midolman.max_pooled_contexts", COUNT, 1024,
        "Packet contexts pooled per simulation thread, to save allocations."),
    key("agent.midolman.output_channels", POSITIVE, 1,
        "Number of datapath output channels."),
    key("agent.midolman.input_channel_threading", EnumType(("one_to_many", "one_to_one")),
        "one_to_many",
        "Threads for datapath input channels: one_to_many serves all ports from one"
        " thread, one_to_one uses a thread per port."),
    key("agent.midolman.enable_bridge_arp", BOOL, True,
        "Bridges answer ARP requests in their segment from pre-seeded entries."),
    key("agent.midolman.stats_http_server_port", PORT, 7300,
        "TCP port of the agent's statistics HTTP server."),
    # -- the control endpoint (MidoNet's JMX port: mm-meter, mm-trace, metrics) --
    key("agent.control.enabled", BOOL, True,
        "Serve the local control endpoint that mm-meter, mm-trace, the cluster's"
        " trace forwarding and Prometheus use."),
    key("agent.control.address", STRING, "127.0.0.1",
        "Address the control endpoint listens on (MidoNet's JMX host). Loopback keeps"
        " it local; an underlay address lets the cluster forward traces to it."),
    key("agent.control.port", PORT, 7200,
        "TCP port of the control endpoint (MidoNet's JMX port, 7200)."),
    # -- datapath and resource protection --
    key("agent.datapath.vxlan_vtep_udp_port", PORT, 4789,
        "UDP port for VXLAN tunnels to peer VTEPs (the standard VXLAN port)."),
    key("agent.datapath.vxlan_overlay_udp_port", PORT, 6677,
        "UDP port for VXLAN tunnels between agents; the same on every host and"
        " different from the VTEP port."),
    key("agent.datapath.vxlan_recirculate_udp_port", PORT, 8899,
        "UDP port for VXLAN recirculation through the datapath; different from the"
        " other VXLAN ports."),
    key("agent.datapath.recirc_cidr", STRING, "169.254.123.0/24",
        "A /24 from which addresses for in-host recirculation are taken; no other"
        " interface on the host may use it."),
    key("agent.datapath.max_flow_count", COUNT, 20000,
        "Maximum number of flows in the datapath."),
    key("agent.datapath.send_buffer_pool_max_size", COUNT, 4096,
        "Maximum number of reusable buffers per output channel for datapath requests;"
        " temporary buffers are allocated beyond it."),
    key("agent.datapath.send_buffer_pool_initial_size", COUNT, 2048,
        "Buffers initially allocated in each datapath send buffer pool."),
    key("agent.datapath.send_buffer_pool_buf_size_kb", POSITIVE, 4,
        "Size of each send buffer in KB; it bounds the largest packet the agent can"
        " send. Use 4 for a 1500 MTU underlay and 10 with jumbo frames."),
    key("agent.datapath.global_incoming_burst_capacity", COUNT, 256,
        "Size of the top-level bucket, the total number of packets in flight." + _HTB),
    key("agent.datapath.tunnel_incoming_burst_capacity", COUNT, 128,
        "Bucket size for tunnel ports, the rate at which this agent talks to other"
        " agents; 0 with the other port buckets disables resource protection." + _HTB),
    key("agent.datapath.vm_incoming_burst_capacity", COUNT, 32,
        "Bucket size of each VM port, the rate at which one VM can send new traffic."
        + _HTB),
    key("agent.datapath.vtep_incoming_burst_capacity", COUNT, 128,
        "Bucket size for VXLAN VTEP ports, the rate of traffic with the VXLAN domain."
        + _HTB),
    key("agent.datapath.busy_poll_us", IntType(0, 1_000_000), 500,
        "Microseconds the agent keeps polling its ports after the last packet before"
        " it sleeps: lower latency and more connections per second for a little CPU"
        " (0 never polls)."),
    key("agent.datapath.kernel_fast_path", BOOL, True,
        "Let the kernel forward established flows (eBPF at each bound interface's"
        " ingress) once the agent has simulated them; the agent forwards every packet"
        " itself when off or when the kernel refuses."),
    key("agent.datapath.control_packet_tos", IntType(0, 255), 184,
        "IP TOS byte of the control packets the agent sends."),
    key("agent.datapath.set_tos_on_tunnel_header", BOOL, False,
        "Copy the inner packet's TOS to the tunnel header, so QoS applies to tunnels."),
    # -- load balancer health monitoring --
    key("agent.haproxy_health_monitor.health_monitor_enable", BOOL, True,
        "Whether this agent runs HAProxy health monitoring for L4 load balancer pools."),
    key("agent.haproxy_health_monitor.namespace_cleanup", BOOL, True,
        "Remove stale health monitor namespaces when the agent starts."),
    key("agent.haproxy_health_monitor.haproxy_file_loc", STRING, "/etc/midolman/l4lb/",
        "Directory for the generated HAProxy configuration files."),
    # -- metrics, tools, flow history, metadata, rule logs --
    key("agent.log_metrics.enabled", BOOL, True,
        "Write the agent's metrics to a log file periodically."),
    key("agent.log_metrics.period", DURATION, "60s",
        "Period between metric reports."),
    key("agent.cluster.enabled", BOOL, False,
        "mm-ctl talks to the API server when true, else to the cluster database."),
    key("agent.cluster.tasks_db_connection", STRING, "",
        "mm-ctl's connection string to the cluster database holding the tasks."),
    key("agent.flow_history.enabled", BOOL, False,
        "Record a flow summary for each simulation."),
    key("agent.flow_history.encoding", EnumType(("none", "json", "binary")), "binary",
        "Encoding of flow summaries; the endpoint must expect the same."),
    key("agent.flow_history.endpoint_service", STRING, "clio",
        "Service-discovery name of the endpoint receiving flow history records."),
    key("agent.flow_history.queue_size", POSITIVE, 128,
        "Maximum flow records waiting to be sent (rounded to a power of 2)."),
    key("agent.flow_history.connection_interval", DURATION, "5s",
        "Average interval between connection attempts to the endpoint."),
    key("agent.openstack.metadata.enabled", BOOL, False,
        "Whether the instance metadata service is enabled."),
    key("agent.openstack.metadata.nova_metadata_url", STRING, "http://localhost:8775",
        "URL of the Nova metadata API."),
    key("agent.openstack.metadata.shared_secret", STRING, "",
        "Shared secret for the Nova metadata API."),
    key("agent.rule_logging.compress", BOOL, True,
        "Compress rotated rule logs with gzip."),
    key("agent.rule_logging.log_file_name", STRING, "rule-binlog.rlg",
        "Name of the rule log file."),
    key("agent.rule_logging.log_directory", STRING, "",
        "Directory of the rule logs; empty means the agent's log directory."),
    key("agent.rule_logging.max_files", COUNT, 14,
        "Rotated rule log files kept besides the current one."),
    key("agent.rule_logging.rotation_frequency", STRING, "1 day",
        "When rule logs rotate: a time (1 day, 8 hours) or a size (500MB, 10GB)."),
    # -- service containers --
    key("agent.containers.enabled", BOOL, True,
        "Whether this agent runs the service containers service."),
    key("agent.containers.timeout", DURATION, "30s",
        "Timeout for a container operation to complete."),
    key("agent.containers.shutdown_grace_time", DURATION, "30s",
        "Time for all containers to stop gracefully when the service stops."),
    key("agent.containers.thread_count", POSITIVE, 4,
        "Threads managing this agent's containers: how many can change in parallel."
        " A container stays on the thread that created it."),
    key("agent.containers.log_directory", STRING, "containers",
        "Directory, beside the agent log, recording container operations; used to"
        " clean up containers after an agent failure."),
    key("agent.containers.haproxy.status_update_interval", DURATION, "5s",
        "Interval for reading and reporting the status of a HAProxy container."),
    key("agent.containers.ipsec.logging_enabled", BOOL, True,
        "Relay the IPSec processes' log messages to the agent log, under the logger"
        " org.midonet.containers.ipsec.ipsec-pluto."),
    key("agent.containers.ipsec.logging_poll_interval", DURATION, "250ms",
        "Polling interval for the IPSec container log."),
    key("agent.containers.ipsec.logging_timeout", DURATION, "3s",
        "Timeout when closing the IPSec log file."),
    key("agent.containers.ipsec.status_update_interval", DURATION, "5s",
        "Interval for updating an IPSec container's status and health."),
    # -- minions (agent services) --
    key("agent.minions.executors.max_thread_pool_size", POSITIVE, 8,
        "Maximum threads of the agent services pool (one per processor up to this)."),
    key("agent.minions.executors.thread_pool_shutdown_timeout", DURATION, "10s",
        "Timeout for shutting down the agent services pool."),
    key("agent.minions.executors.thread_pool_name", STRING, "agent-services-pool",
        "Internal name of the agent services pool; do not change."),
    key("agent.minions.flow_state.enabled", BOOL, True,
        "Whether the flow state minion runs on this agent."),
    key("agent.minions.flow_state.legacy_push_state", BOOL, False,
        "Save incoming flow state messages to Cassandra."),
    key("agent.minions.flow_state.local_push_state", BOOL, True,
        "Save incoming flow state messages to local storage on the agent."),
    key("agent.minions.flow_state.port", PORT, 6688,
        "UDP and TCP port for flow state messages from the agent over loopback and for"
        " flow state transfer requests."),
    key("agent.minions.flow_state.connection_timeout", DURATION, "2s",
        "Timeout for TCP requests during flow state exchanges."),
    key("agent.minions.flow_state.block_size", POSITIVE, 262144,
        "Bytes per compressed flow state block (256 KB): larger blocks use more"
        " memory and may compress better."),
    key("agent.minions.flow_state.blocks_per_port", POSITIVE, 512,
        "Compressed flow state blocks allowed per virtual port (128 MB with 256 KB"
        " blocks); blocks are not pre-allocated."),
    key("agent.minions.flow_state.expiration_time", DURATION, "120s",
        "How long flow state is kept; older entries may be removed."),
    key("agent.minions.flow_state.expiration_delay", DURATION, "30s",
        "Delay between runs of the task that invalidates expired blocks."),
    key("agent.minions.flow_state.clean_unused_files_delay", DURATION, "12h",
        "Delay between runs of the task that removes unused flow state files."),
    key("agent.minions.flow_state.log_directory", STRING, "flowstate",
        "Flow state directory for the ports bound to this agent, under"
        " /var/db/midolman (or MIDO_DB_DIR)."),
    key("agent.minions.binding_api.enabled", BOOL, True,
        "Whether the binding API minion (mm-ctl bind/unbind requests) runs."),
    key("agent.minions.binding_api.unix_socket", STRING, "/var/run/midolman/midolman.sock",
        "Unix socket of the binding API; mm-ctl expects this path."),
)  # fmt: skip

# Loggers with their own default; the others follow `agent.loggers.root`.
_FIXED_LOGGERS = {
    "org.apache.zookeeper": "INFO",
    "org.apache.cassandra": "INFO",
    "org.eclipse.jetty": "INFO",
    "me.prettyprint.cassandra": "INFO",
    "com.datastax": "INFO",
    "org.midonet.nsdb.state-proxy-client": "INFO",
}

_LOGGERS = {
    "org.midonet.config": "configuration changes",
    "org.midonet.packets.default.packet-processor": "every packet processed",
    "org.midonet.packet-worker": "packet workers outside the context of a packet",
    "org.midonet.routing.bgp": "BGP routing",
    "org.midonet.flow-management": "flow management",
    "org.midonet.datapath-control": "datapath control",
    "org.midonet.state.table": "state tables",
    "org.midonet.state.replication": "flow state replication",
    "org.midonet.devices.root": "virtual topology devices and cache",
    "org.midonet.devices.bridge": "bridges",
    "org.midonet.devices.chain": "chains",
    "org.midonet.devices.devices-service": "the virtual topology service",
    "org.midonet.devices.gateway-mapping": "gateway mapping",
    "org.midonet.devices.host": "hosts",
    "org.midonet.devices.ip-group": "IP address groups",
    "org.midonet.devices.l4lb": "layer 4 load balancers",
    "org.midonet.devices.mirror": "mirrors",
    "org.midonet.devices.pool": "pools",
    "org.midonet.devices.pool-health-monitor": "pool health monitoring",
    "org.midonet.devices.port": "ports",
    "org.midonet.devices.port-group": "port groups",
    "org.midonet.devices.qos-policy": "QoS policies",
    "org.midonet.devices.router.root": "routers",
    "org.midonet.devices.router.arp-table": "router ARP tables",
    "org.midonet.devices.rule": "rules",
    "org.midonet.devices.rule-logger": "rule loggers",
    "org.midonet.devices.tunnel-zone": "tunnel zones",
    "org.midonet.devices.underlay": "the physical underlay mapping",
    "org.midonet.devices.vtep-port-mapping": "VTEP port mapping",
    "org.midonet.netlink": "netlink communication with the datapath",
    "org.midonet.io.select-loop": "the datapath select loop",
    "org.midonet.io.htb": "the datapath token buckets",
    "org.midonet.nsdb.root": "the network state database",
    "org.midonet.nsdb.nsdb-connection": "NSDB connection monitoring",
    "org.midonet.nsdb.nsdb-node": "NSDB node observables",
    "org.midonet.nsdb.nsdb-class": "NSDB class observables",
    "org.midonet.nsdb.nsdb-directory": "NSDB directory observables",
    "org.midonet.nsdb.state-table": "replicated state tables",
    "org.midonet.containers.root": "the container service",
    "org.midonet.containers.ipsec.root": "the IPSec container",
    "org.midonet.containers.ipsec.ipsec-pluto": "the IPSec pluto process in a container",
    "org.midonet.services.root": "agent services (minions)",
    "org.midonet.services.binding-api": "the binding API minion",
    "org.midonet.services.l4lb.root": "the load balancer service",
}


KEYS: tuple[KeySpec, ...] = (*_AGENT, *loggers("agent", _FIXED_LOGGERS, _LOGGERS))
