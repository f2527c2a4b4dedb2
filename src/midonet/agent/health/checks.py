"""TCP health checks of a pool's members, as HAProxy ran them for MidoNet.

Every `delay` seconds each member gets a TCP connect that must succeed within
`timeout` seconds. A member is marked INACTIVE after `max_retries` consecutive
failures (HAProxy's `fall`) and ACTIVE again after `RISE` consecutive successes.
Members start as they are in the NSDB. `due(now)` says which members to probe;
`record(member, ok)` returns the new status when it changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

from midonet.model import LBStatus

RISE: Final = 2
"""Consecutive successes that bring a member back (HAProxy's default `rise`)."""

Target = tuple[str, int]


@dataclass
class MemberHealth:
    target: Target
    status: LBStatus
    failures: int = 0
    successes: int = 0
    next_check: float = 0.0


@dataclass
class PoolChecks:
    delay: float
    timeout: float
    max_retries: int
    members: dict[uuid.UUID, MemberHealth] = field(default_factory=dict)

    def configure(
        self,
        delay: float,
        timeout: float,
        max_retries: int,
        members: dict[uuid.UUID, tuple[Target, LBStatus]],
    ) -> None:
        """Follow the monitor's settings and the pool's members (kept: their counts)."""
        self.delay, self.timeout, self.max_retries = delay, timeout, max(1, max_retries)
        kept = {}
        for member_id, (target, status) in members.items():
            health = self.members.get(member_id)
            if health is None or health.target != target:
                health = MemberHealth(target, status)
            kept[member_id] = health
        self.members = kept

    def due(self, now: float) -> list[tuple[uuid.UUID, Target]]:
        """The members to probe now (each is scheduled `delay` later)."""
        out = []
        for member_id, health in self.members.items():
            if health.next_check <= now:
                health.next_check = now + self.delay
                out.append((member_id, health.target))
        return out

    def record(self, member_id: uuid.UUID, ok: bool) -> LBStatus | None:
        """A probe's result; the member's new status if it changed."""
        health = self.members.get(member_id)
        if health is None:
            return None
        if ok:
            health.failures = 0
            health.successes += 1
            if health.status is not LBStatus.ACTIVE and health.successes >= RISE:
                health.status = LBStatus.ACTIVE
                return health.status
        else:
            health.successes = 0
            health.failures += 1
            if health.status is LBStatus.ACTIVE and health.failures >= self.max_retries:
                health.status = LBStatus.INACTIVE
                return health.status
        return None
