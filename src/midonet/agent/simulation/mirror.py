"""Port mirroring: a copy of each matching packet leaves by the mirror's port.

A mirror matches when any of its conditions does (no condition: every packet). The
copy is a fork: it leaves `to_port_id` as the packet is at that point, with no
filters, and the original path continues unchanged.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from midonet.agent.simulation import port
from midonet.agent.simulation.condition import Predicate, compile_condition
from midonet.model import Mirror

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext
    from midonet.agent.topology.snapshot import Topology

_Compiled = tuple[uuid.UUID | None, tuple[Predicate, ...]] | None


def _compile(topology: Topology, mirror_id: uuid.UUID) -> _Compiled:
    found = topology.get(Mirror, mirror_id)
    if found is None:
        return None
    return found.to_port_id, tuple(compile_condition(c, topology) for c in found.conditions)


def _compiled(topology: Topology, mirror_id: uuid.UUID) -> _Compiled:
    return topology.memo(("mirror.compiled", mirror_id), lambda: _compile(topology, mirror_id))


def apply(ctx: PacketContext, mirror_ids: tuple[uuid.UUID, ...]) -> None:
    for mirror_id in mirror_ids:
        ctx.tags.add(mirror_id)
        compiled = _compiled(ctx.topology, mirror_id)
        if compiled is None:
            continue
        to_port, predicates = compiled
        if to_port is None or (predicates and not any(p(ctx) for p in predicates)):
            continue
        if ctx.trace is not None:
            ctx.step("mirror", port_id=to_port, detail=(("mirror", mirror_id),))
        saved, drop_reason = ctx.save(), ctx.drop_reason
        ctx.in_port_id = None  # the copy may leave by the port the packet came in by
        port.egress(ctx, to_port, filters=False)
        ctx.restore(saved)
        ctx.drop_reason = drop_reason
