"""`mm-meter`: list an agent's meters and watch one (the guide's metering section).

    mm-meter [-h HOST] [-p PORT] list
    mm-meter [-h HOST] [-p PORT] get -n NAME [delay [count]]

`get` prints the current packets and bytes of the meter; with a delay it then
prints, every `delay` seconds, what was counted since the previous line, `count`
times (forever by default).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from midonet.tools.control_client import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ControlClient,
    ControlUnreachable,
)

FOREVER = 2147483647


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mm-meter", add_help=False, description=__doc__.split("\n")[0])
    p.add_argument("--help", action="help", help="Show help message")
    p.add_argument("-h", "--host", default=DEFAULT_HOST, help="Host (default = localhost)")
    p.add_argument(
        "-p", "--port", type=int, default=DEFAULT_PORT, help="Control port (default = 7200)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list all active meters")
    get = sub.add_parser("get", help="print a meter's counters")
    get.add_argument("-n", "--meter-name", required=True, help="name of the meter")
    get.add_argument(
        "delay",
        nargs="?",
        type=float,
        default=0.0,
        help="delay between updates, in seconds (default = 0: one report)",
    )
    get.add_argument(
        "count",
        nargs="?",
        type=int,
        default=FOREVER,
        help="number of updates (default = 2147483647)",
    )
    return p


def run(
    argv: Sequence[str],
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    args = parser().parse_args(argv)
    client = ControlClient(args.host, args.port)
    if args.command == "list":
        for name in client.call("GET", "/meters")["meters"]:
            out(name)
        return 0
    path = "/meters/" + args.meter_name
    first = client.call("GET", path)
    out(f"{'packets':>12}{'bytes':>12}")
    out(f"{first['packets']:>12}{first['bytes']:>12}")
    if args.delay <= 0:
        return 0
    last = first
    for _ in range(args.count):
        sleep(args.delay)
        now = client.call("GET", path)
        out(f"{now['packets'] - last['packets']:>12}{now['bytes'] - last['bytes']:>12}")
        last = now
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ControlUnreachable as e:
        print(f"mm-meter: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
