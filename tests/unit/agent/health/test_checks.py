"""The health-check schedule: probes every `delay`, INACTIVE after `max_retries`
failures in a row, ACTIVE again after RISE successes."""

from __future__ import annotations

import uuid

from midonet.agent.health.checks import RISE, PoolChecks
from midonet.agent.health.probe import link_network
from midonet.model import LBStatus

A, B = uuid.uuid4(), uuid.uuid4()


def _checks(max_retries: int = 3) -> PoolChecks:
    checks = PoolChecks(0, 0, 1)
    checks.configure(
        5.0,
        2.0,
        max_retries,
        {A: (("10.0.0.1", 80), LBStatus.ACTIVE), B: (("10.0.0.2", 80), LBStatus.INACTIVE)},
    )
    return checks


def test_members_are_probed_every_delay() -> None:
    checks = _checks()
    assert {m for m, _ in checks.due(0.0)} == {A, B}
    assert checks.due(4.9) == []
    assert dict(checks.due(5.0)) == {A: ("10.0.0.1", 80), B: ("10.0.0.2", 80)}


def test_max_retries_failures_mark_inactive_and_rise_successes_active() -> None:
    checks = _checks(max_retries=3)
    assert [checks.record(A, False) for _ in range(3)] == [None, None, LBStatus.INACTIVE]
    assert checks.record(A, False) is None  # already inactive
    results = [checks.record(A, True) for _ in range(RISE)]
    assert results[-1] is LBStatus.ACTIVE and set(results[:-1]) <= {None}


def test_a_success_resets_the_failure_count() -> None:
    checks = _checks(max_retries=2)
    assert checks.record(A, False) is None
    assert checks.record(A, True) is None
    assert checks.record(A, False) is None
    assert checks.record(A, False) is LBStatus.INACTIVE


def test_reconfiguring_keeps_counts_of_unchanged_members_and_forgets_removed_ones() -> None:
    checks = _checks(max_retries=2)
    checks.record(A, False)
    checks.configure(5.0, 2.0, 2, {A: (("10.0.0.1", 80), LBStatus.ACTIVE)})
    assert set(checks.members) == {A}
    assert checks.record(A, False) is LBStatus.INACTIVE
    assert checks.record(B, False) is None  # no longer a member


def test_each_pool_gets_its_own_link_local_network() -> None:
    networks = {link_network(uuid.uuid4()) for _ in range(50)}
    assert all(n.prefixlen == 30 and str(n).startswith("169.254.") for n in networks)
    assert all(not str(n).startswith("169.254.0.") for n in networks)
