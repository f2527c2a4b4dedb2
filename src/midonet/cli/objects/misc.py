"""BGP peers and networks, mirrors, QoS policies and their rules."""

from __future__ import annotations

from midonet.cli.objects import JSON, Context, Field, Kind, plain, ref, register, split_cidr


def _net(v: str, c: Context) -> JSON:
    ip, n = split_cidr(v)
    return {"subnetAddress": ip, "subnetLength": n}


def _show_net(o: JSON, c: Context) -> str | None:
    return f"{o['subnetAddress']}/{o['subnetLength']}"


def mirrors(word: str, key: str) -> Field:
    """`in-mirrors`/`out-mirrors`: comma-separated mirror aliases or UUIDs."""
    return Field(
        word,
        lambda v, c: {key: [c.ref("mirror", m) for m in v.split(",")]},
        lambda o, c: ",".join(c.show_ref("mirror", m) or m for m in o.get(key) or []) or None,
        (key,),
    )


register(
    Kind(
        "bgp-peer",
        "bgpPeerTemplate",
        (
            plain("asn", "asNumber", int),
            plain("address", "address"),
            plain("keep-alive", "keepAlive", int),
            plain("hold-time", "holdTime", int),
            plain("connect-retry", "connectRetry", int),
            Field("password", lambda v, c: {"password": v}, None, ("password",)),
        ),
        parent=("routerId", "router"),
        alias="peer",
    ),
    Kind(
        "bgp-network",
        "bgpNetworkTemplate",
        (Field("net", _net, _show_net),),
        parent=("routerId", "router"),
        alias="net",
    ),
    Kind(
        "mirror",
        "mirrorTemplate",
        (ref("to-port", "toPortId", "port"),),
        top="mirrors",
    ),
    Kind(
        "qos-policy",
        "qosPolicyTemplate",
        (
            plain("name", "name"),
            plain("description", "description"),
            plain("shared", "shared", lambda v: v.lower() == "true"),
        ),
        top="qosPolicies",
        children={"bw-limit-rule": "bwLimitRules", "dscp-rule": "dscpRules"},
    ),
    Kind(
        "bw-limit-rule",
        "qosBwLimitRuleTemplate",
        (plain("max-kbps", "maxKbps", int), plain("max-burst-kb", "maxBurstKb", int)),
        parent=("policyId", "qos-policy"),
    ),
    Kind(
        "dscp-rule",
        "qosDscpRuleTemplate",
        (plain("dscp-mark", "dscpMark", int),),
        parent=("policyId", "qos-policy"),
    ),
)
