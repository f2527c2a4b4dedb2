"""Every two-sided reference between stored kinds, after MidonetBackend.setupBindings.

Importing this module fills `midonet.model.base.BINDINGS` once; the store implements
the semantics generically from it. Each row reads: deleting an object of the left kind
applies the left action to what its left field points at, and the other way round
(CASCADE deletes them, CLEAR removes the back-reference, ERROR refuses the delete).

Choices that are ours rather than MidoNet's:
- Chain.jump_rule_ids ↔ Rule.jump_chain_id: MidoNet declares no binding and leaves
  jump rules dangling when their target chain goes. A jump rule without a target is
  invalid in our model, so deleting a chain CASCADE-deletes the jump rules that target
  it (each leaves its own chain through the Chain.rule_ids binding); deleting a jump
  rule just CLEARs it from its target's jump_rule_ids.
- LoadBalancer.vip_ids ↔ Vip.load_balancer_id: MidoNet derives a VIP's load balancer
  from its pool; we store and bind it so the load balancer can list its VIPs and a
  VIP leaves with its load balancer.
- Bridge is MidoNet's Network: the fields that point back at bridges are named
  bridge_* (Chain.bridge_inbound_ids, QosPolicy.bridge_ids, TraceRequest.bridge_id).
- Bindings of Neutron-only or unmodelled kinds (DHCP, VTEP, L2 insertion, service
  containers, VPN, rule loggers, floating-IP rules, Vip.gateway_port_id) are left out
  with those kinds.
"""

from __future__ import annotations

from midonet.model.base import BINDINGS, Binding, DeleteAction, bind

CASCADE = DeleteAction.CASCADE
CLEAR = DeleteAction.CLEAR
ERROR = DeleteAction.ERROR

TABLE: tuple[tuple[str, str, DeleteAction, str, str, DeleteAction], ...] = (
    # devices own their ports
    ("Router", "port_ids", CASCADE, "Port", "router_id", CLEAR),
    ("Bridge", "port_ids", CASCADE, "Port", "bridge_id", CLEAR),
    # port links, bindings, groups
    ("Port", "peer_id", CLEAR, "Port", "peer_id", CLEAR),
    ("Port", "host_id", CLEAR, "Host", "port_ids", CLEAR),
    ("Port", "port_group_ids", CLEAR, "PortGroup", "port_ids", CLEAR),
    # routes
    ("Port", "route_ids", CASCADE, "Route", "next_hop_port_id", CLEAR),
    ("Router", "route_ids", CASCADE, "Route", "router_id", CLEAR),
    # filters
    ("Bridge", "inbound_filter_id", CLEAR, "Chain", "bridge_inbound_ids", CLEAR),
    ("Bridge", "outbound_filter_id", CLEAR, "Chain", "bridge_outbound_ids", CLEAR),
    ("Router", "inbound_filter_id", CLEAR, "Chain", "router_inbound_ids", CLEAR),
    ("Router", "outbound_filter_id", CLEAR, "Chain", "router_outbound_ids", CLEAR),
    ("Port", "inbound_filter_id", CLEAR, "Chain", "port_inbound_ids", CLEAR),
    ("Port", "outbound_filter_id", CLEAR, "Chain", "port_outbound_ids", CLEAR),
    # rules
    ("Chain", "rule_ids", CASCADE, "Rule", "chain_id", CLEAR),
    ("Chain", "jump_rule_ids", CASCADE, "Rule", "jump_chain_id", CLEAR),
    # tunnel zones
    ("Host", "tunnel_zone_ids", CLEAR, "TunnelZone", "host_ids", CLEAR),
    # load balancing
    ("Router", "load_balancer_id", ERROR, "LoadBalancer", "router_id", CLEAR),
    ("LoadBalancer", "pool_ids", CASCADE, "Pool", "load_balancer_id", CLEAR),
    ("LoadBalancer", "vip_ids", CASCADE, "Vip", "load_balancer_id", CLEAR),
    ("Pool", "pool_member_ids", CASCADE, "PoolMember", "pool_id", CLEAR),
    ("Pool", "vip_ids", CASCADE, "Vip", "pool_id", CLEAR),
    ("Pool", "health_monitor_id", CLEAR, "HealthMonitor", "pool_ids", CLEAR),
    # mirrors: where they are applied, and where they send to
    ("Bridge", "inbound_mirror_ids", CLEAR, "Mirror", "bridge_inbound_ids", CLEAR),
    ("Bridge", "outbound_mirror_ids", CLEAR, "Mirror", "bridge_outbound_ids", CLEAR),
    ("Router", "inbound_mirror_ids", CLEAR, "Mirror", "router_inbound_ids", CLEAR),
    ("Router", "outbound_mirror_ids", CLEAR, "Mirror", "router_outbound_ids", CLEAR),
    ("Port", "inbound_mirror_ids", CLEAR, "Mirror", "port_inbound_ids", CLEAR),
    ("Port", "outbound_mirror_ids", CLEAR, "Mirror", "port_outbound_ids", CLEAR),
    ("Port", "post_in_filter_mirror_ids", CLEAR, "Mirror", "port_post_in_filter_ids", CLEAR),
    ("Port", "pre_out_filter_mirror_ids", CLEAR, "Mirror", "port_pre_out_filter_ids", CLEAR),
    ("Mirror", "to_port_id", CLEAR, "Port", "mirror_ids", CASCADE),
    # BGP
    ("Router", "bgp_network_ids", CASCADE, "BgpNetwork", "router_id", CLEAR),
    ("Router", "bgp_peer_ids", CASCADE, "BgpPeer", "router_id", CLEAR),
    # QoS
    ("QosPolicy", "bandwidth_limit_rule_ids", CASCADE, "QosRuleBandwidthLimit", "policy_id", CLEAR),
    ("QosPolicy", "dscp_marking_rule_ids", CASCADE, "QosRuleDscp", "policy_id", CLEAR),
    ("Port", "qos_policy_id", CLEAR, "QosPolicy", "port_ids", CLEAR),
    ("Bridge", "qos_policy_id", CLEAR, "QosPolicy", "bridge_ids", CLEAR),
    # trace requests go with their device
    ("Bridge", "trace_request_ids", CASCADE, "TraceRequest", "bridge_id", CLEAR),
    ("Router", "trace_request_ids", CASCADE, "TraceRequest", "router_id", CLEAR),
    ("Port", "trace_request_ids", CASCADE, "TraceRequest", "port_id", CLEAR),
)


def bindings_of(kind: str) -> list[Binding]:
    """The bindings with an end on `kind`."""
    return [b for b in BINDINGS if kind in (b.left.kind, b.right.kind)]


for _row in TABLE:
    bind(*_row)
