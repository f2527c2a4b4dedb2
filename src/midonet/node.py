"""What every MidoNet command shares: its state directory, where it finds its NSDB,
and the configuration it reads from there.

`nsdb_url` chooses the NSDB the way every command should: an explicit `--nsdb URL`,
else the ZooKeeper hosts of the bootstrap files / `MIDO_ZOOKEEPER_*` environment when
they name any, else the embedded store `nsdb.db` in the state directory (as
`midonet-cluster` defaults). `node_config` is the one call a service makes for its
effective `Config`: the NSDB's layers for its host id, then the local layers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from midonet.config import SCHEMA_LAYER, Config, ConfigLayer, bootstrap_config, local_layers
from midonet.config.layer import DEFAULT_TEMPLATE, template_layer
from midonet.config.template import BUILTIN_TEMPLATES, builtin_template
from midonet.errors import MidonetError
from midonet.store import EmbeddedStore, open_store
from midonet.store.base import Store

NSDB_FILE = "nsdb.db"


class UsageError(MidonetError):
    """A command-line problem, reported in one line with exit status 2."""


def default_state_dir(service: str = "midonet") -> Path:
    """/var/lib/SERVICE as root, else under XDG_STATE_HOME (~/.local/state)."""
    if os.geteuid() == 0:
        return Path("/var/lib") / service
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local/state")) / service


def open_nsdb(url: str) -> Store:
    """The store a `--nsdb` URL names: `file:PATH` or `zk://HOST:PORT[,...]/ROOT`."""
    if url.startswith("file:"):
        text = url.removeprefix("file:")
        if not text:
            raise UsageError("--nsdb file: needs a path, e.g. file:/var/lib/midonet/nsdb.db")
        path = Path(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        return EmbeddedStore(path)
    if url.startswith("zk://"):
        try:
            return open_store(url)
        except ValueError as e:
            raise UsageError(f"--nsdb {url}: {e}") from None
    raise UsageError(f"--nsdb {url!r}: expected file:PATH or zk://HOST:PORT[,HOST:PORT]/ROOT")


def nsdb_url(
    nsdb: str | None = None, *, state_dir: Path | None = None, bootstrap: Config | None = None
) -> str:
    """The NSDB location: `nsdb`, the bootstrap's ZooKeeper, or the default file."""
    if nsdb:
        return nsdb
    boot = bootstrap if bootstrap is not None else bootstrap_config()
    if boot.origin("zookeeper.zookeeper_hosts") != SCHEMA_LAYER:
        hosts = ",".join(h.strip() for h in boot.get_str("zookeeper.zookeeper_hosts").split(","))
        return f"zk://{hosts}/{boot.get_str('zookeeper.root_key').strip('/')}"
    return f"file:{(state_dir or default_state_dir()) / NSDB_FILE}"


def node_config(
    store: Store, host_id: uuid.UUID | None, *, local: Iterable[ConfigLayer] | None = None
) -> Config:
    """A node's effective configuration: schema < template "default" < its assigned
    template < its own values (the NSDB), then `local` (by default the bootstrap
    files and the environment). Without a host id, only the "default" template."""
    if host_id is None:
        stored = Config([store.config.load(template_layer(DEFAULT_TEMPLATE))])
    else:
        stored = store.config.node_config(host_id)
    extra = local_layers() if local is None else local
    return Config([*stored.layers, *extra])


def deploy_bundled(store: Store, names: Iterable[str] = BUILTIN_TEMPLATES) -> list[str]:
    """Write the shipped templates whose stored copy is missing or differs; the
    names written. The "default" template is the operator's and never touched."""
    written = []
    for name in names:
        layer = builtin_template(name)
        if store.config.template(name) != layer.to_dict():
            store.config.save(layer)
            written.append(name)
    return written
