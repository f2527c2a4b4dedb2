"""Ports of routers and bridges, and routes."""

from __future__ import annotations

import ipaddress

from midonet.cli.objects import (
    JSON,
    Context,
    Field,
    Kind,
    plain,
    ref,
    register,
    split_cidr,
    state,
)
from midonet.cli.objects.misc import mirrors


def _addresses(v: str, c: Context) -> JSON:
    iface = ipaddress.ip_interface(v)
    net = iface.network
    return {
        "portAddress": str(iface.ip),
        "networkAddress": str(net.network_address),
        "networkLength": net.prefixlen,
    }


def _net(v: str, c: Context) -> JSON:
    ip, n = split_cidr(v)
    return {"networkAddress": ip, "networkLength": n}


def _show_addresses(o: JSON, c: Context) -> str | None:
    subnets = o.get("portSubnet") or []
    return " ".join(subnets) or None


def _script_address(o: JSON, c: Context) -> str | None:
    """One-shot mode also prints `address A net N/L` (older CLIs' words), which the
    guide's chapter 8 script greps for."""
    return o.get("portAddress") if c.scripting else None


def _script_net(o: JSON, c: Context) -> str | None:
    if not c.scripting or o.get("networkAddress") is None:
        return None
    return f"{o['networkAddress']}/{o['networkLength']}"


def _device(o: JSON, c: Context) -> str | None:
    kind = "router" if o.get("type") == "Router" else "bridge"
    return c.show_ref(kind, o.get("deviceId"))


register(
    Kind(
        "port",
        "portTemplate",
        (
            Field("device", None, _device),
            state(),
            plain("mac", "portMac"),
            Field("addresses", _addresses, _show_addresses),
            Field("address", lambda v, c: {"portAddress": v}, _script_address),
            Field("net", _net, _script_net),
            ref("peer", "peerId", "port"),
            ref("infilter", "inboundFilterId", "chain"),
            ref("outfilter", "outboundFilterId", "chain"),
            plain("vlan", "vlanId", int),
            mirrors("in-mirrors", "inboundMirrorIds"),
            mirrors("out-mirrors", "outboundMirrorIds"),
            ref("qos-policy", "qosPolicyId", "qos-policy"),
        ),
        top="ports",
        parent=("deviceId", "device"),
    )
)


def _prefix(addr: str, length: str) -> Field:
    word = "src" if addr.startswith("src") else "dst"

    def parse(v: str, c: Context) -> JSON:
        ip, n = split_cidr(v)
        return {addr: ip, length: n}

    def show(o: JSON, c: Context) -> str | None:
        n = o.get(length)
        return o.get(addr) if n == 32 else f"{o.get(addr)}/{n}"

    return Field(word, parse, show)


register(
    Kind(
        "route",
        "routeTemplate",
        (
            Field(
                "type",
                lambda v, c: {"type": v.capitalize()},
                lambda o, c: "normal" if o["type"] == "Local" else str(o["type"]).lower(),
            ),
            _prefix("srcNetworkAddr", "srcNetworkLength"),
            _prefix("dstNetworkAddr", "dstNetworkLength"),
            plain("gw", "nextHopGateway"),
            ref("port", "nextHopPort", "port"),
            plain("weight", "weight", int),
        ),
        parent=("routerId", "router"),
        defaults={
            "type": "Normal",
            "weight": 0,
            "srcNetworkAddr": "0.0.0.0",
            "srcNetworkLength": 0,
        },
    )
)
