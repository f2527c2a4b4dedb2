"""midonet-cli: options, ~/.midonetrc and MIDO_* environment, then REPL or one command."""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from pathlib import Path

from midonet.cli.aliases import Aliases
from midonet.cli.client import Client
from midonet.cli.grammar import Interpreter
from midonet.cli.repl import execute, loop

DEFAULT_URL = "http://127.0.0.1:8181/midonet-api"
SETTINGS = ("api_url", "username", "password", "project_id", "tenant")


def settings(args: argparse.Namespace) -> dict[str, str]:
    """Command line over environment over ~/.midonetrc [cli]."""
    rc = configparser.ConfigParser()
    rc.read(Path(os.path.expanduser("~/.midonetrc")))
    found = dict(rc["cli"]) if rc.has_section("cli") else {}
    env = {
        "api_url": "MIDO_API_URL",
        "username": "MIDO_USER",
        "password": "MIDO_PASSWORD",
        "project_id": "MIDO_PROJECT_ID",
        "tenant": "MIDO_TENANT",
    }
    for key, var in env.items():
        if os.environ.get(var):
            found[key] = os.environ[var]
    for key in SETTINGS:
        value = getattr(args, key)
        if value:
            found[key] = value
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="midonet-cli", description="MidoNet command-line client")
    p.add_argument("--midonet-url", dest="api_url")
    p.add_argument("-u", "--user", dest="username")
    p.add_argument("-p", "--password")
    p.add_argument("-i", "--project-id", dest="project_id")
    p.add_argument("--tenant")
    p.add_argument("-A", "--no-auth", action="store_true")
    p.add_argument("-e", "--eval", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    conf = settings(args)
    client = Client(
        conf.get("api_url", DEFAULT_URL),
        conf.get("username", ""),
        conf.get("password", ""),
        conf.get("project_id", ""),
        no_auth=args.no_auth,
    )
    if args.eval is not None:
        interp = Interpreter(client, Aliases(enabled=False), conf.get("tenant", ""))
        return 0 if execute(interp, " ".join(args.eval), sys.stdout) else 1
    return loop(Interpreter(client, Aliases(), conf.get("tenant", "")))


if __name__ == "__main__":
    sys.exit(main())
