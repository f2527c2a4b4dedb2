"""Which flow tags a topology change invalidates.

The tag of a model object is its UUID, bare, as the simulation puts it on flows
(`midonet.agent.simulation.tags`; ids are unique across kinds). A change invalidates
the tags of the objects that changed and of the objects whose behaviour they are part
of, so that a flow tagged only with a device still goes when something inside it
changes:

- a rule → its chain; a chain → the bridges, routers and ports that use it as a
  filter, and the chains that jump to it (transitively);
- a route → its router (also the router of its next-hop port);
- a port → its bridge or router;
- a mirror → the devices and ports it is applied to;
- a pool member → its pool; a pool or VIP → its load balancer; a load balancer → its
  router; a health monitor → its pools;
- a port group or IP address group → the chains with rules that match on it.

Both the old and the new version of a changed object count (a rule moved from one
chain to another changes both), looked up in the snapshot before and after the
change. Objects reached this way propagate further only along the edges above that
leave a chain or a load-balancing object: a port reached as a filter user does not
invalidate its whole bridge.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping

from midonet.agent.topology.snapshot import Topology
from midonet.model import (
    Bridge,
    Chain,
    HealthMonitor,
    IPAddrGroup,
    LoadBalancer,
    Mirror,
    ModelObject,
    Pool,
    PoolMember,
    Port,
    PortGroup,
    Route,
    Router,
    Rule,
    Vip,
)

Ref = tuple[type[ModelObject], uuid.UUID]

# Kinds whose dependents are followed when they are reached indirectly.
_TRANSITIVE = frozenset({"Chain", "Pool", "Vip", "LoadBalancer", "HealthMonitor"})

# Back-reference fields of chains and mirrors, with the kind they name.
_FILTER_USERS: tuple[tuple[str, type[ModelObject]], ...] = (
    ("bridge_inbound_ids", Bridge),
    ("bridge_outbound_ids", Bridge),
    ("router_inbound_ids", Router),
    ("router_outbound_ids", Router),
    ("port_inbound_ids", Port),
    ("port_outbound_ids", Port),
)
_MIRROR_USERS: tuple[tuple[str, type[ModelObject]], ...] = (
    *_FILTER_USERS,
    ("port_post_in_filter_ids", Port),
    ("port_pre_out_filter_ids", Port),
)
_GROUP_FIELDS = (
    "port_group_id",
    "in_port_group_id",
    "out_port_group_id",
    "ip_addr_group_src_id",
    "ip_addr_group_dst_id",
)


def _some(cls: type[ModelObject], *ids: uuid.UUID | None) -> Iterator[Ref]:
    for object_id in ids:
        if object_id is not None:
            yield cls, object_id


def _users(obj: ModelObject, fields: tuple[tuple[str, type[ModelObject]], ...]) -> Iterator[Ref]:
    for name, cls in fields:
        for user_id in getattr(obj, name):
            yield cls, user_id


def _chains_using_group(topology: Topology) -> Mapping[uuid.UUID, frozenset[uuid.UUID]]:
    """Group id → ids of the chains whose rules match on it (cached per snapshot)."""

    def compute() -> Mapping[uuid.UUID, frozenset[uuid.UUID]]:
        index: dict[uuid.UUID, set[uuid.UUID]] = {}
        for rule in topology.objects(Rule):
            if rule.chain_id is None:
                continue
            for name in _GROUP_FIELDS:
                group_id = getattr(rule.condition, name)
                if group_id is not None:
                    index.setdefault(group_id, set()).add(rule.chain_id)
        return {k: frozenset(v) for k, v in index.items()}

    return topology.memo(("invalidation.chains_using_group",), compute)


def dependents(obj: ModelObject, topology: Topology) -> Iterator[Ref]:
    """The objects whose behaviour includes `obj`, as found in `topology`."""
    if isinstance(obj, Rule):
        yield from _some(Chain, obj.chain_id)
    elif isinstance(obj, Chain):
        yield from _users(obj, _FILTER_USERS)
        for rule_id in obj.jump_rule_ids:
            rule = topology.get(Rule, rule_id)
            if rule is not None:
                yield from _some(Chain, rule.chain_id)
    elif isinstance(obj, Route):
        port = topology.get(Port, obj.next_hop_port_id)
        yield from _some(Router, obj.router_id, port.router_id if port else None)
    elif isinstance(obj, Port):
        yield from _some(Router, obj.router_id)
        yield from _some(Bridge, obj.bridge_id)
    elif isinstance(obj, Mirror):
        yield from _users(obj, _MIRROR_USERS)
    elif isinstance(obj, PoolMember):
        yield from _some(Pool, obj.pool_id)
    elif isinstance(obj, Pool | Vip):
        yield from _some(LoadBalancer, obj.load_balancer_id)
    elif isinstance(obj, LoadBalancer):
        yield from _some(Router, obj.router_id)
    elif isinstance(obj, HealthMonitor):
        yield from _some(Pool, *obj.pool_ids)
    elif isinstance(obj, PortGroup | IPAddrGroup):
        for chain_id in _chains_using_group(topology).get(obj.id, ()):
            yield Chain, chain_id


def affected(
    changes: Iterable[tuple[ModelObject | None, ModelObject | None]],
    previous: Topology,
    current: Topology,
) -> set[uuid.UUID]:
    """The tags to invalidate for `changes`, each (old version, new version) of an
    object (None for a creation's old and a deletion's new)."""
    tags: set[uuid.UUID] = set()
    work: list[tuple[ModelObject, Topology]] = []
    for old, new in changes:
        for obj, topology in ((old, previous), (new, current)):
            if obj is not None:
                tags.add(obj.id)
                work.append((obj, topology))
    while work:
        obj, topology = work.pop()
        for cls, object_id in dependents(obj, topology):
            if object_id in tags:
                continue
            tags.add(object_id)
            if cls.KIND in _TRANSITIVE:
                # Follow it as it is now, and as it was (a deleted chain's users).
                for snapshot in (current, previous):
                    found = snapshot.get(cls, object_id)
                    if found is not None:
                        work.append((found, snapshot))
    return tags
