"""One-shot mode (`-e`) through the console script: UUIDs, exit status, the chapter 8
SNAT script, errors as one line, configuration from the environment and ~/.midonetrc."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cli_harness import UUID, Cli
from test_cli_groups_hosts import add_host

SCRIPT_BIN = Path(sys.executable).parent

SNAT = """
set -e
midonet-cli -e 'bridge list name snat-example-bridge' || midonet-cli -e 'bridge create name snat-example-bridge'
export BRIDGE="$(midonet-cli -e 'bridge list name snat-example-bridge' | awk '{print $2;}')"
midonet-cli -e "bridge $BRIDGE port list" | wc -l | grep '2' || midonet-cli -e "bridge $BRIDGE port create"
midonet-cli -e "bridge $BRIDGE port list" | wc -l | grep '2' || midonet-cli -e "bridge $BRIDGE port create"
export VETH_PORT="$(midonet-cli -e "bridge $BRIDGE port list" | head -n1 | awk '{print $2;}')"
export ROUTER_PORT="$(midonet-cli -e "bridge $BRIDGE port list" | tail -n1 | awk '{print $2;}')"
export HOST="$(midonet-cli -e "host list name os004" | awk '{print $2;}')"
midonet-cli -e "host $HOST add binding port $VETH_PORT interface veth0-snat"
export ROUTER="$(midonet-cli -e "router list name edge" | awk '{print $2;}')"
midonet-cli -e "router $ROUTER port list" | grep 'address 192.168.11.1' | grep 'net 192.168.11.0/24' || \\
midonet-cli -e "router $ROUTER port create address 192.168.11.1 net 192.168.11.0/24"
export RPORT="$(midonet-cli -e "router $ROUTER port list" | grep 'address 192.168.11.1' | grep 'net 192.168.11.0/24' | awk '{print $2;}')"
midonet-cli -e "router $ROUTER route list" | grep 'dst 192.168.11.0/24' || \\
midonet-cli -e "router $ROUTER route add type normal src 0.0.0.0/0 dst 192.168.11.0/24 port $RPORT"
midonet-cli -e "port $RPORT set peer $ROUTER_PORT"
midonet-cli -e "port $RPORT show"
"""  # noqa: E501  (the guide's lines, as printed)


def run_script(cli: Cli, script: str) -> subprocess.CompletedProcess[str]:
    env = cli.env()
    env["PATH"] = f"{SCRIPT_BIN}:{env.get('PATH', '')}"
    env["MIDO_API_URL"] = cli.url
    return subprocess.run(
        ["bash", "-c", script], check=False, capture_output=True, text=True, env=env, timeout=120
    )


def test_oneshot_prints_uuids(cli: Cli) -> None:
    created = cli.e('router create name "Edge Router"')
    assert created.returncode == 0, created.stderr
    rid = created.stdout.strip()
    assert re.fullmatch(UUID, rid)
    listed = cli.e("router list")
    assert listed.stdout.strip() == f"router {rid} name Edge Router state up"


def test_snat_script_of_chapter_8_runs_twice(cli: Cli) -> None:
    add_host(cli, "os004")
    assert cli.e("router create name edge").returncode == 0
    first = run_script(cli, SNAT)
    assert first.returncode == 0, first.stderr
    last = first.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"port ({UUID}) device {UUID} state up mac \S+ addresses 192.168.11.1/24 "
        rf"address 192.168.11.1 net 192.168.11.0/24 peer {UUID}",
        last,
    ), last
    again = run_script(cli, SNAT)  # idempotent: everything found, nothing created
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == last
    bridge = cli.e("bridge list name snat-example-bridge").stdout.split()[1]
    assert len(cli.e(f"bridge {bridge} port list").stdout.splitlines()) == 2


def test_errors_are_one_line_and_exit_non_zero(cli: Cli) -> None:
    for command, message in [
        ("router 1b2c3d4e-0000-0000-0000-000000000000 show", "does not exist"),
        ("router router0 show", "Unknown alias: router0"),
        ("frobnicate list", "Syntax error at: frobnicate"),
        ("router create nmae x", "Syntax error at: nmae"),
    ]:
        result = cli.e(command)
        assert result.returncode != 0
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr


def test_unreachable_api_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(SCRIPT_BIN / "midonet-cli"),
            "--midonet-url",
            "http://127.0.0.1:9/x",
            "-e",
            "list router",
        ],
        check=False,
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Cannot reach the MidoNet API at http://127.0.0.1:9/x/")
    assert "Traceback" not in result.stderr


def test_midonetrc_and_environment(cli: Cli) -> None:
    (cli.home / ".midonetrc").write_text(
        f"[cli]\napi_url = {cli.url}\nusername = admin\npassword = pw\ntenant = t1\n"
    )
    env = cli.env()
    made = subprocess.run(
        [str(SCRIPT_BIN / "midonet-cli"), "-e", "router create name mine"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    env["MIDO_TENANT"] = "t2"
    other = subprocess.run(
        [str(SCRIPT_BIN / "midonet-cli"), "-e", "router list"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert other.returncode == 0 and other.stdout == ""
    mine = subprocess.run(
        [str(SCRIPT_BIN / "midonet-cli"), "--tenant", "t1", "-e", "router list"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert mine.stdout.split()[3] == "mine"


def test_options_no_auth_user_and_tenant(cli: Cli) -> None:
    made = cli.e("router create name x", "-u", "admin", "-p", "pw", "--tenant", "t9")
    assert made.returncode == 0, made.stderr
    rid = made.stdout.strip()
    assert cli.e("router list", "-A", "--tenant", "t9").stdout == f"router {rid} name x state up\n"
    assert cli.e("router list", "--tenant", "t8").stdout == ""


def test_sett_and_cleart_scope_the_session(cli: Cli) -> None:
    result = cli.session(
        "sett t1\nrouter create name a\ncleart\nrouter create name b\n"
        "sett t1\nlist router\ncleart\nlist router\n"
    )
    assert result.stderr == ""
    out = result.stdout.splitlines()
    assert out[9:11] == ["midonet> list router", "router router0 name a state up"]
    assert out[11:13] == ["midonet> cleart", "midonet> list router"]
    assert sorted(out[-2:]) == ["router router0 name a state up", "router router1 name b state up"]
