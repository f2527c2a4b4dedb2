"""`mm-trace`: packet tracing filters held by an agent (the guide's "Packet Tracing").

    mm-trace [-h HOST] [-p PORT] add [--debug|--trace] [--ip-dst A] [--dst-port N] ...
    mm-trace [-h HOST] [-p PORT] remove <the options it was added with>
    mm-trace [-h HOST] [-p PORT] flush [--dead-only]
    mm-trace [-h HOST] [-p PORT] list [--live-only]

`list` prints each filter in the syntax `add` takes, so it can be replayed after the
agent restarts (filters are not persistent). Traced packets are logged by the agent
with a `cookie:` prefix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from midonet.tools.control_client import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ControlClient,
    ControlUnreachable,
)

_MATCH_OPTIONS = (
    ("--dst-port", "match on TCP/UDP destination port"),
    ("--ethertype", "match on ethertype"),
    ("--ip-dst", "match on ip destination address"),
    ("--ip-protocol", "match on ip protocol field"),
    ("--ip-src", "match on ip source address"),
    ("--mac-dst", "match on destination MAC address"),
    ("--mac-src", "match on source MAC address"),
    ("--src-port", "match on TCP/UDP source port"),
)


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-d", "--debug", action="store_true", help="logs at debug level")
    p.add_argument("-t", "--trace", action="store_true", help="logs at trace level")
    p.add_argument("-l", "--limit", help="number of packets to match before disabling this trace")
    for option, text in _MATCH_OPTIONS:
        p.add_argument(option, help=text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mm-trace", add_help=False, description=__doc__.split("\n")[0])
    p.add_argument("--help", action="help", help="Show help message")
    p.add_argument("-h", "--host", default=DEFAULT_HOST, help="Host (default = localhost)")
    p.add_argument(
        "-p", "--port", type=int, default=DEFAULT_PORT, help="Control port (default = 7200)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    _filter_options(sub.add_parser("add", help="add a packet tracing match"))
    _filter_options(sub.add_parser("remove", help="remove a packet tracing match"))
    flush = sub.add_parser("flush", help="clear the list of tracing matches")
    flush.add_argument("-D", "--dead-only", action="store_true", help="flush expired tracers only")
    listing = sub.add_parser("list", help="list all active tracing matches")
    listing.add_argument("-L", "--live-only", action="store_true", help="list active tracers only")
    return p


def tracer_options(args: argparse.Namespace) -> dict[str, Any]:
    """The endpoint's JSON for the filter the command line describes."""
    if args.debug and args.trace:
        raise SystemExit("mm-trace: choose one of --debug and --trace")
    options: dict[str, Any] = {"level": "trace" if args.trace else "debug"}
    for option, _ in _MATCH_OPTIONS:
        value = getattr(args, option[2:].replace("-", "_"))
        if value is not None:
            options[option[2:]] = value
    if args.limit is not None:
        options["limit"] = args.limit
    return options


def run(argv: Sequence[str], out: Callable[[str], None] = print) -> int:
    args = parser().parse_args(argv)
    client = ControlClient(args.host, args.port)
    if args.command == "add":
        client.call("POST", "/tracers", tracer_options(args))
    elif args.command == "remove":
        removed = client.call("DELETE", "/tracers", tracer_options(args))["removed"]
        out(f"Removed {removed} tracer(s)")
    elif args.command == "flush":
        removed = client.call("POST", "/tracers/flush", dead_only=int(args.dead_only))["removed"]
        out(f"Removed {removed} tracer(s)")
    else:
        for tracer in client.call("GET", "/tracers", live_only=int(args.live_only))["tracers"]:
            out(f"tracer: {tracer['spec']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ControlUnreachable as e:
        print(f"mm-trace: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
