"""Stored topology objects with their validation (see `base` for the common machinery).

Importing the package registers every kind in `MODEL_TYPES` and declares every
binding in `BINDINGS` (see `bindings`).
"""

from midonet.model import bindings
from midonet.model.base import (
    BINDINGS,
    MODEL_TYPES,
    Binding,
    BindingEnd,
    DeleteAction,
    ModelObject,
    bind,
    from_json,
    new_id,
    register,
    to_json,
)
from midonet.model.bgp import BgpNetwork, BgpPeer
from midonet.model.bridge import Bridge
from midonet.model.chain import Chain, insert_rule_id, move_rule_id, rule_position
from midonet.model.condition import Condition, FragmentPolicy
from midonet.model.host import Host, HostInterface, InterfaceEndpoint, InterfaceType
from midonet.model.ip_addr_group import IPAddrGroup
from midonet.model.load_balancer import (
    HealthMonitor,
    HealthMonitorType,
    LBStatus,
    LoadBalancer,
    Pool,
    PoolHealthMonitorMappingStatus,
    PoolLBMethod,
    PoolMember,
    PoolProtocol,
    SessionPersistence,
    Vip,
)
from midonet.model.mirror import Mirror
from midonet.model.port import Port, PortType
from midonet.model.port_group import PortGroup
from midonet.model.qos import QosPolicy, QosRuleBandwidthLimit, QosRuleDscp
from midonet.model.route import Route, RouteType
from midonet.model.router import Router
from midonet.model.rule import FlowAction, NatTarget, Rule, RuleType
from midonet.model.system_state import SYSTEM_STATE_ID, Availability, SystemState
from midonet.model.trace_request import DeviceType, TraceRequest
from midonet.model.tunnel_zone import TunnelZone, TunnelZoneHost, TunnelZoneType
from midonet.model.validation import PortRange

__all__ = [
    "BINDINGS",
    "MODEL_TYPES",
    "SYSTEM_STATE_ID",
    "Availability",
    "BgpNetwork",
    "BgpPeer",
    "Binding",
    "BindingEnd",
    "Bridge",
    "Chain",
    "Condition",
    "DeleteAction",
    "DeviceType",
    "FlowAction",
    "FragmentPolicy",
    "HealthMonitor",
    "HealthMonitorType",
    "Host",
    "HostInterface",
    "IPAddrGroup",
    "InterfaceEndpoint",
    "InterfaceType",
    "LBStatus",
    "LoadBalancer",
    "Mirror",
    "ModelObject",
    "NatTarget",
    "Pool",
    "PoolHealthMonitorMappingStatus",
    "PoolLBMethod",
    "PoolMember",
    "PoolProtocol",
    "Port",
    "PortGroup",
    "PortRange",
    "PortType",
    "QosPolicy",
    "QosRuleBandwidthLimit",
    "QosRuleDscp",
    "Route",
    "RouteType",
    "Router",
    "Rule",
    "RuleType",
    "SessionPersistence",
    "SystemState",
    "TraceRequest",
    "TunnelZone",
    "TunnelZoneHost",
    "TunnelZoneType",
    "Vip",
    "bind",
    "bindings",
    "from_json",
    "insert_rule_id",
    "move_rule_id",
    "new_id",
    "register",
    "rule_position",
    "to_json",
]
