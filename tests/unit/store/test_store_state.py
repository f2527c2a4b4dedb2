"""State tables, sessions and configuration layers of the embedded store."""

from __future__ import annotations

import ipaddress
import time
import uuid

import pytest

from midonet.store.config import DEFAULT_TEMPLATE, HOSTS, TEMPLATES
from midonet.store.embedded import EmbeddedStore
from midonet.store.state import (
    ArpTable,
    HostAlive,
    MacTable,
    NatLeases,
    PortActive,
    SessionExpired,
    mac,
)
from midonet.store.watch import wait_until


def test_put_get_remove_and_versions(mem: EmbeddedStore) -> None:
    st = mem.state
    v1 = st.put("t", "k", {"a": 1})
    v2 = st.put("t", "k", [1, 2])
    assert v2 > v1
    entry = st.get("t", "k")
    assert entry is not None and entry.value == [1, 2] and entry.version == v2
    assert entry.session is None
    assert not st.remove("t", "k", expected_version=v1)
    assert st.remove("t", "k", expected_version=v2)
    assert st.get("t", "k") is None
    assert not st.remove("t", "k")
    with pytest.raises(ValueError, match="null"):
        st.put("t", "k", None)


def test_put_if_is_compare_and_set(mem: EmbeddedStore) -> None:
    st = mem.state
    v = st.put_if("t", "k", "first", expected_version=0)
    assert v is not None
    assert st.put_if("t", "k", "second", expected_version=0) is None
    assert st.put_if("t", "k", "second", expected_version=v) is not None
    assert st.entries("t")["k"].value == "second"


def test_closing_a_session_removes_its_entries_only(mem: EmbeddedStore) -> None:
    st = mem.state
    session = st.open_session(ttl=5)
    st.put("t", "mine", 1, session=session)
    st.put("t", "kept", 2)
    w = st.watch("t")
    w.wait_until(lambda v: set(v) == {"mine", "kept"})
    session.close()
    assert set(st.entries("t")) == {"kept"}
    assert w.wait_for(lambda c: c.key == "mine" and c.deleted).version > 0
    assert session.expired
    with pytest.raises(SessionExpired):
        st.put("t", "late", 3, session=session)
    with pytest.raises(SessionExpired):
        session.renew()
    w.close()


def test_a_session_that_is_not_renewed_expires(mem: EmbeddedStore) -> None:
    st = mem.state
    lazy = st.open_session(ttl=0.3, heartbeat=False)
    alive = st.open_session(ttl=0.3)  # its heartbeat renews it every 0.1 s
    st.put("t", "lazy", 1, session=lazy)
    st.put("t", "alive", 1, session=alive)
    w = st.watch("t")
    # Hidden from reads as soon as it is past its TTL; reaped by the feed thread soon after.
    wait_until(lambda: "lazy" not in st.entries("t"), timeout=5)
    w.wait_until(lambda v: set(v) == {"alive"}, timeout=5)
    wait_until(lambda: lazy.expired, timeout=5)
    time.sleep(0.5)
    assert set(st.entries("t")) == {"alive"}
    assert not alive.expired
    w.close()


def test_put_if_treats_expired_entries_as_free(mem: EmbeddedStore) -> None:
    st = mem.state
    dead = st.open_session(ttl=0.05, heartbeat=False)
    assert st.put_if("t", "k", "dead", expected_version=0, session=dead) is not None
    time.sleep(0.1)
    assert st.put_if("t", "k", "new", expected_version=0) is not None


def test_mac_table_per_vlan(mem: EmbeddedStore) -> None:
    bridge, port, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    untagged, vlan10 = MacTable(mem.state, bridge), MacTable(mem.state, bridge, 10)
    w = vlan10.watch()
    untagged.add("AA:BB:CC:00:00:01", port)
    vlan10.add("aa-bb-cc-00-00-02", other)
    assert untagged.get("aa:bb:cc:00:00:01") == port
    assert untagged.get("aa:bb:cc:00:00:02") is None
    assert vlan10.snapshot() == {"aa:bb:cc:00:00:02": other}
    assert w.wait_for(lambda c: c.key == "aa:bb:cc:00:00:02").value == str(other)
    assert not untagged.remove("aa:bb:cc:00:00:01", other)  # maps to another port
    assert untagged.remove("aa:bb:cc:00:00:01", port)
    with pytest.raises(ValueError, match="MAC"):
        untagged.add("nonsense", port)
    with pytest.raises(ValueError, match="vlan"):
        MacTable(mem.state, bridge, 4096)
    w.close()
    assert mac("01:02:03:04:05:0A") == "01:02:03:04:05:0a"


