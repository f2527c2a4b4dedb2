"""An operator's view of a running agent: mm-meter, mm-trace (cookie: lines in the
log), traces through the control endpoint, Prometheus metrics (needs root)."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from agentlab import RunningAgent
from netlab import Guest, NetLab, root_and_tools, wait_for

from midonet.agent.trace_requests import results_table
from midonet.cluster.auth import MockAuthService
from midonet.cluster.events import EventLog
from midonet.cluster.rest_api import Api, ApiServer
from midonet.model import Bridge, Chain, Port, Rule, RuleType, TraceRequest
from midonet.model.condition import Condition
from midonet.tools import mm_meter, mm_trace
from midonet.tools.control_client import ControlClient, ControlUnreachable

MISSING = root_and_tools()
pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]


def metered_bridge(agent: RunningAgent, lab: NetLab) -> tuple[Guest, Guest, Bridge, Port, Port]:
    """Two guests on a bridge; the first port's inbound filter feeds meter `web`."""
    a = lab.guest("a", "10.93.0.1/24")
    b = lab.guest("b", "10.93.0.2/24")
    chain = Chain(name="count")
    agent.store.create(chain)
    agent.store.create(Rule(chain_id=chain.id, type=RuleType.ACCEPT, meter_name="web"))
    bridge = Bridge(name="br")
    agent.store.create(bridge)
    pa = agent.exterior(bridge, a.outer, inbound_filter_id=chain.id)
    pb = agent.exterior(bridge, b.outer)
    agent.wait_active(pa, pb)
    return a, b, bridge, pa, pb


def control(agent: RunningAgent) -> list[str]:
    assert agent.agent.control_url is not None
    url = urllib.parse.urlsplit(agent.agent.control_url)
    return ["-h", str(url.hostname), "-p", str(url.port)]


def tool(module: object, agent: RunningAgent, *args: str) -> list[str]:
    lines: list[str] = []
    run = module.run
    assert run([*control(agent), *args], out=lines.append) == 0
    return lines


def test_mm_meter_lists_and_reads_device_port_and_user_meters(
    agent: RunningAgent, lab: NetLab
) -> None:
    a, b, bridge, pa, pb = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=3)
    names = tool(mm_meter, agent, "list")
    for wanted in (
        "meters:user:web",
        f"meters:device:{bridge.id}",
        f"meters:port:rx:{pa.id}",
        f"meters:port:tx:{pb.id}",
        f"meters:device:{pa.id}",
    ):
        assert wanted in names, (wanted, names)
    header, values = tool(mm_meter, agent, "get", "-n", "meters:user:web")
    assert header.split() == ["packets", "bytes"]
    packets, size = (int(v) for v in values.split())
    assert packets >= 3 and size >= 3 * 98  # three echo requests, flows counted too

    # With a delay: the first line is the total, then what each interval added.
    lines: list[str] = []
    argv = [*control(agent), "get", "-n", "meters:user:web", "0.1", "2"]
    assert mm_meter.run(argv, out=lines.append, sleep=lambda _: a.ping(b.ip, count=1)) == 0
    deltas = [int(line.split()[0]) for line in lines[2:]]
    assert len(deltas) == 2 and all(d >= 1 for d in deltas), lines


def test_mm_meter_names_an_unknown_meter_and_an_absent_agent(agent: RunningAgent) -> None:
    with pytest.raises(ControlUnreachable, match="no meter named 'meters:user:nope'"):
        mm_meter.run([*control(agent), "get", "-n", "meters:user:nope"], out=lambda _: None)
    with pytest.raises(ControlUnreachable, match="cannot reach the agent"):
        mm_meter.run(["-h", "127.0.0.1", "-p", "1", "list"], out=lambda _: None)


def test_mm_trace_logs_matching_packets_with_cookies_until_the_limit(
    agent: RunningAgent, lab: NetLab, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, _, _, _ = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=1)  # flows installed before the tracer
    assert tool(mm_trace, agent, "list") == []
    tool(mm_trace, agent, "add", "--debug", "--ip-dst", b.ip, "--limit", "2")
    tool(mm_trace, agent, "add", "--trace", "--ip-src", "192.0.2.1", "--dst-port", "80")
    assert tool(mm_trace, agent, "list") == [
        f"tracer: --debug --ip-dst {b.ip} --limit 2",
        "tracer: --trace --ip-src 192.0.2.1 --dst-port 80",
    ]
    caplog.set_level(logging.CRITICAL)  # traces are logged whatever the level says
    assert a.ping(b.ip, count=3)
    assert wait_for(lambda: agent.agent.pipeline.stats.traced == 2)
    traced = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cookie:")]
    cookies = {line.split()[0] for line in traced}
    assert cookies == {"cookie:0x1", "cookie:0x2"}, cookies
    assert any("rule matched" in line for line in traced)
    assert any(f"FORWARD to br:{b.outer}" in line for line in traced)
    # The spent tracer is dead: listed, but not among the live ones.
    assert tool(mm_trace, agent, "list", "--live-only") == [
        "tracer: --trace --ip-src 192.0.2.1 --dst-port 80"
    ]
    assert tool(
        mm_trace, agent, "remove", "--trace", "--ip-src", "192.0.2.1", "--dst-port", "80"
    ) == ["Removed 1 tracer(s)"]
    assert tool(mm_trace, agent, "flush", "--dead-only") == ["Removed 1 tracer(s)"]
    assert tool(mm_trace, agent, "flush") == ["Removed 0 tracer(s)"]


