"""Two `midonet-cluster` processes on one ZooKeeper serve the same topology."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from midonet.testing.zookeeper import ZooKeeperServer


def _start_cluster(zk_url: str, state_dir: Path) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "midonet.cluster.main", "--host", "127.0.0.1"]
    command += ["--port", "0", "--nsdb", zk_url, "--state-dir", str(state_dir)]
    proc = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return proc, int(found.group(1))
    proc.kill()
    proc.wait()
    raise AssertionError("the cluster did not start on ZooKeeper")


def _request(port: int, method: str, path: str, body: object = None) -> tuple[int, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def test_a_write_through_one_cluster_is_read_through_the_other(zk_url: str, tmp_path: Path) -> None:
    first, first_port = _start_cluster(zk_url, tmp_path / "a")
    try:
        second, second_port = _start_cluster(zk_url, tmp_path / "b")
        try:
            status, router = _request(first_port, "POST", "/midonet-api/routers", {"name": "edge"})
            assert status == 201 and isinstance(router, dict)
            status, seen = _request(second_port, "GET", f"/midonet-api/routers/{router['id']}")
            assert status == 200 and isinstance(seen, dict) and seen["name"] == "edge"
            status, _ = _request(
                second_port, "PUT", f"/midonet-api/routers/{router['id']}", {"name": "core"}
            )
            assert status == 204
            status, seen = _request(first_port, "GET", f"/midonet-api/routers/{router['id']}")
            assert status == 200 and isinstance(seen, dict) and seen["name"] == "core"
            conn = http.client.HTTPConnection("127.0.0.1", first_port, timeout=20)
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            text = response.read().decode()
            conn.close()
            assert response.status == 200
            assert response.getheader("Content-Type", "").startswith("text/plain")
            assert 'midonet_nsdb_connection_state{state="CONNECTED"} 1' in text
            assert "midonet_nsdb_object_not_found_total" in text
        finally:
            assert _stop(second) == 0
    finally:
        assert _stop(first) == 0


def test_the_api_answers_503_while_zookeeper_is_down_and_recovers(tmp_path: Path) -> None:
    server = ZooKeeperServer(tmp_path / "zk")
    server.start()
    try:
        cluster, port = _start_cluster(f"zk://{server.address}/midonet", tmp_path / "c")
        try:
            status, _ = _request(port, "POST", "/midonet-api/bridges", {"name": "before"})
            assert status == 201
            server.stop(kill=True)
            status, error = _request(port, "POST", "/midonet-api/bridges", {"name": "during"})
            assert status == 503
            assert isinstance(error, dict) and "not reachable" in str(error["message"])
            server.start()
            deadline = time.monotonic() + 60
            while True:
                status, _ = _request(port, "POST", "/midonet-api/bridges", {"name": "after"})
                if status == 201 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert status == 201
            status, bridges = _request(port, "GET", "/midonet-api/bridges")
            assert status == 200 and isinstance(bridges, list)
            assert sorted(b["name"] for b in bridges) == ["after", "before"]
        finally:
            assert _stop(cluster) == 0
    finally:
        server.stop()
