"""Contract: state tables with ephemeral entries, and configuration layers."""

from __future__ import annotations

import time
import uuid

from midonet.store import Store
from midonet.store.state import ArpTable, MacTable, NatLeases, PortActive
from midonet.store.watch import wait_until


def test_entries_and_watches_across_clients(store: Store, other: Store) -> None:
    bridge, port = uuid.uuid4(), uuid.uuid4()
    macs = MacTable(store.state, bridge, vlan=5)
    with MacTable(other.state, bridge, vlan=5).watch() as w:
        macs.add("02:00:00:00:00:01", port)
        assert w.wait_until(lambda v: "02:00:00:00:00:01" in v)["02:00:00:00:00:01"] == str(port)
        macs.remove("02:00:00:00:00:01")
        w.wait_until(lambda v: v == {})
    arp = ArpTable(store.state, "bridge", bridge)
    arp.add("10.0.0.9", "02:00:00:00:00:09")
    assert ArpTable(other.state, "bridge", bridge).get("10.0.0.9") == "02:00:00:00:00:09"


def test_closing_a_session_removes_its_ephemeral_entries(store: Store, other: Store) -> None:
    host, port = uuid.uuid4(), uuid.uuid4()
    session = store.state.open_session(ttl=10)
    PortActive(store.state).set_active(port, host, session)
    store.state.put("t", "persistent", 1)
    with other.state.watch(PortActive.name) as w:
        w.wait_until(lambda v: str(port) in v)
        session.close()
        w.wait_until(lambda v: str(port) not in v)
    assert PortActive(other.state).host_of(port) is None
    assert other.state.get("t", "persistent") is not None


def test_a_session_that_stops_renewing_expires_after_its_ttl(store: Store, other: Store) -> None:
    session = store.state.open_session(ttl=0.5, heartbeat=False)
    store.state.put("t", "e", "x", session=session)
    start = time.monotonic()
    with other.state.watch("t") as w:
        w.wait_until(lambda v: "e" in v)
        w.wait_until(lambda v: "e" not in v, timeout=10)
    assert time.monotonic() - start >= 0.4
    wait_until(lambda: session.expired, timeout=10)


def test_a_heartbeat_keeps_a_session_alive(store: Store) -> None:
    session = store.state.open_session(ttl=0.3)
    store.state.put("t", "e", "x", session=session)
    time.sleep(1.0)
    assert store.state.get("t", "e") is not None
    assert not session.expired
    session.close()


def test_nat_lease_is_exclusive_between_clients(store: Store, other: Store) -> None:
    device = uuid.uuid4()
    a = store.state.open_session(ttl=10)
    b = other.state.open_session(ttl=10)
    assert NatLeases(store.state).try_lease(device, "5.5.5.5", 7, "a", a)
    assert not NatLeases(other.state).try_lease(device, "5.5.5.5", 7, "b", b)
    assert NatLeases(store.state).release(device, "5.5.5.5", 7, a)
    assert NatLeases(other.state).try_lease(device, "5.5.5.5", 7, "b", b)


def test_configuration_layers_are_shared(store: Store, other: Store) -> None:
    host = uuid.uuid4()
    store.config.set_template("default", {"agent.loggers.root": "INFO"})
    store.config.set_host(host, {"agent.loggers.root": "DEBUG"})
    store.config.assign(host, "default")
    assert other.config.layers_for(host) == [
        {"agent.loggers.root": "INFO"},
        {"agent.loggers.root": "DEBUG"},
    ]
    other.config.update_template("default", set={"cluster.rest_api.http_port": 8181})
    assert store.config.template("default") == {
        "agent.loggers.root": "INFO",
        "cluster.rest_api.http_port": 8181,
    }


def test_typed_layers_round_trip_and_stack(store: Store, other: Store) -> None:
    from midonet.config.layer import ConfigLayer, host_layer
    from midonet.config.template import builtin_template

    host = uuid.uuid4()
    store.config.save(builtin_template("agent-compute-large").renamed("template:compute"))
    store.config.save(ConfigLayer("template:default", {"agent.midolman.simulation_threads": 1}))
    store.config.save(ConfigLayer(host_layer(host), {"agent.datapath.max_flow_count": 1000}))
    store.config.assign(host, "compute")
    config = other.config.node_config(host)
    assert config.get("agent.midolman.simulation_threads") == 2  # the template wins
    assert config.origin("agent.midolman.simulation_threads") == "template:compute"
    assert config.get("agent.datapath.max_flow_count") == 1000  # the host wins
    assert other.config.load("template:compute") == builtin_template("agent-compute-large").renamed(
        "template:compute"
    )
