"""midonet-cli trace (text, minimal, json) and topology (dot, svg to a file)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_harness import Cli, start_cli

SETUP = """bridge create name tenant
router create name edge
router router0 add port address 10.0.0.1 net 10.0.0.0/24
bridge bridge0 add port
bridge bridge0 add port
bridge bridge0 port port1 set peer router0:port0
chain create name no-dns
chain chain0 add rule proto 17 dst-port 53 type drop
bridge bridge0 port port0 set infilter chain0
"""


def test_trace_prints_every_step_and_a_minimal_form(cli: Cli) -> None:
    result = cli.session(
        SETUP
        + "trace from bridge0:port0 to 10.0.0.1 src 10.0.0.5 proto icmp minimal\n"
        + "trace from bridge0:port0 to 10.0.0.1:53 src 10.0.0.5 proto udp minimal\n"
    )
    assert result.stderr == ""
    out = result.stdout
    assert "icmp 10.0.0.5 > 10.0.0.1 type 8 code 0 at tenant:#1" in out
    assert "filter result port tenant:#1 verdict=accept" in out
    assert "port ingress router edge port edge:10.0.0.1" in out
    assert "\nCONSUMED" in out  # the router answers a ping to itself
    assert "rule matched chain=no-dns rule=no-dns:1 position=1 action=drop" in out
    assert "DROP: FILTERED (dropped by a rule)" in out


def test_trace_as_json_and_with_a_stated_conntrack(cli: Cli) -> None:
    result = cli.session(
        SETUP + "trace from bridge0:port0 to 10.0.0.1:80 src 10.0.0.5 --ct established --json\n"
    )
    assert result.stderr == ""
    out = result.stdout
    report = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert report["conntrack"] == "established"
    assert report["tracedBy"].startswith("cluster (the port is not bound to a host")
    assert report["steps"][0]["event"] == "port ingress"


def test_trace_errors_name_what_is_wrong(cli: Cli) -> None:
    result = cli.session(
        SETUP
        + "trace from bridge0:port0 to 10.0.0.999 src 10.0.0.5\n"
        + "trace to 10.0.0.1 src 10.0.0.5\n"
        + "trace from bridge0:port0 to 10.0.0.1 src 10.0.0.5 ct sometimes\n"
    )
    said = result.stdout + result.stderr
    assert "ipDst: '10.0.0.999' is not an IPv4 address" in said
    assert "trace needs 'from PORT'" in said
    assert "ct must be 'new' or 'established'" in said


def test_topology_as_dot_and_svg_file(cli: Cli, tmp_path: Path) -> None:
    cli.session(SETUP)
    result = cli.e("topology dot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph midonet {")
    assert "router\\nedge" in result.stdout and "10.0.0.1/24" in result.stdout
    target = tmp_path / "topology.svg"
    result = cli.e(f"topology svg file {target}")
    assert result.returncode == 0, result.stderr
    assert f"to {target}" in result.stdout
    assert "<svg" in target.read_text()


def test_minimal_traces_are_the_same_on_a_rebuilt_topology(cli: Cli, tmp_path: Path) -> None:
    command = "trace from bridge0:port0 to 10.0.0.1:80 src 10.0.0.5 minimal\n"
    first = cli.session(SETUP + command).stdout
    (tmp_path / "again").mkdir()
    rebuilt = start_cli(tmp_path / "again")
    other = next(rebuilt)
    try:
        second = other.session(SETUP + command).stdout
    finally:
        next(rebuilt, None)  # the generator stops the second server
    assert first == second  # new ids everywhere, the same lines
