"""The remaining resource families: hosts, tunnel zones, groups, tables, load
balancing, mirrors, BGP, QoS, traces."""

from __future__ import annotations

import uuid

from api_harness import Client, Running

from midonet.model import Host, HostInterface


def add_host(cluster: Running, name: str = "h1") -> Host:
    host = Host(
        name=name,
        interfaces=(
            HostInterface(name="eth0", mac="02:00:00:00:00:01", mtu=1500, up=True, has_link=True),
        ),
    )
    cluster.store.create(host)
    return host


def test_hosts_interfaces_and_bindings(cluster: Running) -> None:
    client = cluster.client
    host = add_host(cluster)
    got = client.get(f"/hosts/{host.id}").body
    assert got["name"] == "h1" and got["alive"] is False
    assert got["floodingProxyWeight"] == 1 and got["containerLimit"] == -1
    assert got["hostInterfaces"][0]["status"] == 3
    interfaces = client.get(got["interfaces"]).body
    assert interfaces[0]["name"] == "eth0" and interfaces[0]["mtu"] == 1500
    assert client.get(got["interfaces"] + "/eth0").body["mac"] == "02:00:00:00:00:01"
    update = {"floodingProxyWeight": 7, "containerWeight": 3, "containerLimit": 5}
    assert client.put(got["uri"], update).status == 204
    after = client.get(got["uri"]).body
    assert (after["floodingProxyWeight"], after["containerWeight"], after["containerLimit"]) == (
        7,
        3,
        5,
    )
    assert client.put(got["uri"], {"floodingProxyWeight": -1}).status == 400
    bridge = client.create("/bridges", {})
    port = client.create(bridge["ports"], {})
    bound = client.post(got["ports"], {"portId": port["id"], "interfaceName": "eth0"})
    assert bound.status == 201
    assert bound.body["hostId"] == str(host.id)
    assert client.get(port["uri"]).body["hostId"] == str(host.id)
    assert client.get(port["uri"]).body["interfaceName"] == "eth0"
    assert [b["portId"] for b in client.get(got["ports"]).body] == [port["id"]]
    assert client.delete(f"{got['uri']}").status == 409  # ports still bound
    assert client.delete(bound.headers["location"]).status == 204
    assert client.get(port["uri"]).body["hostId"] is None
    log = cluster.events.read_text()
    assert f"Port.BIND - BIND portId={port['id']}, data=" in log
    assert f"Port.UNBIND - UNBIND portId={port['id']}." in log
    assert client.delete(got["uri"]).status == 204
    assert client.post("/hosts", {}).status == 405


def test_tunnel_zone_members(cluster: Running) -> None:
    client = cluster.client
    host = add_host(cluster)
    tz = client.create("/tunnel_zones", {"name": "tz", "type": "vxlan"})
    assert tz["type"] == "vxlan"
    member = client.post(tz["hosts"], {"hostId": str(host.id), "ipAddress": "10.1.1.1"})
    assert member.status == 201
    assert member.body["ipAddress"] == "10.1.1.1"
    assert client.get(tz["hosts"]).body[0]["hostId"] == str(host.id)
    assert client.post(tz["hosts"], {"hostId": str(host.id), "ipAddress": "10.1.1.1"}).status == 409
    assert (
        client.post(tz["hosts"], {"hostId": str(uuid.uuid4()), "ipAddress": "1.1.1.1"}).status
        == 409
    )
    assert client.put(tz["uri"], {"name": "tz2"}).status == 204
    assert client.get(tz["uri"]).body["hostIds"] == [str(host.id)]
    assert client.delete(member.headers["location"]).status == 204
    assert client.get(tz["hosts"]).body == []
    assert client.post("/tunnel_zones", {"name": "x", "type": "carrier-pigeon"}).status == 400
    log = cluster.events.read_text()
    assert "TunnelZone.MEMBER_CREATE - MEMBER_CREATE tunnelZoneId=" in log
    assert "TunnelZone.MEMBER_DELETE - MEMBER_DELETE tunnelZoneId=" in log


