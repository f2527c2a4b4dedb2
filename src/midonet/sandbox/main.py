"""`midonet-sandbox up [--hosts N] | status | down`: a cloud in a box (see the package
docstring)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from midonet.errors import MidonetError
from midonet.sandbox.checks import ping, run_checks
from midonet.sandbox.cloud import Builder, SandboxError, missing_tools
from midonet.sandbox.record import Record

DEFAULT_STATE_DIR = Path("/var/lib/midonet-sandbox")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="midonet-sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring a cloud up and prove it works")
    up.add_argument("--hosts", type=int, default=2, help="simulated hosts (1-8, default 2)")
    up.add_argument("--api-port", type=int, default=8181)
    up.add_argument("--keep-on-failure", action="store_true", help="leave it up if a check fails")
    sub.add_parser("status", help="what runs, and a quick ping")
    sub.add_parser("down", help="remove everything the sandbox made")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if os.geteuid() != 0:
        print("midonet-sandbox: needs root (it creates namespaces and links)", file=sys.stderr)
        return 2
    missing = missing_tools()
    if missing:
        print(
            f"midonet-sandbox: missing {', '.join(missing)} (run scripts/bootstrap)",
            file=sys.stderr,
        )
        return 2
    state_dir: Path = args.state_dir
    try:
        if args.command == "up":
            return up(state_dir, args.hosts, args.api_port, args.keep_on_failure)
        if args.command == "status":
            return status(state_dir)
        return down(state_dir)
    except KeyboardInterrupt:
        return 130


def up(state_dir: Path, hosts: int, api_port: int, keep: bool) -> int:
    if not 1 <= hosts <= 8:
        print("midonet-sandbox: --hosts must be between 1 and 8", file=sys.stderr)
        return 2
    if Record.load(state_dir) is not None:
        print(f"midonet-sandbox: already up (state in {state_dir}); `midonet-sandbox down` first")
        return 1
    if state_dir.exists():  # what a failed earlier run left for reading: start afresh
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True)
    record = Record(state_dir, info={"hosts": hosts, "api_port": api_port})
    record.save()
    builder = Builder(record, hosts, api_port, lambda line: print(f"* {line}", flush=True))
    try:
        builder.underlay()
        builder.start_cluster()
        builder.start_agents()
        builder.topology()
        print("* checking it works (the first packets also teach MACs and ARP)", flush=True)
        checks = run_checks(record.info["vms"], record.info["external"])
    except (SandboxError, MidonetError, OSError) as e:
        print(f"midonet-sandbox: {e}", file=sys.stderr)
        _teardown(record, why="bringing it up failed", keep_logs=True)
        return 1
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.ok]
    if failed and not keep:
        print(
            f"midonet-sandbox: {len(failed)} check(s) failed; logs in {state_dir}", file=sys.stderr
        )
        _teardown(record, why="checks failed", keep_logs=True)
        return 1
    api = builder.api.base
    print(
        f"\nThe sandbox is up: {hosts} host(s), API {api}, state in {state_dir}.\n"
        f"Continue with:\n"
        f"  midonet-cli --midonet-url {api} -A -e 'router list'\n"
        f"  midonet-cli --midonet-url {api} -A -e"
        f" 'trace from {builder.vm_ports.get('vm1', 'PORT')} to 198.51.100.2"
        f" src 10.0.0.11 proto icmp'\n"
        f"  the topology: {api}/topology/view (or midonet-cli ... -e 'topology svg file t.svg')\n"
        f"  mm-meter -h 10.250.0.1 list; mm-trace -h 10.250.0.1 add --ip-dst 198.51.100.2\n"
        f"  ip netns exec mnsb-vm1 ping 198.51.100.2\n"
        f"  midonet-sandbox status | midonet-sandbox down"
    )
    return 1 if failed else 0


def status(state_dir: Path) -> int:
    record = Record.load(state_dir)
    if record is None:
        print(f"no sandbox in {state_dir}")
        return 1
    healthy = True
    for process in record.processes:
        alive = record.alive(process)
        healthy &= alive
        print(f"  {'up  ' if alive else 'DOWN'}  {process.name} (pid {process.pid})")
    vms = record.info.get("vms", {})
    if "vm1" in vms and "vm2" in vms:
        ok, detail = ping(vms["vm1"][0], vms["vm2"][1], count=2)
        healthy &= ok
        print(f"  {'PASS' if ok else 'FAIL'}  ping vm1 -> vm2  ({detail})")
    return 0 if healthy else 1


def down(state_dir: Path) -> int:
    record = Record.load(state_dir)
    if record is None:
        print(f"no sandbox in {state_dir}: nothing to do")
        return 0
    return 0 if _teardown(record, why="down") else 1


def _teardown(record: Record, why: str, keep_logs: bool = False) -> bool:
    print(f"* tearing down ({why})", flush=True)
    problems = record.teardown()
    for problem in problems:
        print(f"midonet-sandbox: {problem}", file=sys.stderr)
    if not problems and not keep_logs:
        shutil.rmtree(record.state_dir, ignore_errors=True)
        print(f"* removed {len(record.processes)} processes, {len(record.namespaces)} namespaces, "
              f"{len(record.links)} links and {record.state_dir}")  # fmt: skip
    return not problems


if __name__ == "__main__":
    sys.exit(main())
