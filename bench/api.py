"""REST API throughput: create and get of ports with 10,000 ports stored, beside a
bare standard-library HTTP server answering a constant JSON body.

    .venv/bin/python bench/api.py [--ports 10000] [--requests 2000] [--clients 1]

Cases, each over keep-alive HTTP/1.1 connections on 127.0.0.1 (`--clients` threads,
one connection each), the server in this same process:

  baseline     ThreadingHTTPServer answering GET with a constant ~600-byte JSON body
  GET port     GET /midonet-api/ports/{id} of random stored ports
  POST port    POST /midonet-api/bridges/{id}/ports (201 + Location), bridges cycling

The store is the embedded SQLite one in a temporary directory, filled through the
store API beforehand (100 bridges of 100 ports for the default 10,000). Rates are
requests per second; the ratio compares each with the baseline in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from midonet.cluster.auth import MockAuthService
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import Api, ApiServer
from midonet.model import Bridge, Port, PortType
from midonet.store import Create, EmbeddedStore

CONSTANT = json.dumps({"id": "0" * 36, "type": "Bridge", "padding": "x" * 520}).encode()


class _Constant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as the API server

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(CONSTANT)))
        self.end_headers()
        self.wfile.write(CONSTANT)

    def log_message(self, format: str, *args: object) -> None:
        return


Request = Callable[[http.client.HTTPConnection, int], None]


def rate(port: int, requests: int, clients: int, request: Request) -> float:
    per_client = requests // clients
    barrier = threading.Barrier(clients + 1)

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        for i in range(per_client):
            request(conn, i)
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return per_client * clients / (time.perf_counter() - start)


def expect(
    conn: http.client.HTTPConnection, method: str, path: str, status: int, body: bytes | None = None
) -> None:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    reply.read()
    if reply.status != status:
        raise SystemExit(f"{method} {path}: {reply.status}, expected {status}")


def fill(store: EmbeddedStore, ports: int) -> tuple[list[Bridge], list[Port]]:
    per_bridge = 100
    bridges = [Bridge(name=f"b{i}") for i in range(max(1, ports // per_bridge))]
    store.commit(Create(b) for b in bridges)
    made: list[Port] = []
    for n, bridge in enumerate(bridges):
        count = per_bridge if n < len(bridges) - 1 else ports - per_bridge * n
        batch = [Port(type=PortType.BRIDGE, bridge_id=bridge.id) for _ in range(count)]
        store.commit(Create(p) for p in batch)
        made.extend(batch)
    return bridges, made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ports", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=2_000)
    ap.add_argument("--clients", type=int, default=1)
    args = ap.parse_args()

    baseline_server = ThreadingHTTPServer(("127.0.0.1", 0), _Constant)
    baseline_server.daemon_threads = True
    threading.Thread(target=baseline_server.serve_forever, daemon=True).start()

    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "nsdb.db")
        started = time.perf_counter()
        bridges, ports = fill(store, args.ports)
        filled = time.perf_counter() - started
        server = ApiServer(Api(store, MockAuthService(), EventLog()), "127.0.0.1", 0)
        server.start()
        rng = random.Random(1)
        ids = [str(p.id) for p in ports]

        def baseline(conn: http.client.HTTPConnection, i: int) -> None:
            expect(conn, "GET", "/", 200)

        def get_port(conn: http.client.HTTPConnection, i: int) -> None:
            expect(conn, "GET", f"/midonet-api/ports/{rng.choice(ids)}", 200)

        def post_port(conn: http.client.HTTPConnection, i: int) -> None:
            bridge = bridges[i % len(bridges)]
            expect(
                conn, "POST", f"/midonet-api/bridges/{bridge.id}/ports", 201, b'{"type": "Bridge"}'
            )

        base_port = int(baseline_server.server_address[1])
        results = [
            ("baseline", rate(base_port, args.requests, args.clients, baseline)),
            ("GET port", rate(server.port, args.requests, args.clients, get_port)),
            ("POST port", rate(server.port, args.requests, args.clients, post_port)),
        ]
        server.stop()
        store.close()
    baseline_server.shutdown()
    baseline_server.server_close()
    print(
        f"{args.ports} ports stored (filled in {filled:.1f}s); {args.requests} requests, "
        f"{args.clients} client(s)"
    )
    base = results[0][1]
    for name, value in results:
        print(f"  {name:<10} {value:>9.0f} req/s   {value / base:6.3f}x baseline")


if __name__ == "__main__":
    main()
