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
- Bridge is MidoNet's Network: its back-reference fields are named bridge_*.
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
)


def bindings_of(kind: str) -> list[Binding]:
    """The bindings with an end on `kind`."""
    return [b for b in BINDINGS if kind in (b.left.kind, b.right.kind)]


for _row in TABLE:
    bind(*_row)
