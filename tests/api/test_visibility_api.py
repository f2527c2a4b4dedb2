"""The API's visibility resources: packet traces answered by the cluster when no agent
can, live trace results, and the topology picture (SVG, DOT, web page)."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import uuid
from dataclasses import dataclass

import pytest
from api_harness import Client, Running

from midonet.agent.trace_requests import results_table
from midonet.model import Bridge, Chain, Host, Port, PortType, Router, Rule, RuleType, TraceRequest
from midonet.model.condition import Condition
from midonet.store.state import MacTable

VM2_MAC = "02:00:00:00:00:02"


@dataclass
class Tenant:
    bridge: Bridge
    router: Router
    vm1: Port
    vm2: Port
    vm3: Port
    host: Host


def tenant(cluster: Running) -> Tenant:
    """vm1, vm2 and vm3 on bridge `tenant` (vm1's filter drops DNS), the bridge
    peered with router `edge`; vm1 and vm2 bound to a host whose agent is down."""
    store = cluster.store
    host = Host(name="compute1")
    store.create(host)
    chain = Chain(name="no-dns")
    store.create(chain)
    store.create(
        Rule(chain_id=chain.id, type=RuleType.DROP, condition=Condition(nw_proto=17, tp_dst=None))
    )
    bridge = Bridge(name="tenant")
    router = Router(name="edge")
    store.create(bridge)
    store.create(router)
    vm1 = Port(
        type=PortType.BRIDGE,
        bridge_id=bridge.id,
        inbound_filter_id=chain.id,
        host_id=host.id,
        interface_name="tap-vm1",
    )
    vm2 = Port(type=PortType.BRIDGE, bridge_id=bridge.id, host_id=host.id, interface_name="tap-vm2")
    uplink = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    rport = Port(
        type=PortType.ROUTER,
        router_id=router.id,
        port_address=ipaddress.IPv4Address("10.0.0.1"),
        network_address=ipaddress.IPv4Address("10.0.0.0"),
        network_length=24,
        port_mac="02:00:00:00:00:01",
    )
    vm3 = Port(type=PortType.BRIDGE, bridge_id=bridge.id)
    for port in (vm1, vm2, vm3, uplink, rport):
        store.create(port)
    store.update(store.get(Port, uplink.id).obj.replace(peer_id=rport.id))
    MacTable(store.state, bridge.id).add(VM2_MAC, vm2.id)
    return Tenant(bridge, router, vm1, vm2, vm3, host)


def trace(client: Client, port: Port, **packet: object) -> dict[str, object]:
    reply = client.post("/packet_traces", {"portId": str(port.id), "packet": packet})
    assert reply.status == 200, reply.body
    assert reply.content_type == "application/vnd.org.midonet.PacketTrace-v1+json"
    return reply.body  # type: ignore[no-any-return]


def test_with_no_live_agent_the_cluster_traces_and_says_why(cluster: Running) -> None:
    t = tenant(cluster)
    report = trace(
        cluster.client, t.vm1, ipSrc="10.0.0.5", ipDst="10.0.0.6", proto="icmp", ethDst=VM2_MAC
    )
    assert report["outcome"] == "FORWARD"
    assert [o["portId"] for o in report["outputs"]] == [str(t.vm2.id)]  # type: ignore[index]
    assert f"the agent of host {t.host.id} is not alive" in str(report["tracedBy"])
    assert "conntrack assumed new" in str(report["tracedBy"])
    dropped = trace(
        cluster.client, t.vm1, ipSrc="10.0.0.5", ipDst="10.0.0.6", proto="udp", dstPort=53
    )
    assert dropped["outcome"] == "DROP" and dropped["dropReason"] == "FILTERED"


def test_an_unbound_port_is_traced_by_the_cluster_to_the_router(cluster: Running) -> None:
    t = tenant(cluster)
    report = trace(cluster.client, t.vm3, ipSrc="10.0.0.7", ipDst="10.0.0.1", proto="icmp")
    assert "the port is not bound to a host" in str(report["tracedBy"])
    events = [s["event"] for s in report["steps"]]  # type: ignore[attr-defined]
    assert "router" in events  # the gateway MAC was filled in: the bridge sent it on
    assert report["outcome"] == "CONSUMED"  # the router answers a ping to itself


def test_bad_trace_requests_are_named(cluster: Running) -> None:
    t = tenant(cluster)
    client = cluster.client
    reply = client.post("/packet_traces", {"portId": "nope", "packet": {}})
    assert reply.status == 400 and "portId" in reply.body["message"]
    reply = client.post(
        "/packet_traces",
        {"portId": str(uuid.uuid4()), "packet": {"ipSrc": "1.1.1.1", "ipDst": "2.2.2.2"}},
    )
    assert reply.status == 404 and "Port" in reply.body["message"]
    reply = client.post(
        "/packet_traces",
        {
            "portId": str(t.vm1.id),
            "packet": {"ipSrc": "1.1.1.1", "ipDst": "2.2.2.2"},
            "ct": "maybe",
        },
    )
    assert reply.status == 400 and "ct must be" in reply.body["message"]
    reply = client.post(
        "/packet_traces",
        {"portId": str(t.vm1.id), "packet": {"ipSrc": "1.1.1.1", "dstPort": 70000}},
    )
    assert reply.status == 400
    assert "ipDst" in reply.body["message"] and "dstPort" in reply.body["message"]
    reply = client.post("/packet_traces", raw=b"{not json")
    assert reply.status == 400


def test_trace_request_results_are_listed_and_cleared(cluster: Running) -> None:
    t = tenant(cluster)
    request = TraceRequest(name="watch-vm1", port_id=t.vm1.id, enabled=True)
    cluster.store.create(request)
    table = results_table(request.id)
    cluster.store.state.put(table, "host-a/000000000002", {"outcome": "DROP"})
    cluster.store.state.put(table, "host-a/000000000001", {"outcome": "FORWARD"})
    reply = cluster.client.get(f"/traces/{request.id}/results")
    assert reply.status == 200
    assert [r["outcome"] for r in reply.body] == ["FORWARD", "DROP"]
    assert cluster.client.delete(f"/traces/{request.id}/results").status == 204
    assert cluster.client.get(f"/traces/{request.id}/results").body == []
    assert cluster.client.get(f"/traces/{uuid.uuid4()}/results").status == 404


def test_the_topology_as_dot_and_svg(cluster: Running) -> None:
    t = tenant(cluster)
    dot = cluster.client.get("/topology?format=dot")
    assert dot.status == 200 and dot.content_type == "text/vnd.graphviz"
    text = dot.raw.decode()
    assert "router\\nedge" in text and "bridge\\ntenant" in text and "host\\ncompute1" in text
    assert f'"{t.vm1.id}" -> "{t.host.id}" [style=dashed, label="tap-vm1"]' in text
    assert "10.0.0.1/24" in text  # the router end of the bridge-router link
    svg = cluster.client.get("/topology")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    tooltip = str(t.router.id).replace("-", "&#45;").encode()  # Graphviz escapes dashes
    assert b"<svg" in svg.raw and b"edge" in svg.raw and tooltip in svg.raw
    assert cluster.client.get("/topology?format=png").status == 400


def test_the_topology_page_is_html_with_the_svg_inline(cluster: Running) -> None:
    tenant(cluster)
    reply = cluster.client.get("/topology/view")
    assert reply.status == 200 and reply.content_type == "text/html"
    body = reply.raw.decode()
    assert body.startswith("<!DOCTYPE html>") and "<svg" in body and "<?xml" not in body
    assert cluster.client.get("/topology/view?refresh=soon").status == 400


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_a_headless_browser_renders_the_topology_page(cluster: Running, tmp_path: object) -> None:
    tenant(cluster)
    url = f"http://127.0.0.1:{cluster.client.port}/midonet-api/topology/view"
    profile = f"{tmp_path}/chromium-profile"
    done = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # The browser parsed the page and built the SVG: its nodes are in the live DOM.
    assert '<div id="topology"><svg' in dom
    assert "edge" in dom and "tenant" in dom and "compute1" in dom
    assert dom.count('class="node"') >= 5  # router, bridge, host, two exterior ports