def test_port_groups(client: Client) -> None:
    pg = client.create("/port_groups", {"name": "pg", "stateful": True})
    assert pg["stateful"] is True
    bridge = client.create("/bridges", {})
    port = client.create(bridge["ports"], {})
    added = client.post(pg["ports"], {"portId": port["id"]})
    assert added.status == 201
    assert [m["portId"] for m in client.get(pg["ports"]).body] == [port["id"]]
    assert [m["portGroupId"] for m in client.get(port["portGroups"]).body] == [pg["id"]]
    assert client.delete(added.headers["location"]).status == 204
    assert client.get(pg["ports"]).body == []


def test_ip_addr_groups(client: Client) -> None:
    group = client.create("/ip_addr_groups", {"name": "g"})
    a4 = client.post(group["addrs"], {"addr": "10.0.0.1"})
    a6 = client.post(group["addrs"], {"addr": "fe80::1"})
    assert a4.status == 201 and a6.status == 201
    assert a4.body["version"] == 4 and a6.body["version"] == 6
    assert sorted(a["addr"] for a in client.get(group["addrs"]).body) == ["10.0.0.1", "fe80::1"]
    assert client.get(a6.headers["location"]).status == 200
    assert client.delete(a4.headers["location"]).status == 204
    assert [a["addr"] for a in client.get(group["addrs"]).body] == ["fe80::1"]
    assert client.post(group["addrs"], {"addr": "nope"}).status == 400
    assert client.post("/ip_addr_groups", {}).status == 400  # name is required


def test_mac_and_arp_tables(client: Client) -> None:
    bridge = client.create("/bridges", {})
    port = client.create(bridge["ports"], {})
    entry = client.post(bridge["macTable"], {"macAddr": "02:aa:bb:cc:dd:ee", "portId": port["id"]})
    assert entry.status == 201
    assert entry.headers["location"].endswith(f"/mac_table/02-aa-bb-cc-dd-ee_{port['id']}")
    assert client.get(bridge["macTable"]).body[0]["portId"] == port["id"]
    vlan = client.post(
        bridge["uri"] + "/vlans/5/mac_table", {"macAddr": "02:00:00:00:00:05", "portId": port["id"]}
    )
    assert vlan.body["vlanId"] == 5
    assert client.get(bridge["uri"] + "/vlans/5/mac_table").body[0]["macAddr"] == (
        "02:00:00:00:00:05"
    )
    assert client.delete(entry.headers["location"]).status == 204
    assert client.get(entry.headers["location"]).status == 404
    assert client.post(bridge["macTable"], {"macAddr": "zz", "portId": port["id"]}).status == 400
    arp = client.post(bridge["arpTable"], {"ip": "10.0.0.9", "mac": "02:00:00:00:00:09"})
    assert arp.status == 201
    assert client.get(bridge["arpTable"]).body == [arp.body]
    assert client.delete(arp.headers["location"]).status == 204


def test_load_balancing(cluster: Running) -> None:
    client = cluster.client
    lb = client.create("/load_balancers", {"adminStateUp": True})
    monitor = client.create(
        "/health_monitors", {"type": "TCP", "delay": 5, "timeout": 3, "maxRetries": 2}
    )
    pool = client.create(lb["pools"], {"lbMethod": "ROUND_ROBIN", "healthMonitorId": monitor["id"]})
    assert pool["loadBalancerId"] == lb["id"] and pool["protocol"] == "TCP"
    assert pool["mappingStatus"] == "PENDING_CREATE"
    assert client.put(pool["uri"], pool).status == 204
    assert client.get(pool["uri"]).body["mappingStatus"] == "ACTIVE"
    member = client.create(pool["poolMembers"], {"address": "10.0.0.5", "protocolPort": 80})
    assert member["weight"] == 1 and member["poolId"] == pool["id"]
    assert (
        client.post(
            "/pool_members",
            {"poolId": pool["id"], "address": "10.0.0.6", "protocolPort": 80, "weight": 0},
        ).status
        == 400
    )
    vip = client.create(
        pool["vips"],
        {"address": "200.0.0.1", "protocolPort": 80, "sessionPersistence": "SOURCE_IP"},
    )
    assert vip["loadBalancerId"] == lb["id"]
    assert [v["id"] for v in client.get(lb["vips"]).body] == [vip["id"]]
    assert [p["id"] for p in client.get(monitor["pools"]).body] == [pool["id"]]
    assert client.put(member["uri"], {"weight": 5}).status == 204
    assert client.delete(lb["uri"]).status == 204
    assert client.get(vip["uri"]).status == 404
    log = cluster.events.read_text()
    for device, name in (
        ("LoadBalancer", "loadBalancerId"),
        ("Pool", "poolId"),
        ("PoolMember", "poolMemberId"),
        ("VIP", "vipId"),
        ("HealthMonitor", "healthMonitorId"),
    ):
        assert f"org.midonet.event.topology.{device}.CREATE - CREATE {name}=" in log