def test_a_bad_tracer_option_is_named(agent: RunningAgent) -> None:
    with pytest.raises(ControlUnreachable, match=r"ip-dst.*not an IPv4 address"):
        mm_trace.run([*control(agent), "add", "--ip-dst", "10.0.0.999"], out=lambda _: None)


def test_trace_through_the_endpoint_uses_the_live_state(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _, pa, pb = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=1)  # the bridge learns b's MAC
    client = ControlClient(*_host_port(agent))
    flows_before = len(agent.agent.pipeline.flows)
    report = client.call(
        "POST",
        "/trace",
        {
            "portId": str(pa.id),
            "packet": {"ipSrc": a.ip, "ipDst": b.ip, "proto": "icmp", "ethDst": b.mac},
        },
    )
    assert report["outcome"] == "FORWARD"
    assert [o["portId"] for o in report["outputs"]] == [str(pb.id)]
    assert report["tracedBy"].startswith(f"agent {agent.host_id}")
    assert any(s["event"] == "mac lookup" and s["portId"] == str(pb.id) for s in report["steps"])
    assert len(agent.agent.pipeline.flows) == flows_before  # nothing installed
    with pytest.raises(ControlUnreachable, match="ipDst"):
        client.call("POST", "/trace", {"portId": str(pa.id), "packet": {"ipSrc": a.ip}})


def test_metrics_are_prometheus_text(agent: RunningAgent, lab: NetLab) -> None:
    a, b, _, _, _ = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=2)
    text = ControlClient(*_host_port(agent)).call("GET", "/metrics")
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["midolman_datapath_flows_created_total"] >= 1
    assert values["midolman_simulation_latency_seconds_count"] >= 1
    assert values["midolman_packets_processed_total"] >= 4
    assert values['midolman_virtual_topology_devices{kind="Bridge"}'] == 1
    assert "# TYPE midolman_simulation_latency_seconds histogram" in text


def _host_port(agent: RunningAgent) -> tuple[str, int]:
    url = urllib.parse.urlsplit(agent.agent.control_url or "")
    return str(url.hostname), int(url.port or 0)


def test_an_enabled_trace_request_records_matching_packets_in_the_nsdb(
    agent: RunningAgent, lab: NetLab
) -> None:
    a, b, _, pa, _ = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=1)  # a flow is installed; enabling the request must drop it
    request = TraceRequest(
        name="pings-to-b",
        port_id=pa.id,
        condition=Condition(
            nw_dst_address=ipaddress.IPv4Address(b.ip), nw_dst_length=32, nw_proto=1
        ),
        limit=2,
        enabled=True,
    )
    agent.store.create(request)
    assert wait_for(
        lambda: (
            agent.agent.pipeline.trace_requests is not None
            and agent.agent.pipeline.trace_requests.active
        )
    )
    assert a.ping(b.ip, count=4)
    table = results_table(request.id)
    assert wait_for(lambda: len(agent.store.state.entries(table)) == 2)
    results = [e.value for e in agent.store.state.entries(table).values()]
    assert all(r["hostId"] == str(agent.host_id) for r in results)  # type: ignore[index]
    assert all(r["outcome"] == "FORWARD" for r in results)  # type: ignore[index]
    assert all(str(r["packet"]).startswith(f"icmp {a.ip} > {b.ip}") for r in results)  # type: ignore[index]
    time.sleep(0.5)
    assert len(agent.store.state.entries(table)) == 2  # the limit holds
    agent.store.delete(TraceRequest, request.id)
    assert wait_for(lambda: not agent.store.state.entries(table))  # results go with it


def test_the_cluster_forwards_a_trace_to_the_agent_that_owns_the_port(
    agent: RunningAgent, lab: NetLab, tmp_path: Path
) -> None:
    a, b, _, pa, pb = metered_bridge(agent, lab)
    assert a.ping(b.ip, count=1)
    api = Api(agent.store, MockAuthService(), EventLog(tmp_path / "api.log"))
    server = ApiServer(api, "127.0.0.1", 0)
    server.start()
    try:
        body = {"portId": str(pa.id), "packet": {"ipSrc": a.ip, "ipDst": b.ip, "proto": "icmp"}}
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/midonet-api/packet_traces",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            report = json.loads(reply.read())
    finally:
        server.stop()
        api.events.close()
    assert report["tracedBy"].startswith(f"agent {agent.host_id}")
    # The agent's live state knows b's MAC: the trace goes straight to b's port, and
    # the made-up source MAC is the one the bridge learned on a's port.
    assert [o["portId"] for o in report["outputs"]] == [str(pb.id)]
