"""Learned MACs are forgotten once no flow has used them for the expiry time."""

from __future__ import annotations

import uuid
from collections.abc import Hashable

from midonet.agent.flows.table import FlowTable
from midonet.agent.mac_expiry import MacExpiry
from midonet.agent.simulation import MacLearned
from midonet.agent.simulation.tags import mac_tag

BRIDGE, PORT = uuid.uuid4(), uuid.uuid4()
MAC = bytes.fromhex("020000000001")


def test_an_entry_is_kept_while_flows_use_it_and_forgotten_after_idling() -> None:
    forgotten: list[tuple[uuid.UUID, int, bytes, uuid.UUID]] = []
    expiry = MacExpiry(15.0, lambda b, v, m, p: forgotten.append((b, v, m, p)))
    flows: FlowTable[Hashable, object] = FlowTable()
    expiry.learned(MacLearned(BRIDGE, 0, MAC, PORT, None))
    flows.install("to-mac", (), [mac_tag(BRIDGE, 0, MAC)], 0.0)
    expiry.check(100.0, flows)
    assert not forgotten and len(expiry) == 1
    flows.remove("to-mac")
    expiry.check(101.0, flows)  # idle from here
    expiry.check(115.0, flows)
    assert not forgotten
    expiry.check(116.0, flows)
    assert forgotten == [(BRIDGE, 0, MAC, PORT)] and len(expiry) == 0 and expiry.expired == 1


def test_learning_again_or_a_new_flow_restarts_the_clock() -> None:
    forgotten: list[object] = []
    expiry = MacExpiry(15.0, lambda *key: forgotten.append(key))
    flows: FlowTable[Hashable, object] = FlowTable()
    expiry.learned(MacLearned(BRIDGE, 0, MAC, PORT, None))
    expiry.check(0.0, flows)
    flows.install("f", (), [mac_tag(BRIDGE, 0, MAC)], 10.0)
    expiry.check(10.0, flows)
    flows.remove("f")
    expiry.check(20.0, flows)
    expiry.learned(MacLearned(BRIDGE, 0, MAC, PORT, None))
    expiry.check(30.0, flows)
    expiry.check(44.0, flows)
    assert not forgotten
    expiry.check(45.0, flows)
    assert len(forgotten) == 1


def test_a_failing_store_write_is_logged_not_raised() -> None:
    def broken(*key: object) -> None:
        raise RuntimeError("store down")

    expiry = MacExpiry(0.0, broken)
    expiry.learned(MacLearned(BRIDGE, 0, MAC, PORT, None))
    expiry.check(1.0, FlowTable())
    assert expiry.expired == 1 and len(expiry) == 0