def test_mirrors(client: Client) -> None:
    bridge = client.create("/bridges", {})
    port = client.create(bridge["ports"], {})
    mirror = client.create(
        "/mirrors",
        {
            "toPortId": port["id"],
            "conditions": [
                {"nwProto": 6, "tpDst": {"start": 22, "end": 22}, "inPorts": [port["id"]]}
            ],
        },
    )
    assert mirror["conditions"][0]["tpDst"] == {"start": 22, "end": 22}
    assert mirror["conditions"][0]["inPorts"] == [port["id"]]
    bridge["inboundMirrorIds"] = [mirror["id"]]
    assert client.put(bridge["uri"], bridge).status == 204
    assert client.get(mirror["uri"]).body["networkInboundIds"] == [bridge["id"]]
    assert client.post("/mirrors", {}).status == 400


def test_bgp(cluster: Running) -> None:
    client = cluster.client
    router = client.create("/routers", {"asNumber": 65000})
    assert router["asNumber"] == 65000
    peer = client.create(
        router["bgpPeers"],
        {"asNumber": 65001, "address": "10.0.0.2", "keepAlive": 10, "holdTime": 30},
    )
    assert peer["routerId"] == router["id"] and peer["router"] == router["uri"]
    network = client.create(
        router["bgpNetworks"], {"subnetAddress": "192.168.0.0", "subnetLength": 24}
    )
    assert network["subnetLength"] == 24
    assert client.put(peer["uri"], {"holdTime": 60}).status == 204
    assert client.post(router["bgpPeers"], {"asNumber": 0, "address": "10.0.0.3"}).status == 400
    assert client.delete(network["uri"]).status == 204
    assert "org.midonet.event.topology.Bgp.CREATE - CREATE bgpId=" in cluster.events.read_text()


def test_qos(client: Client) -> None:
    policy = client.create("/qos_policies", {"name": "q", "tenant_id": "t"})
    assert policy["tenant_id"] == "t"
    bw = client.create(policy["bwLimitRules"], {"maxKbps": 1000, "maxBurstKb": 100})
    assert bw["policyId"] == policy["id"] and bw["maxBurstKb"] == 100
    dscp = client.create(policy["dscpRules"], {"dscpMark": 11})
    assert client.post(policy["dscpRules"], {"dscpMark": 64}).status == 400
    assert [r["id"] for r in client.get(policy["dscpRules"]).body] == [dscp["id"]]
    assert client.delete(policy["uri"]).status == 204
    assert client.get(bw["uri"]).status == 404


def test_traces(client: Client) -> None:
    bridge = client.create("/bridges", {})
    trace = client.create(
        "/traces",
        {
            "name": "t",
            "deviceType": "BRIDGE",
            "deviceId": bridge["id"],
            "limit": 10,
            "condition": {"nwProto": 1},
        },
    )
    assert trace["deviceType"] == "BRIDGE" and trace["deviceId"] == bridge["id"]
    assert trace["condition"]["nwProto"] == 1 and trace["enabled"] is False
    assert client.put(trace["uri"], {"enabled": True}).status == 204
    assert client.get(trace["uri"]).body["enabled"] is True
    assert (
        client.post(
            "/traces", {"name": "t", "deviceType": "TOASTER", "deviceId": bridge["id"]}
        ).status
        == 400
    )
    assert client.delete(bridge["uri"]).status == 204
    assert client.get(trace["uri"]).status == 404
