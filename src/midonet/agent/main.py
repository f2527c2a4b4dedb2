"""`midolman`: run the MidoNet Agent in the foreground.

    midolman [--nsdb URL] [--state-dir DIR] [--config FILE] [--event-log FILE]
             [--hostname NAME] [--log-level LEVEL]

The host id is kept in `host_uuid.properties` under the state directory (created on
first start). The NSDB is `file:PATH` or `zk://HOST:PORT/ROOT`, as for
`midonet-cluster`; by default `file:nsdb.db` under the state directory.
Configuration: the NSDB's templates and this host's values (`mn-conf`), then
`--config` (HOCON). SIGTERM or SIGINT stops it cleanly (status 0); losing the NSDB
session stops it with status 3, for its supervisor to restart it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from midonet.agent.events import AgentEvents
from midonet.agent.host_id import default_state_dir, host_id
from midonet.agent.interfaces import hostname
from midonet.agent.service import Agent
from midonet.config import ConfigLayer, local_layers
from midonet.errors import MidonetError
from midonet.node import UsageError, node_config, nsdb_url, open_nsdb

log = logging.getLogger("org.midonet.midolman")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="midolman", description=__doc__.split("\n")[0])
    p.add_argument("--nsdb", help="file:PATH (embedded store) or zk://HOST:PORT/ROOT")
    p.add_argument("--state-dir", type=Path, help="where the host id (and default NSDB) live")
    p.add_argument("--config", type=Path, help="HOCON file of configuration values")
    p.add_argument("--event-log", type=Path, help="event log file")
    p.add_argument("--hostname", help="the host's name in the NSDB (default: this machine's)")
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
        my_id = host_id(state_dir)
        store = open_nsdb(nsdb_url(args.nsdb))
    except (UsageError, OSError, ValueError, MidonetError) as e:
        print(f"midolman: {e}", file=sys.stderr)
        return 2
    events = AgentEvents(args.event_log or state_dir / "midolman.event.log")
    try:
        local = local_layers()
        if args.config is not None:
            local.append(ConfigLayer.from_hocon(str(args.config), args.config.read_text()))
        config = node_config(store, my_id, local=local)
        agent = Agent(
            store,
            my_id,
            hostname=args.hostname or hostname(),
            events=events,
            config=config,
            state_dir=state_dir,
        )
        agent.start()
    except (MidonetError, OSError) as e:
        print(f"midolman: {e}", file=sys.stderr)
        events.close()
        store.close()
        return 1

    def on_signal(signum: int, frame: object) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        agent.loop.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("host %s serving", my_id)
    _calm_the_collector()
    try:
        _run(agent)
    finally:
        events.close()
        store.close()
    return 3 if agent.expired else 0


GC_THRESHOLDS = (50_000, 20, 100)


def _calm_the_collector() -> None:
    """Flows and flow-state entries are many, short-lived and acyclic: reference
    counting frees them. The cyclic collector's default thresholds would still
    walk the whole heap every few thousand new connections (seen as a fifth of the
    loop's time under a connection flood); what was built at start (the topology,
    the modules) is moved out of its sight and it runs less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _run(agent: Agent) -> None:
    """Serve; with MIDOLMAN_PROFILE=FILE set, under cProfile, its statistics written
    to FILE at exit (for developers chasing where the loop's time goes)."""
    target = os.environ.get("MIDOLMAN_PROFILE")
    if not target:
        agent.run()
        return
    profiler = cProfile.Profile()
    try:
        profiler.runcall(agent.run)
    finally:
        profiler.dump_stats(target)


if __name__ == "__main__":
    sys.exit(main())
