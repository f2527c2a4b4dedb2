"""`midonet-cluster`: run the MidoNet Cluster's REST API in the foreground.

    midonet-cluster [--port N] [--nsdb URL] [--state-dir DIR] [--config FILE]
                    [--https-port N --cert PEM --key PEM] [--event-log FILE]

The NSDB is `file:PATH` (the embedded store) or `zk://HOST:PORT[,HOST:PORT]/ROOT`
(ZooKeeper); without `--nsdb`, the ZooKeeper the bootstrap files name, else `nsdb.db`
under the state directory (`midonet.node.nsdb_url`). Configuration: the schema's
defaults, the NSDB's "default" template, the bootstrap files, `--config` (HOCON),
then the command line. SIGTERM or SIGINT stops it cleanly.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from midonet.cluster.auth import provider_from_config
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import Api, ApiServer
from midonet.config import ConfigLayer, local_layers
from midonet.errors import MidonetError
from midonet.node import UsageError, default_state_dir, node_config, nsdb_url, open_nsdb
from midonet.store import Store

log = logging.getLogger("org.midonet.cluster.root")


def cluster_config(store: Store, config_file: Path | None) -> dict[str, Any]:
    """Every cluster.* key's effective value, by dotted name: the NSDB's "default"
    template, the local bootstrap files and environment, then `--config`."""
    local = local_layers()
    if config_file is not None:
        local.append(ConfigLayer.from_hocon(str(config_file), config_file.read_text()))
    config = node_config(store, None, local=local)
    return {s.key: s.value for s in config.settings("cluster")}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="midonet-cluster", description=__doc__.split("\n")[0])
    p.add_argument("--host", help="address to listen on (cluster.rest_api.http_host)")
    p.add_argument("--port", type=int, help="HTTP port (cluster.rest_api.http_port, 8181)")
    p.add_argument(
        "--https-port",
        type=int,
        help="HTTPS port, used with --cert and --key (cluster.rest_api.https_port)",
    )
    p.add_argument("--cert", type=Path, help="PEM certificate (chain) for HTTPS")
    p.add_argument("--key", type=Path, help="PEM private key for HTTPS")
    p.add_argument("--nsdb", help="file:PATH (embedded store) or zk://HOST:PORT/ROOT")
    p.add_argument(
        "--state-dir", type=Path, help="where the embedded NSDB and the event log live by default"
    )
    p.add_argument("--config", type=Path, help="HOCON file of configuration values")
    p.add_argument("--event-log", type=Path, help="event log file")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-5s %(name)s - %(message)s",
    )
    state_dir = args.state_dir or default_state_dir()
    try:
        store = open_nsdb(nsdb_url(args.nsdb, state_dir=state_dir))
    except (UsageError, OSError, MidonetError) as e:
        print(f"midonet-cluster: {e}", file=sys.stderr)
        return 2
    events = EventLog(args.event_log or state_dir / "midonet-cluster.event.log")
    try:
        return _serve(args, store, events)
    except (UsageError, MidonetError, OSError) as e:
        print(f"midonet-cluster: {e}", file=sys.stderr)
        return 1
    finally:
        events.nsdb_state(False)
        events.close()
        store.close()


def _serve(args: argparse.Namespace, store: Store, events: EventLog) -> int:
    config = cluster_config(store, args.config)
    events.nsdb_state(True)
    if (args.cert is None) != (args.key is None):
        raise UsageError("HTTPS needs both --cert and --key")
    https_port = (
        args.https_port if args.https_port is not None else config["cluster.rest_api.https_port"]
    )
    api = Api(
        store, provider_from_config(config), events, root=str(config["cluster.rest_api.root_uri"])
    )
    server = ApiServer(
        api,
        args.host or str(config["cluster.rest_api.http_host"]) or "0.0.0.0",
        args.port if args.port is not None else int(config["cluster.rest_api.http_port"]),
        https_port=https_port if args.cert is not None and https_port > 0 else None,
        certfile=args.cert,
        keyfile=args.key,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    for url in server.urls():
        log.info("REST API listening on %s", url)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
