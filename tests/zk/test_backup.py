"""Backup and restore of a whole NSDB between the embedded and ZooKeeper backends."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from midonet.errors import StoreError
from midonet.model import (
    Bridge,
    Chain,
    Host,
    Port,
    PortGroup,
    PortType,
    Router,
    Rule,
    RuleType,
)
from midonet.model.base import MODEL_TYPES
from midonet.model.system_state import SYSTEM_STATE_ID, Availability, SystemState
from midonet.store import Create, EmbeddedStore, Store
from midonet.store.backup import export, main, restore
from midonet.store.zookeeper import ZooKeeperStore


def populate(store: Store) -> None:
    router, bridge, chain = Router(name="edge"), Bridge(name="net"), Chain(name="in")
    group, host = PortGroup(name="g"), Host(name="compute-1")
    store.commit([Create(o) for o in (router, bridge, chain, group, host)])
    rport = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=ipaddress.IPv4Address("10.0.0.1"),
        network_address=ipaddress.IPv4Address("10.0.0.0"),
        network_length=24,
        port_group_ids=(group.id,),
        inbound_filter_id=chain.id,
    )
    store.create(rport)  # derives LOCAL and subnet routes
    store.commit(
        [
            Create(Port(type=PortType.BRIDGE, bridge_id=bridge.id, peer_id=rport.id)),
            Create(
                Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=host.id,
                     interface_name="tap0")
            ),
        ]
    )  # fmt: skip
    rules = [Rule(type=t, chain_id=chain.id) for t in (RuleType.DROP, RuleType.ACCEPT)]
    store.commit([Create(r) for r in rules])
    store.commit([Create(SystemState(availability=Availability.READWRITE))])
    store.config.set_template("default", {"agent.loggers.root": "INFO"})
    store.config.set_template("compute", {"agent.midolman.simulation_threads": 2})
    store.config.set_host(host.id, {"agent.datapath.max_flow_count": 1000})
    store.config.assign(host.id, "compute")


def contents(store: Store) -> dict[str, object]:
    objects = {kind: store.list(cls) for kind, cls in MODEL_TYPES.items() if store.list(cls)}
    config = store.config
    return {
        "objects": objects,
        "templates": {n: config.template(n) for n in config.templates()},
        "hosts": {h: config.host(h) for h in config.hosts()},
        "mappings": config.mappings(),
    }


def test_embedded_to_zookeeper_and_back(tmp_path: Path, zk_store: ZooKeeperStore) -> None:
    with EmbeddedStore(tmp_path / "a.db") as source:
        populate(source)
        expected = contents(source)
        with source.watch(SystemState, SYSTEM_STATE_ID) as w:
            data = export(source)
            w.wait_for(lambda c: c.value is not None and c.value.read_only)
            w.wait_for(lambda c: c.value is not None and not c.value.read_only)
        assert contents(source) == expected  # availability set back to READWRITE
    assert restore(zk_store, json.loads(json.dumps(data))) == sum(
        len(v) for v in data["objects"].values()
    )
    assert contents(zk_store) == expected
    with EmbeddedStore(tmp_path / "b.db") as target:
        restore(target, export(zk_store))
        assert contents(target) == expected
    with pytest.raises(StoreError, match="not empty"):
        restore(zk_store, data)


def test_export_leaves_no_system_state_where_there_was_none(zk_store: ZooKeeperStore) -> None:
    zk_store.create(Router())
    data = export(zk_store)
    assert "SystemState" not in data["objects"]
    assert not zk_store.exists(SystemState, SYSTEM_STATE_ID)


def test_mn_backup_command(tmp_path: Path, zk_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "nsdb.db"
    with EmbeddedStore(source) as store:
        populate(store)
        expected = contents(store)
    backup = tmp_path / "backup.json"
    assert main(["export", "--nsdb", f"file:{source}", str(backup)]) == 0
    assert main(["import", "--nsdb", zk_url, str(backup)]) == 0
    out = capsys.readouterr().out
    assert "exported 13 objects" in out and "imported 13 objects" in out
    with ZooKeeperStore.from_url(zk_url) as store:
        assert contents(store) == expected
    assert main(["import", "--nsdb", zk_url, str(backup)]) == 1
    assert "not empty" in capsys.readouterr().err
    backup.write_text('{"format": "something else"}')
    assert main(["import", "--nsdb", f"file:{tmp_path / 'c.db'}", str(backup)]) == 1
    assert "not a MidoNet NSDB backup" in capsys.readouterr().err


def test_unknown_kinds_in_a_backup_are_reported(zk_store: ZooKeeperStore) -> None:
    bad = {"format": "midonet-nsdb-backup", "version": 1, "objects": {"Nope": [{}]}}
    with pytest.raises(StoreError, match="unknown kind 'Nope'"):
        restore(zk_store, bad)
