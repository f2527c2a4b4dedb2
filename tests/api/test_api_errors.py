"""Bad input gets MidoNet's error body with the right status, never a 500."""

from __future__ import annotations

import uuid

import pytest
from api_harness import Client

ERROR = "application/vnd.org.midonet.Error-v1+json"


def _error(reply, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert reply.status == status, (reply.status, reply.raw)
    assert reply.content_type == ERROR
    body = reply.body
    assert body["code"] == status and body["message"]
    return body  # type: ignore[no-any-return]


def test_malformed_json(client: Client) -> None:
    body = _error(client.post("/routers", raw=b"{not json"), 400)
    assert "Malformed JSON" in body["message"]


@pytest.mark.parametrize("raw", [b"[]", b"42", b'"x"', b"null", b""])
def test_body_must_be_an_object(client: Client, raw: bytes) -> None:
    _error(client.post("/bridges", raw=raw), 400)


def test_wrong_types_name_each_field(client: Client) -> None:
    body = _error(client.post("/routers", {"name": 5, "adminStateUp": "yes"}), 400)
    props = {v["property"] for v in body["violations"]}
    assert props == {"name", "adminStateUp"}


def test_unknown_enum_value(client: Client) -> None:
    chain = client.create("/chains", {"name": "c"})
    body = _error(client.post(chain["rules"], {"type": "explode"}), 400)
    assert body["violations"][0]["property"] == "type"
    assert "accept" in body["violations"][0]["message"]


def test_nested_violation_names_api_field(client: Client) -> None:
    chain = client.create("/chains", {"name": "c"})
    body = _error(
        client.post(chain["rules"], {"type": "accept", "tpDst": {"start": 90, "end": 80}}), 400
    )
    assert body["violations"][0]["property"].startswith("tpDst")


def test_not_found(client: Client) -> None:
    _error(client.get(f"/routers/{uuid.uuid4()}"), 404)
    _error(client.get("/routers/not-a-uuid"), 404)
    _error(client.get("/no_such_collection"), 404)
    _error(client.get("/elsewhere"), 404)


def test_method_not_allowed(client: Client) -> None:
    reply = client.request("PATCH", "/routers")
    _error(reply, 405)
    assert "GET" in reply.headers["allow"]
    _error(client.post("/ports", {}), 405)


def test_unsupported_media_type(client: Client) -> None:
    reply = client.post("/routers", {"name": "x"}, headers={"Content-Type": "text/plain"})
    _error(reply, 415)


def test_duplicate_id_conflicts(client: Client) -> None:
    router_id = str(uuid.uuid4())
    assert client.post("/routers", {"id": router_id}).status == 201
    _error(client.post("/routers", {"id": router_id}), 409)


def test_reference_that_cannot_be_honoured(client: Client) -> None:
    _error(client.post("/routers", {"inboundFilterId": str(uuid.uuid4())}), 409)


def test_route_next_hop_must_belong_to_router(client: Client) -> None:
    r1 = client.create("/routers", {})
    r2 = client.create("/routers", {})
    port = client.create(r2["ports"], {"type": "Router"})
    body = _error(
        client.post(
            r1["routes"],
            {
                "type": "Normal",
                "dstNetworkAddr": "10.0.0.0",
                "dstNetworkLength": 8,
                "nextHopPort": port["id"],
            },
        ),
        400,
    )
    assert body["violations"][0]["property"] == "nextHopPort"


def test_port_type_must_match_device(client: Client) -> None:
    bridge = client.create("/bridges", {})
    body = _error(client.post(bridge["ports"], {"type": "Router"}), 400)
    assert body["violations"][0]["property"] == "type"


def test_deeply_nested_json(client: Client) -> None:
    _error(client.post("/routers", raw=b"[" * 100_000 + b"]" * 100_000), 400)
    _error(client.post("/routers", raw=b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), 400)


def test_nested_objects_of_wrong_shape(client: Client) -> None:
    chain = client.create("/chains", {"name": "c"})
    for bad in (
        {"type": "dnat", "flowAction": "accept", "natTargets": "all"},
        {"type": "dnat", "flowAction": "accept", "natTargets": [5]},
        {"type": "accept", "tpSrc": [1, 2]},
        {"type": "accept", "dlSrcMask": "ffff"},
        {"type": "accept", "position": "first"},
        {"type": "accept", "inPorts": ["x"]},
    ):
        body = _error(client.post(chain["rules"], bad), 400)
        assert body["violations"], bad


def test_store_unavailable_is_503_and_logged(cluster, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from midonet.errors import StoreUnavailable

    client = cluster.client
    assert client.get("/routers").status == 200

    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(cluster.store, "list", down)
    body = _error(client.get("/routers"), 503)
    assert "NSDB" in body["message"]
    monkeypatch.undo()
    assert client.get("/routers").status == 200
    log = cluster.events.read_text()
    assert "Nsdb.DISCONNECT - DISCONNECT Disconnected from the NSDB cluster." in log
    assert log.count("Nsdb.CONNECT - CONNECT") == 2


def test_metrics_count_requests_and_name_the_backend(client: Client) -> None:
    assert client.get("/bridges").status == 200
    assert client.get(f"/bridges/{uuid.uuid4()}").status == 404
    reply = client.get(f"http://127.0.0.1:{client.port}/metrics")
    assert reply.status == 200 and reply.content_type == "text/plain"
    text = reply.raw.decode()
    assert 'midonet_api_requests_total{method="GET",status="200"}' in text
    assert 'midonet_api_requests_total{method="GET",status="404"} 1' in text
    assert 'midonet_nsdb_backend{backend="embedded"} 1' in text
    assert "# TYPE midonet_api_request_latency_seconds histogram" in text
