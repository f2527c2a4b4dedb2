"""The root Application resource, media types, errors and the core devices."""

from __future__ import annotations

from api_harness import Client


def test_application_at_root_with_and_without_slash(client: Client) -> None:
    for path in ("/midonet-api", "/midonet-api/"):
        reply = client.get(path, body=None)
        assert reply.status == 200
        assert reply.content_type == "application/vnd.org.midonet.Application-v5+json"
        app = reply.body
        base = f"http://127.0.0.1:{client.port}/midonet-api"
        assert app["uri"] == base + "/"
        assert app["version"] == "v5.0"
        assert app["routers"] == base + "/routers"
        assert app["routerTemplate"] == base + "/routers/{id}"
        assert app["ruleTemplate"] == base + "/rules/{id}"
        assert app["systemState"] == base + "/system_state"
        assert "bgpPeers" not in app and app["bgpPeerTemplate"].endswith("/bgp_peers/{id}")


def test_get_root_ignores_a_body(client: Client) -> None:
    reply = client.request("GET", "/midonet-api", raw=b"not json at all")
    assert reply.status == 200


def test_router_crud_with_links(client: Client) -> None:
    reply = client.post("/routers", {"name": "r1", "tenantId": "t1"})
    assert reply.status == 201
    assert reply.content_type == "application/vnd.org.midonet.Router-v3+json"
    uri = reply.headers["location"]
    router = client.get(uri).body
    assert router["name"] == "r1" and router["tenantId"] == "t1"
    assert router["adminStateUp"] is True
    assert router["uri"] == uri
    assert router["ports"] == uri + "/ports"
    assert router["peerPorts"] == uri + "/peer_ports"
    assert router["routes"] == uri + "/routes"
    assert router["inboundFilter"] is None
    listing = client.get("/routers")
    assert listing.content_type == "application/vnd.org.midonet.collection.Router-v3+json"
    assert [r["id"] for r in listing.body] == [router["id"]]
    assert client.put(uri, {**router, "name": "r2"}).status == 204
    assert client.get(uri).body["name"] == "r2"
    assert client.delete(uri).status == 204
    assert client.get(uri).status == 404


def test_router_port_creates_routes(client: Client) -> None:
    router = client.create("/routers", {"name": "r"})
    port = client.create(
        router["ports"],
        {
            "type": "Router",
            "portAddress": "10.0.0.1",
            "networkAddress": "10.0.0.0",
            "networkLength": 24,
        },
    )
    assert port["type"] == "Router"
    assert port["deviceId"] == router["id"]
    assert port["portMac"].startswith("ac:ca:ba")
    assert "vlanId" not in port
    routes = client.get(router["routes"]).body
    kinds = sorted((r["type"], r["dstNetworkAddr"], r["dstNetworkLength"]) for r in routes)
    assert kinds == [("Local", "10.0.0.1", 32), ("Normal", "10.0.0.0", 24)]
    assert all(r["nextHopPort"] == port["id"] for r in routes)
    assert all(r["routerId"] == router["id"] for r in routes)


def test_tenant_filter(client: Client) -> None:
    client.create("/bridges", {"name": "a", "tenantId": "t1"})
    client.create("/bridges", {"name": "b", "tenantId": "t2"})
    names = [b["name"] for b in client.get("/bridges?tenant_id=t2").body]
    assert names == ["b"]


def test_plain_json_accepted_and_answered(client: Client) -> None:
    reply = client.post(
        "/bridges",
        {"name": "b"},
        headers={"Content-Type": "application/vnd.org.midonet.Bridge-v4+json"},
    )
    assert reply.status == 201
    reply = client.get("/bridges", headers={"Accept": "application/json"})
    assert reply.content_type == "application/json"
