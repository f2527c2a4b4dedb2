"""Mirrors (Mirror-v1), BGP peers and networks (BgpPeer-v1, BgpNetwork-v1), QoS
policies and their rules (QOSPolicy-v1, QOSRuleBWLimit-v1, QOSRuleDSCP-v1) and trace
requests (TraceRequest-v1)."""

from __future__ import annotations

from typing import Any

from midonet.cluster.rest_api.context import Context
from midonet.cluster.rest_api.errors import bad_request
from midonet.cluster.rest_api.fields import Field, Mapping, camel, mechanical
from midonet.cluster.rest_api.resource import Resource, crud, nested, tenant_field
from midonet.cluster.rest_api.resources.condition import condition_fields, drop_unset_lengths
from midonet.cluster.rest_api.resources.devices import ROUTER, device_tenant
from midonet.cluster.rest_api.routing import Routes
from midonet.model.base import ModelObject
from midonet.model.bgp import BgpNetwork, BgpPeer
from midonet.model.condition import Condition
from midonet.model.mirror import Mirror
from midonet.model.qos import QosPolicy, QosRuleBandwidthLimit, QosRuleDscp
from midonet.model.router import Router
from midonet.model.trace_request import DeviceType, TraceRequest
from midonet.store.base import Reader

CONDITION = Mapping(Condition, condition_fields())


def _condition_out(value: Any) -> Any:
    return CONDITION.to_api(value) if isinstance(value, dict) else value


