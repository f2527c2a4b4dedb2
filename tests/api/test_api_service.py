"""The `midonet-cluster` command, HTTPS, and the event log's line format."""

from __future__ import annotations

import http.client
import json
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_harness import Running, start, stop

from midonet.cluster.events import EventLog
from midonet.cluster.main import main

LINE = re.compile(
    r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2}\.\d{3} testhost (INFO |WARN |ERROR) "
    r"(org\.midonet\.event\.[\w.]+) - (.*)$"
)


def _run_cluster(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "midonet.cluster.main",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
            *extra,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )


def _listening(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stderr is not None
    urls: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"listening on (\S+)", line)
        if found:
            urls.append(found.group(1))
            if "http://" in found.group(1):
                return urls
    raise AssertionError(f"the cluster did not say where it listens: {urls}")


def test_console_script_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _run_cluster(tmp_path)
    try:
        url = _listening(proc)[0]
        host, port = url.split("//")[1].split("/")[0].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request(
            "POST",
            "/midonet-api/routers",
            body=b'{"name": "r"}',
            headers={"Content-Type": "application/json"},
        )
        assert conn.getresponse().status == 201
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    assert (tmp_path / "nsdb.db").exists()
    events = (tmp_path / "midonet-cluster.event.log").read_text()
    assert "org.midonet.event.api.Nsdb.CONNECT - CONNECT Connected to the NSDB cluster." in events
    assert "Router.CREATE - CREATE routerId=" in events
    assert "WARN  org.midonet.event.api.Nsdb.DISCONNECT - DISCONNECT Disconnected" in events


def test_bad_nsdb_urls_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--nsdb", "zk://no-port/midonet", "--state-dir", str(tmp_path)]) == 2
    assert "expected HOST:PORT" in capsys.readouterr().err
    assert main(["--nsdb", "ftp://x", "--state-dir", str(tmp_path)]) == 2


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_with_a_configured_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    running = start(tmp_path, https_port=0, certfile=cert, keyfile=key)
    try:
        port = running.server.https_port
        assert port is not None
        context = ssl.create_default_context(cafile=str(cert))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        conn.request("GET", "/midonet-api/")
        reply = conn.getresponse()
        assert reply.status == 200
        app = json.loads(reply.read())
        assert app["uri"] == f"https://127.0.0.1:{port}/midonet-api/"
        conn.close()
        assert running.client.get("/midonet-api/").status == 200  # plain HTTP still served
    finally:
        stop(running)


def test_event_lines_follow_the_guide(cluster: Running) -> None:
    client = cluster.client
    router = client.create("/routers", {"name": "r"})
    client.put(router["uri"], {"name": "r2"})
    client.delete(router["uri"])
    chain = client.create("/chains", {"name": "c"})
    rule = client.create(chain["rules"], {"type": "accept"})
    client.delete(rule["uri"])
    lines = cluster.events.read_text().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    by_logger = {m.group(2): m.group(3) for m in parsed if m}
    prefix = "org.midonet.event.topology."
    assert by_logger[prefix + "Router.CREATE"].startswith(
        f"CREATE routerId={router['id']}, data={{"
    )
    assert by_logger[prefix + "Router.UPDATE"].startswith(f"UPDATE routerId={router['id']}, data=")
    assert '"name":"r2"' in by_logger[prefix + "Router.UPDATE"]
    assert by_logger[prefix + "Router.DELETE"] == f"DELETE routerId={router['id']}."
    assert by_logger[prefix + "Chain.CREATE"].startswith(f"CREATE chainId={chain['id']}")
    assert by_logger[prefix + "Rule.CREATE"].startswith(f"CREATE ruleId={rule['id']}")
    assert by_logger[prefix + "Rule.DELETE"] == f"DELETE ruleId={rule['id']}."
    assert (
        by_logger["org.midonet.event.api.Nsdb.CONNECT"] == "CONNECT Connected to the NSDB cluster."
    )


def test_nsdb_events_on_state_changes(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "e.log", hostname="testhost")
    log.nsdb_state(True)
    log.nsdb_state(True)
    log.nsdb_state(False)
    log.nsdb("CONN_EXPIRE")
    log.close()
    lines = (tmp_path / "e.log").read_text().splitlines()
    assert [LINE.match(line).group(1, 2, 3) for line in lines] == [  # type: ignore[union-attr]
        ("INFO ", "org.midonet.event.api.Nsdb.CONNECT", "CONNECT Connected to the NSDB cluster."),
        (
            "WARN ",
            "org.midonet.event.api.Nsdb.DISCONNECT",
            "DISCONNECT Disconnected from the NSDB cluster.",
        ),
        (
            "ERROR",
            "org.midonet.event.api.Nsdb.CONN_EXPIRE",
            "CONN_EXPIRE Connection to the NSDB cluster expired.",
        ),
    ]
