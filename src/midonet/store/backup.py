"""Backup and restore of a whole NSDB, for either backend, as one JSON file.

    mn-backup export --nsdb URL FILE     write the NSDB to FILE
    mn-backup import --nsdb URL FILE     load FILE into an empty NSDB

URL is what `open_store` takes (`file:PATH` or a plain path for the embedded store,
`zk://HOST:PORT[,HOST:PORT]/ROOT` for ZooKeeper). The file holds every object (with
both sides of each reference, as the store keeps them) and the configuration layers
(templates, per-host values, template mappings). State tables (MAC, ARP, port
activity, NAT leases) are not kept: the agents rebuild them.

As the Operations Guide's backup procedure does, `export` sets the system state to
READONLY while it reads, so the API refuses writes, and restores the availability
it found afterwards; the file records that previous availability.

`restore` writes objects as they are, bypassing bindings and derivation hooks (a
backup is already consistent; re-deriving would duplicate router-port routes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midonet.errors import MidonetError, StoreError
from midonet.model.base import MODEL_TYPES, ModelObject
from midonet.model.system_state import SYSTEM_STATE_ID, Availability, SystemState
from midonet.store.base import Store
from midonet.store.embedded import EmbeddedStore
from midonet.store.integrity import Staging

FORMAT = "midonet-nsdb-backup"
VERSION = 1


def export(store: Store, *, read_only: bool = True) -> dict[str, Any]:
    """The NSDB as JSON-shaped data; with `read_only` the system state is READONLY
    meanwhile and set back to what it was afterwards."""
    previous: SystemState | None = None
    if store.exists(SystemState, SYSTEM_STATE_ID):
        previous = store.get(SystemState, SYSTEM_STATE_ID).obj
    if read_only:
        _set_system_state(store, SystemState(availability=Availability.READONLY))
    try:
        objects: dict[str, list[dict[str, Any]]] = {}
        for kind, cls in sorted(MODEL_TYPES.items()):
            found = [o for o in store.list(cls) if not isinstance(o, SystemState)]
            if found:
                objects[kind] = [o.to_dict() for o in found]
        if previous is not None:
            objects[SystemState.KIND] = [previous.to_dict()]
        config = store.config
        layers = {
            "templates": {name: config.template(name) for name in config.templates()},
            "hosts": {str(h): config.host(h) for h in config.hosts()},
            "mappings": {str(h): t for h, t in sorted(config.mappings().items())},
        }
    finally:
        if read_only:
            if previous is None:
                store.delete(SystemState, SYSTEM_STATE_ID, missing_ok=True)
            else:
                _set_system_state(store, previous)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "objects": objects,
        "config": layers,
    }


def _set_system_state(store: Store, state: SystemState) -> None:
    with store.transaction() as tx:
        if tx.exists(SystemState, SYSTEM_STATE_ID):
            tx.update(state)
        else:
            tx.create(state)


def decode(data: object) -> tuple[list[ModelObject], dict[str, dict[str, Any]]]:
    """Objects and configuration of a backup, validated."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(f"not a MidoNet NSDB backup (expected format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise StoreError(f"backup version {data.get('version')!r} is not {VERSION}")
    objects: list[ModelObject] = []
    for kind, items in dict(data.get("objects", {})).items():
        cls = MODEL_TYPES.get(kind)
        if cls is None:
            raise StoreError(f"backup holds objects of unknown kind {kind!r}")
        objects.extend(cls.from_dict(item) for item in items)
    config = dict(data.get("config", {}))
    return objects, {k: dict(config.get(k, {})) for k in ("templates", "hosts", "mappings")}


def is_empty(store: Store) -> bool:
    config = store.config
    return (
        all(not store.list(cls) for cls in MODEL_TYPES.values())
        and not config.templates()
        and not config.hosts()
        and not config.mappings()
    )


def restore(store: Store, data: object) -> int:
    """Load a backup into an empty NSDB; returns the number of objects written."""
    objects, config = decode(data)
    if not is_empty(store):
        raise StoreError("the target NSDB is not empty; restore only into an empty one")
    count = _write_raw(store, objects)
    for name, values in config["templates"].items():
        store.config.set_template(name, values)
    for host, values in config["hosts"].items():
        store.config.set_host(uuid.UUID(host), values)
    for host, template in config["mappings"].items():
        store.config.assign(uuid.UUID(host), str(template))
    return count


def _write_raw(store: Store, objects: list[ModelObject]) -> int:
    from midonet.store.zookeeper import ZooKeeperStore  # noqa: PLC0415 - kazoo on demand

    if isinstance(store, ZooKeeperStore):
        return store.write_raw(objects)
    if isinstance(store, EmbeddedStore):
        # The embedded store has no public raw write: stage the objects as they are
        # (no bindings, no hooks) and let its own flush write them and log changes.
        with store._db.write() as cur:
            staging = Staging(store.schema, lambda kind, id: None)
            for obj in objects:
                staging._put(store.schema.kind_of(type(obj)), obj)
            store._flush(cur, staging)
        store._feed.kick()
        return len(objects)
    raise StoreError(f"cannot restore into a {type(store).__name__}")


# --- mn-backup --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mn-backup", description="Back up or restore the NSDB.")
    p.add_argument("action", choices=("export", "import"))
    p.add_argument("file", type=Path, help="the backup file (JSON)")
    p.add_argument("--nsdb", required=True, help="file:PATH or zk://HOST:PORT[,...]/ROOT")
    args = p.parse_args(argv)
    try:
        from midonet.node import open_nsdb  # noqa: PLC0415 - node imports the store package

        store = open_nsdb(args.nsdb)
    except (MidonetError, ValueError, OSError) as e:
        print(f"mn-backup: {e}", file=sys.stderr)
        return 2
    try:
        if args.action == "export":
            data = export(store)
            args.file.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
            count = sum(len(v) for v in data["objects"].values())
            print(f"exported {count} objects to {args.file}")
        else:
            count = restore(store, json.loads(args.file.read_text()))
            print(f"imported {count} objects from {args.file}")
        return 0
    except (MidonetError, ValueError, OSError) as e:
        print(f"mn-backup: {e}", file=sys.stderr)
        return 1
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