def test_arp_tables(mem: EmbeddedStore) -> None:
    router = uuid.uuid4()
    arp = ArpTable(mem.state, "router", router)
    arp.add("10.0.0.1", "aa:bb:cc:dd:ee:ff")
    assert arp.get(ipaddress.IPv4Address("10.0.0.1")) == "aa:bb:cc:dd:ee:ff"
    assert arp.snapshot() == {ipaddress.IPv4Address("10.0.0.1"): "aa:bb:cc:dd:ee:ff"}
    assert ArpTable(mem.state, "bridge", router).get("10.0.0.1") is None
    assert arp.remove("10.0.0.1")
    with pytest.raises(ValueError, match="bridge or a router"):
        ArpTable(mem.state, "port", router)


def test_port_active_and_host_alive_end_with_the_session(mem: EmbeddedStore) -> None:
    host, port = uuid.uuid4(), uuid.uuid4()
    session = mem.state.open_session(ttl=5)
    PortActive(mem.state).set_active(port, host, session)
    HostAlive(mem.state).announce(host, session)
    assert PortActive(mem.state).host_of(port) == host
    assert HostAlive(mem.state).alive() == {host}
    session.close()
    assert PortActive(mem.state).host_of(port) is None
    assert not HostAlive(mem.state).is_alive(host)


def test_nat_leases_are_exclusive_and_released_by_their_holder(mem: EmbeddedStore) -> None:
    nat, device = NatLeases(mem.state), uuid.uuid4()
    a = mem.state.open_session(ttl=5, owner="agent-a")
    b = mem.state.open_session(ttl=5, owner="agent-b")
    assert nat.try_lease(device, "1.1.1.1", 3, "a", a)
    assert nat.try_lease(device, "1.1.1.1", 3, "a", a)  # already ours
    assert not nat.try_lease(device, "1.1.1.1", 3, "b", b)
    assert nat.try_lease(device, "1.1.1.1", 4, "b", b)
    assert nat.owner(device, "1.1.1.1", 3) == "a"
    assert not nat.release(device, "1.1.1.1", 3, b)
    assert nat.leases(device) == {
        (ipaddress.IPv4Address("1.1.1.1"), 3): "a",
        (ipaddress.IPv4Address("1.1.1.1"), 4): "b",
    }
    a.close()  # a crashed or stopped agent's blocks become free
    assert nat.try_lease(device, "1.1.1.1", 3, "b", b)
    assert nat.release(device, "1.1.1.1", 3, b)
    assert nat.owner(device, "1.1.1.1", 3) is None
    with pytest.raises(ValueError, match="negative"):
        nat.key("1.1.1.1", -1)


def test_config_layers(mem: EmbeddedStore) -> None:
    cfg = mem.config
    host = uuid.uuid4()
    cfg.set_template(
        DEFAULT_TEMPLATE, {"agent.loggers.root": "INFO", "cluster.rest_api.port": 8181}
    )
    cfg.set_template("compute", {"agent.datapath.max_flow_count": 20000})
    cfg.update_template("compute", set={"agent.loggers.root": "DEBUG"})
    cfg.set_host(host, {"agent.midolman.bgp_keepalive": "30s"})
    assert cfg.templates() == ["compute", "default"]
    assert cfg.template_of(host) == DEFAULT_TEMPLATE
    cfg.assign(host, "compute")
    assert cfg.mappings() == {host: "compute"}
    assert cfg.layers_for(host) == [
        {"agent.loggers.root": "INFO", "cluster.rest_api.port": 8181},
        {"agent.datapath.max_flow_count": 20000, "agent.loggers.root": "DEBUG"},
        {"agent.midolman.bgp_keepalive": "30s"},
    ]
    assert cfg.update_host(host, unset=["agent.midolman.bgp_keepalive"]) == {}
    assert cfg.hosts() == [host]
    assert cfg.unassign(host)
    assert cfg.delete_template("compute")
    assert cfg.template("compute") == {}
    assert cfg.delete_host(host)
    with pytest.raises(ValueError, match="dotted name"):
        cfg.set_host(host, {"": 1})
    w = cfg.watch(TEMPLATES)
    cfg.update_template("edge", set={"a.b": None})
    assert w.wait_for(lambda c: c.key == "edge").value == {"a.b": None}
    w.close()
    with pytest.raises(ValueError, match="not a configuration table"):
        cfg.watch("other")
    assert HOSTS != TEMPLATES