def _condition_in(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return drop_unset_lengths(CONDITION.from_api(value))


def _conditions_out(value: Any) -> Any:
    return [_condition_out(v) for v in value] if isinstance(value, list) else value


def _conditions_in(value: Any) -> Any:
    return [_condition_in(v) for v in value] if isinstance(value, list) else value


def _ro(*names: str) -> list[Field]:
    return [Field(camel(n), n, read_only=True) for n in names]


# --- mirrors --------------------------------------------------------------------------

_MIRROR_BACKREFS = (
    "bridge_inbound_ids",
    "bridge_outbound_ids",
    "router_inbound_ids",
    "router_outbound_ids",
    "port_inbound_ids",
    "port_outbound_ids",
    "port_post_in_filter_ids",
    "port_pre_out_filter_ids",
)
MIRROR = Resource(
    "mirrors",
    Mirror,
    "Mirror-v1",
    Mapping(
        Mirror,
        [
            *mechanical(Mirror, exclude=("conditions", *_MIRROR_BACKREFS)),
            Field("conditions", "conditions", out=_conditions_out, into=_conditions_in),
            Field("networkInboundIds", "bridge_inbound_ids", read_only=True),
            Field("networkOutboundIds", "bridge_outbound_ids", read_only=True),
            *_ro(*_MIRROR_BACKREFS[2:]),
        ],
    ),
    lambda m, ctx: {"toPort": ctx.link("ports", m.to_port_id)},
)

# --- BGP ------------------------------------------------------------------------------


def _router_owner(obj: Any, reader: Reader) -> str | None:
    return device_tenant(obj.router_id, Router, reader)


def _router_link(obj: Any, ctx: Context) -> dict[str, Any]:
    return {"router": ctx.link("routers", obj.router_id)}


BGP_PEER = Resource(
    "bgp_peers",
    BgpPeer,
    "BgpPeer-v1",
    Mapping(BgpPeer, [*mechanical(BgpPeer, exclude=("router_id",)), *_ro("router_id")]),
    _router_link,
    owner=_router_owner,
    event=("Bgp", "bgpId"),
)
BGP_NETWORK = Resource(
    "bgp_networks",
    BgpNetwork,
    "BgpNetwork-v1",
    Mapping(BgpNetwork, [*mechanical(BgpNetwork, exclude=("router_id",)), *_ro("router_id")]),
    _router_link,
    owner=_router_owner,
)

# --- QoS ------------------------------------------------------------------------------

QOS_POLICY = Resource(
    "qos_policies",
    QosPolicy,
    "QOSPolicy-v1",
    Mapping(
        QosPolicy,
        [
            *mechanical(
                QosPolicy,
                exclude=(
                    "tenant_id",
                    "bandwidth_limit_rule_ids",
                    "dscp_marking_rule_ids",
                    "port_ids",
                    "bridge_ids",
                ),
            ),
            Field("tenant_id", "tenant_id"),  # MidoNet's @JsonProperty("tenant_id")
            *_ro("bandwidth_limit_rule_ids", "dscp_marking_rule_ids", "port_ids"),
            Field("networkIds", "bridge_ids", read_only=True),
        ],
    ),
    lambda q, ctx: {
        "bwLimitRules": ctx.uri("qos_policies", q.id, "qos_bw_limit_rules"),
        "dscpRules": ctx.uri("qos_policies", q.id, "qos_dscp_rules"),
    },
    owner=tenant_field,
    tenant_scoped=True,
)


def _policy_owner(rule: Any, reader: Reader) -> str | None:
    if rule.policy_id is None:
        return None
    try:
        return reader.get(QosPolicy, rule.policy_id).obj.tenant_id
    except LookupError:
        return None


QOS_BW_RULE = Resource(
    "qos_bw_limit_rules",
    QosRuleBandwidthLimit,
    "QOSRuleBWLimit-v1",
    Mapping(
        QosRuleBandwidthLimit,
        [
            *mechanical(QosRuleBandwidthLimit, exclude=("policy_id", "max_burst_kbps")),
            Field("maxBurstKb", "max_burst_kbps"),  # MidoNet's name for the burst
            *_ro("policy_id"),
        ],
    ),
    owner=_policy_owner,
)
QOS_DSCP_RULE = Resource(
    "qos_dscp_rules",
    QosRuleDscp,
    "QOSRuleDSCP-v1",
    Mapping(QosRuleDscp, [*mechanical(QosRuleDscp, exclude=("policy_id",)), *_ro("policy_id")]),
    owner=_policy_owner,
)

# --- trace requests -------------------------------------------------------------------

_DEVICE_FIELDS = {"BRIDGE": "bridge_id", "ROUTER": "router_id", "PORT": "port_id"}


def _trace_prepare(data: dict[str, Any], ctx: Context, old: ModelObject | None) -> dict[str, Any]:
    kind = data.pop("_device_type", None)
    device = data.pop("_device_id", None)
    if kind is None and device is None:
        return data
    if isinstance(old, TraceRequest):
        kind = kind or (old.device_type.value if old.device_type else None)
        device = device or (str(old.device_id) if old.device_id else None)
    name = _DEVICE_FIELDS.get(kind) if isinstance(kind, str) else None
    if name is None:
        allowed = ", ".join(d.value for d in DeviceType)
        raise bad_request(
            f"Validation error: deviceType: must be one of {allowed}",
            [("deviceType", f"must be one of {allowed}, got {kind!r}")],
        )
    for field in _DEVICE_FIELDS.values():
        data[field] = None
    data[name] = device
    return data


def _trace_links(t: TraceRequest, ctx: Context) -> dict[str, Any]:
    return {
        "deviceType": t.device_type.value if t.device_type else None,
        "deviceId": str(t.device_id) if t.device_id else None,
    }


TRACE = Resource(
    "traces",
    TraceRequest,
    "TraceRequest-v1",
    Mapping(
        TraceRequest,
        [
            *mechanical(TraceRequest, exclude=("port_id", "bridge_id", "router_id", "condition")),
            Field("deviceType", "_device_type"),
            Field("deviceId", "_device_id"),
            Field("condition", "condition", out=_condition_out, into=_condition_in),
        ],
    ),
    _trace_links,
    prepare=_trace_prepare,
)


def register(routes: Routes) -> None:
    crud(routes, MIRROR)
    for res in (BGP_PEER, BGP_NETWORK):
        crud(routes, res, listing=False, create=False)
    nested(
        routes,
        ROUTER,
        BGP_PEER,
        "bgp_peers",
        lambda r, ctx: r.bgp_peer_ids,
        parent_field="router_id",
    )
    nested(
        routes,
        ROUTER,
        BGP_NETWORK,
        "bgp_networks",
        lambda r, ctx: r.bgp_network_ids,
        parent_field="router_id",
    )
    crud(routes, QOS_POLICY)
    for rule in (QOS_BW_RULE, QOS_DSCP_RULE):
        crud(routes, rule, listing=False, create=False)
    nested(
        routes,
        QOS_POLICY,
        QOS_BW_RULE,
        "qos_bw_limit_rules",
        lambda q, ctx: q.bandwidth_limit_rule_ids,
        parent_field="policy_id",
    )
    nested(
        routes,
        QOS_POLICY,
        QOS_DSCP_RULE,
        "qos_dscp_rules",
        lambda q, ctx: q.dscp_marking_rule_ids,
        parent_field="policy_id",
    )
    crud(routes, TRACE)
