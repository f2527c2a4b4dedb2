"""Ports, links, routes, chains and rules over HTTP."""

from __future__ import annotations

from api_harness import Client, Running


def test_link_and_unlink_ports(cluster: Running) -> None:
    client = cluster.client
    router = client.create("/routers", {"name": "r"})
    bridge = client.create("/bridges", {"name": "b"})
    rp = client.create(
        router["ports"],
        {
            "type": "Router",
            "portAddress": "10.0.0.1",
            "networkAddress": "10.0.0.0",
            "networkLength": 24,
        },
    )
    bp = client.create(bridge["ports"], {"type": "Bridge"})
    reply = client.post(rp["link"], {"portId": rp["id"], "peerId": bp["id"]})
    assert reply.status == 201
    assert client.get(rp["uri"]).body["peerId"] == bp["id"]
    assert client.get(bp["uri"]).body["peerId"] == rp["id"]
    assert [p["id"] for p in client.get(router["peerPorts"]).body] == [bp["id"]]
    assert client.post(rp["link"], {"peerId": bp["id"]}).status == 409
    assert client.delete(rp["link"]).status == 204
    assert client.get(bp["uri"]).body["peerId"] is None
    events = cluster.events.read_text()
    assert "org.midonet.event.topology.Port.LINK - LINK portId=" + rp["id"] in events
    assert "org.midonet.event.topology.Port.UNLINK - UNLINK portId=" + rp["id"] in events


def test_rules_insert_at_positions(client: Client) -> None:
    chain = client.create("/chains", {"name": "c", "tenantId": "t"})
    first = client.create(chain["rules"], {"type": "accept"})
    assert first["position"] == 1
    last = client.create(chain["rules"], {"type": "drop", "position": 2})
    top = client.create(chain["rules"], {"type": "return"})  # MidoNet's default: the top
    middle = client.create(chain["rules"], {"type": "reject", "position": 3})
    order = [r["id"] for r in client.get(chain["rules"]).body]
    assert order == [top["id"], first["id"], middle["id"], last["id"]]
    assert [r["position"] for r in client.get(chain["rules"]).body] == [1, 2, 3, 4]
    assert client.post(chain["rules"], {"type": "accept", "position": 9}).status == 400
    assert client.delete(top["uri"]).status == 204
    assert client.get(first["uri"]).body["position"] == 1


def test_rule_fields_as_midonet_names_them(client: Client) -> None:
    chain = client.create("/chains", {"name": "c"})
    target = client.create("/chains", {"name": "t"})
    dnat = client.create(
        chain["rules"],
        {
            "type": "dnat",
            "flowAction": "accept",
            "nwDstAddress": "200.0.0.1",
            "nwDstLength": 32,
            "nwProto": 6,
            "tpDst": {"start": 80, "end": 80},
            "natTargets": [
                {
                    "addressFrom": "10.0.0.2",
                    "addressTo": "10.0.0.2",
                    "portFrom": 8080,
                    "portTo": 8080,
                }
            ],
            "dlSrcMask": "ffff.ffff.0000",
            "inPorts": [],
        },
    )
    assert dnat["type"] == "dnat" and dnat["flowAction"] == "accept"
    assert dnat["tpDst"] == {"start": 80, "end": 80}
    assert dnat["natTargets"][0] == {
        "addressFrom": "10.0.0.2",
        "addressTo": "10.0.0.2",
        "portFrom": 8080,
        "portTo": 8080,
    }
    assert dnat["fragmentPolicy"] == "unfragmented"
    assert dnat["dlSrcMask"] == "ffff.ffff.0000"
    assert dnat["chainId"] == chain["id"]
    jump = client.create(
        chain["rules"], {"type": "jump", "jumpChainId": target["id"], "position": 2}
    )
    assert jump["jumpChainId"] == target["id"]


def test_routes_create_list_delete(cluster: Running) -> None:
    client = cluster.client
    router = client.create("/routers", {})
    port = client.create(
        router["ports"],
        {"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24},
    )
    route = client.create(
        router["routes"],
        {
            "type": "Normal",
            "srcNetworkAddr": "0.0.0.0",
            "srcNetworkLength": 0,
            "dstNetworkAddr": "192.168.0.0",
            "dstNetworkLength": 16,
            "nextHopPort": port["id"],
            "nextHopGateway": "10.0.0.254",
            "weight": 100,
        },
    )
    assert route["routerId"] == router["id"] and route["weight"] == 100
    assert route["router"] == router["uri"]
    blackhole = client.create(
        router["routes"], {"type": "BlackHole", "dstNetworkAddr": "1.2.3.0", "dstNetworkLength": 24}
    )
    assert len(client.get(router["routes"]).body) == 4
    assert client.put(route["uri"], route).status == 405
    assert client.delete(blackhole["uri"]).status == 204
    log = cluster.events.read_text()
    assert f"Router.ROUTE_CREATE - ROUTE_CREATE routerId={router['id']}, data=" in log
    assert f"ROUTE_DELETE routerId={router['id']}, routeId={blackhole['id']}." in log


def test_deleting_router_removes_its_ports(client: Client) -> None:
    router = client.create("/routers", {})
    port = client.create(router["ports"], {})
    assert client.delete(router["uri"]).status == 204
    assert client.get(port["uri"]).status == 404


def test_bridge_port_fields(client: Client) -> None:
    bridge = client.create("/bridges", {"name": "b"})
    port = client.create(bridge["ports"], {"type": "Bridge", "vlanId": 10})
    assert port["vlanId"] == 10 and port["type"] == "Bridge"
    assert "portAddress" not in port
    assert port["device"] == bridge["uri"]
    assert port["active"] is False
    assert [p["id"] for p in client.get("/ports").body] == [port["id"]]


def test_router_port_subnets_as_midonet_writes_them(client: Client) -> None:
    router = client.create("/routers", {})
    port = client.create(router["ports"], {"portSubnet": ["10.1.0.1/24", "fd00::1/64"]})
    assert port["portAddress"] == "10.1.0.1"
    assert (port["networkAddress"], port["networkLength"]) == ("10.1.0.0", 24)
    assert port["portSubnet"] == ["10.1.0.1/24", "fd00::/64"]
    assert client.put(port["uri"], port).status == 204  # a read-back object round-trips
    moved = {**port, "portAddress": "10.2.0.1", "networkAddress": "10.2.0.0"}
    assert client.put(port["uri"], moved).status == 204
    after = client.get(port["uri"]).body
    assert after["portSubnet"] == ["10.1.0.1/24", "fd00::/64"]  # the subnets win, as in MidoNet
    old_style = {k: v for k, v in moved.items() if k != "portSubnet"}
    assert client.put(port["uri"], old_style).status == 204
    assert client.get(port["uri"]).body["portSubnet"] == ["10.2.0.1/24"]
    routes = {(r["type"], r["dstNetworkAddr"]) for r in client.get(router["routes"]).body}
    assert routes == {("Local", "10.2.0.1"), ("Normal", "10.2.0.0")}
    assert client.post(router["ports"], {"portSubnet": ["banana"]}).status == 400
