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
from midonet.model.bridge import Bridge
from midonet.model.chain import Chain, insert_rule_id, rule_position
from midonet.model.condition import Condition, FragmentPolicy
from midonet.model.host import Host, HostInterface, InterfaceEndpoint, InterfaceType
from midonet.model.port import Port, PortType
from midonet.model.port_group import PortGroup
from midonet.model.route import Route, RouteType
from midonet.model.router import Router
from midonet.model.rule import FlowAction, NatTarget, Rule, RuleType
from midonet.model.validation import PortRange

__all__ = [
    "BINDINGS",
    "MODEL_TYPES",
    "Binding",
    "BindingEnd",
    "Bridge",
    "Chain",
    "Condition",
    "DeleteAction",
    "FlowAction",
    "FragmentPolicy",
    "Host",
    "HostInterface",
    "InterfaceEndpoint",
    "InterfaceType",
    "ModelObject",
    "NatTarget",
    "Port",
    "PortGroup",
    "PortRange",
    "PortType",
    "Route",
    "RouteType",
    "Router",
    "Rule",
    "RuleType",
    "bind",
    "bindings",
    "from_json",
    "insert_rule_id",
    "new_id",
    "register",
    "rule_position",
    "to_json",
]
