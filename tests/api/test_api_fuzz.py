"""Schema-driven fuzzing: schemathesis generates requests from the server's own OpenAPI
document (GET /midonet-api/openapi.json); no input may make the server answer 5xx
other than 503 (the NSDB or a READONLY system state, which are deliberate)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_harness import Running, start, stop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from midonet.model import Host, HostInterface


@pytest.fixture(scope="module")
def fuzz_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start(Path(tmp_path_factory.mktemp("fuzz")))
    running.store.create(Host(name="h", interfaces=(HostInterface(name="eth0"),)))
    client = running.client
    router = client.create("/routers", {"name": "r"})
    client.create(
        router["ports"],
        {"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24},
    )
    bridge = client.create("/bridges", {"name": "b"})
    client.create(bridge["ports"], {})
    chain = client.create("/chains", {"name": "c"})
    client.create(chain["rules"], {"type": "accept"})
    client.create("/tunnel_zones", {"name": "tz", "type": "vxlan"})
    client.create("/port_groups", {"name": "pg"})
    client.create("/ip_addr_groups", {"name": "ipg"})
    lb = client.create("/load_balancers", {})
    pool = client.create(lb["pools"], {"lbMethod": "ROUND_ROBIN"})
    client.create(pool["poolMembers"], {"address": "10.0.0.5", "protocolPort": 80})
    client.create(pool["vips"], {"address": "10.0.0.6", "protocolPort": 80})
    client.create("/health_monitors", {"delay": 1, "timeout": 1, "maxRetries": 1})
    client.create("/qos_policies", {"name": "q"})
    client.create("/traces", {"name": "t", "deviceType": "ROUTER", "deviceId": router["id"]})
    yield running
    stop(running)


@pytest.fixture(scope="module")
def api_schema(fuzz_cluster: Running) -> schemathesis.BaseSchema:
    document = fuzz_cluster.client.get("/openapi.json").body
    return schemathesis.openapi.from_dict(document)


def test_openapi_document_lists_every_route(fuzz_cluster: Running) -> None:
    document = fuzz_cluster.client.get("/openapi.json").body
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert set(paths["/routers"]) == {"get", "post"}
    assert set(paths["/routers/{id}"]) == {"get", "put", "delete"}
    schema = paths["/routers"]["post"]["requestBody"]["content"][
        "application/vnd.org.midonet.Router-v3+json"
    ]["schema"]
    assert schema["properties"]["adminStateUp"] == {"type": "boolean"}
    assert "/ports/{id}/link" in paths and "/system_state" in paths


SEEDED = (
    "routers",
    "bridges",
    "ports",
    "chains",
    "hosts",
    "tunnel_zones",
    "port_groups",
    "ip_addr_groups",
    "load_balancers",
    "pools",
    "pool_members",
    "vips",
    "health_monitors",
    "qos_policies",
    "traces",
)


def _known_id(path: str, known: dict[str, str]) -> dict[str, str] | None:
    collection = path.strip("/").split("/")[0]
    if "{id}" in path and collection in known:
        return {"id": known[collection]}
    return None


@pytest.mark.slow
def test_no_input_makes_a_server_error(
    fuzz_cluster: Running, api_schema: schemathesis.BaseSchema
) -> None:
    base = f"http://127.0.0.1:{fuzz_cluster.server.port}/midonet-api"
    known = {name: fuzz_cluster.client.get(f"/{name}").body[0]["id"] for name in SEEDED}
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # keep the seeds long
    assert len(operations) > 80
    for operation in operations:
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        fixed = _known_id(operation.path, known)
        if fixed is not None:
            strategies.append(operation.as_strategy(path_parameters=fixed))
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed))

        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: schemathesis.Case) -> None:
            if case.path == "/system_state" and case.method == "PUT":
                case.body = {"availability": "READWRITE"}  # READONLY: later writes 503
            response = case.call(base_url=base)
            status = response.status_code
            if status >= 500 and status != 503:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r}: {status}")
            elif status >= 400:
                body = response.json()
                if body.get("code") != status or not body.get("message"):
                    failures.append(f"{case.method} {case.formatted_path}: bad error {body}")

        run()
    assert failures == []
