"""`mm-ctl`: bind and unbind virtual ports to this host's interfaces.

    mm-ctl --bind-port PORT_ID INTERFACE [--nsdb URL] [--state-dir DIR]
    mm-ctl --unbind-port PORT_ID

As MidoNet's mm-ctl, it writes the binding (the port's host and interface name)
into the NSDB for the host whose id is in the agent's state directory; the agent
follows the store and opens the interface.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from midonet.agent.host_id import default_state_dir, read_host_id
from midonet.errors import MidonetError, NotFound
from midonet.model import Port
from midonet.node import UsageError, nsdb_url, open_nsdb
from midonet.store.base import Store


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mm-ctl", description=__doc__.split("\n")[0])
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--bind-port", nargs=2, metavar=("PORT_ID", "INTERFACE"))
    action.add_argument("--unbind-port", metavar="PORT_ID")
    p.add_argument("--nsdb", help="file:PATH (embedded store) or zk://HOST:PORT/ROOT")
    p.add_argument("--state-dir", type=Path, help="the agent's state directory (host id)")
    return p


def bind_port(store: Store, port_id: uuid.UUID, host_id: uuid.UUID, interface: str) -> None:
    current = store.get(Port, port_id)
    port = current.obj
    if port.peer_id is not None:
        raise UsageError(f"port {port_id} is linked to port {port.peer_id}; it cannot be bound")
    store.update(
        port.replace(host_id=host_id, interface_name=interface), expected_version=current.version
    )


def unbind_port(store: Store, port_id: uuid.UUID) -> None:
    current = store.get(Port, port_id)
    store.update(
        current.obj.replace(host_id=None, interface_name=None), expected_version=current.version
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    state_dir = args.state_dir or default_state_dir()
    try:
        raw = args.bind_port[0] if args.bind_port else args.unbind_port
        try:
            port_id = uuid.UUID(raw)
        except ValueError:
            raise UsageError(f"not a port id: {raw!r}") from None
        store = open_nsdb(nsdb_url(args.nsdb))
    except (UsageError, OSError, MidonetError) as e:
        print(f"mm-ctl: {e}", file=sys.stderr)
        return 2
    try:
        if args.bind_port:
            host_id = read_host_id(state_dir)
            if host_id is None:
                raise UsageError(f"no host id in {state_dir}: has the agent run on this host?")
            bind_port(store, port_id, host_id, args.bind_port[1])
        else:
            unbind_port(store, port_id)
    except NotFound:
        print(f"mm-ctl: port {port_id} does not exist", file=sys.stderr)
        return 1
    except (UsageError, ValueError, MidonetError) as e:
        print(f"mm-ctl: {e}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
