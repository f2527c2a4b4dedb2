"""Build a Topology from a declarative description with names instead of UUIDs.

    bridges: [b1] or {b1: {inbound_filter: c1}}
    routers: [r1] or {r1: {outbound_filter: c2}}
    ports:
      vm1: {bridge: b1}                       # exterior (bound to a host) by default
      b1-r1: {bridge: b1, peer: r1-b1}        # interior: peered
      r1-b1: {router: r1, address: 10.0.0.1/24, mac: "02:00:00:00:01:01"}
      trunk: {bridge: b1, vlan: 10, peer: x}  # port options: inbound_filter,
                                              # outbound_filter, admin_state_up,
                                              # port_groups, exterior: false
    chains:
      c1:
        - {type: drop, nw_src: 10.0.0.0/24, inv_nw_src: true}
        - {type: jump, jump: c2, meter: m1}
        - {type: snat, target: "200.0.0.1-200.0.0.9:1024-65535", flow_action: accept}
    port_groups: {pg1: {}}
    ip_addr_groups: {g1: [10.0.0.1]}
    mirrors:
      m1: {to_port: mon, conditions: [{nw_proto: 6}]}   # no conditions: every packet
    routes:
      - {router: r1, dst: 0.0.0.0/0, via: r1-up, gateway: 10.1.0.1, weight: 10,
         src: 10.0.0.0/24, type: Normal}

Router ports with an address get the LOCAL and subnet routes the store derives.
Rule condition keys are the model's Condition fields, with shorthands: `nw_src`,
`nw_dst`, `icmp_data_src_ip`, `icmp_data_dst_ip` as prefixes; `tp_src`/`tp_dst` as
a port or [start, end]; MAC masks as `ffff.0000.0000`; `in_ports`/`out_ports`,
`port_group`, `in_port_group`, `out_port_group`, `ip_addr_group_src`/`_dst`,
`traversed_device` by name.

Mirrors are applied by name with the options `in_mirrors`, `out_mirrors` (ports,
bridges and routers), `post_in_filter_mirrors` and `pre_out_filter_mirrors` (ports).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from midonet.agent.topology.snapshot import Topology
from midonet.model import (
    Bridge,
    Chain,
    Condition,
    FlowAction,
    FragmentPolicy,
    IPAddrGroup,
    Mirror,
    ModelObject,
    NatTarget,
    Port,
    PortGroup,
    PortType,
    Route,
    Router,
    RouteType,
    Rule,
    RuleType,
)
from midonet.model.mac import parse_mac_mask
from midonet.model.validation import PortRange

_HOST = uuid.UUID(int=1)
_NAMED_IDS = {
    "in_ports": "in_port_ids",
    "out_ports": "out_port_ids",
}
_NAMED_ID = {
    "port_group": "port_group_id",
    "in_port_group": "in_port_group_id",
    "out_port_group": "out_port_group_id",
    "ip_addr_group_src": "ip_addr_group_src_id",
    "ip_addr_group_dst": "ip_addr_group_dst_id",
    "traversed_device": "traversed_device",
}
_PREFIXES = ("nw_src", "nw_dst", "icmp_data_src_ip", "icmp_data_dst_ip")


@dataclass
class BuiltTopology:
    topology: Topology
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def id(self, name: str) -> uuid.UUID:
        try:
            return self.ids[name]
        except KeyError:
            raise KeyError(f"no object named {name!r} in the scenario topology") from None


def _named(section: Any) -> dict[str, dict[str, Any]]:
    if section is None:
        return {}
    if isinstance(section, list):
        return {name: {} for name in section}
    return {name: dict(options or {}) for name, options in section.items()}


def _uuid_for(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"scenario:{name}")


def build_topology(spec: Mapping[str, Any]) -> BuiltTopology:
    """The Topology described by `spec` (see the module docstring)."""
    names: dict[str, uuid.UUID] = {}
    sections = (
        "bridges",
        "routers",
        "ports",
        "chains",
        "port_groups",
        "ip_addr_groups",
        "mirrors",
    )
    for section in sections:
        for name in spec.get(section) or ():
            if name in names:
                raise ValueError(f"name {name!r} used twice")
            names[name] = _uuid_for(name)
    built = BuiltTopology(Topology(), names)
    objects: list[ModelObject] = []
    objects += _groups(spec, built)
    objects += _chains(spec, built)
    objects += _mirrors(spec, built)
    ports = _ports(spec, built)
    objects += ports
    objects += _devices(spec, built, ports)
    objects += _routes(spec, built, ports)
    built.topology = Topology.from_objects(objects)
    return built


_MIRROR_HOOKS = {
    "in_mirrors": "inbound_mirror_ids",
    "out_mirrors": "outbound_mirror_ids",
    "post_in_filter_mirrors": "post_in_filter_mirror_ids",
    "pre_out_filter_mirrors": "pre_out_filter_mirror_ids",
}


def _filters(options: dict[str, Any], built: BuiltTopology) -> dict[str, Any]:
    """The filter and mirror references of a port or device, as model fields."""
    out: dict[str, Any] = {}
    for key in ("inbound_filter", "outbound_filter"):
        if key in options:
            out[f"{key}_id"] = built.id(options.pop(key))
    for key, model_field in _MIRROR_HOOKS.items():
        if key in options:
            out[model_field] = tuple(built.id(name) for name in options.pop(key))
    return out


def _mirrors(spec: Mapping[str, Any], built: BuiltTopology) -> list[ModelObject]:
    out: list[ModelObject] = []
    for name, raw in _named(spec.get("mirrors")).items():
        options = dict(raw)
        to_port = options.pop("to_port", None)
        conditions = tuple(condition(dict(c), built) for c in options.pop("conditions", ()))
        if options:
            raise ValueError(f"unknown mirror options {sorted(options)}")
        out.append(
            Mirror(
                id=built.id(name),
                to_port_id=built.id(to_port) if to_port else None,
                conditions=conditions,
            )
        )
    return out


def _groups(spec: Mapping[str, Any], built: BuiltTopology) -> list[ModelObject]:
    out: list[ModelObject] = []
    for name, options in _named(spec.get("port_groups")).items():
        out.append(PortGroup(id=built.id(name), name=name, **options))
    for name, addresses in (spec.get("ip_addr_groups") or {}).items():
        parsed = tuple(ipaddress.ip_address(a) for a in addresses or ())
        out.append(IPAddrGroup(id=built.id(name), name=name, addresses=parsed))
    return out


def _ports(spec: Mapping[str, Any], built: BuiltTopology) -> list[Port]:
    ports: list[Port] = []
    described = _named(spec.get("ports"))
    peers = {name: o["peer"] for name, o in described.items() if "peer" in o}
    peers.update({peer: name for name, peer in list(peers.items())})  # links are two-sided
    for name, raw in described.items():
        options = dict(raw)
        kwargs = _filters(options, built)
        options.pop("peer", None)
        peer = peers.get(name)
        exterior = options.pop("exterior", peer is None)
        if "bridge" in options:
            kwargs.update(type=PortType.BRIDGE, bridge_id=built.id(options.pop("bridge")))
            if "vlan" in options:
                kwargs["vlan_id"] = options.pop("vlan")
        else:
            kwargs.update(type=PortType.ROUTER, router_id=built.id(options.pop("router")))
            if "address" in options:
                iface = ipaddress.IPv4Interface(options.pop("address"))
                kwargs.update(port_address=iface.ip, network_length=iface.network.prefixlen)
            if "mac" in options:
                kwargs["port_mac"] = options.pop("mac")
        if peer is not None:
            kwargs["peer_id"] = built.id(peer)
        elif exterior:
            kwargs.update(host_id=_HOST, interface_name=name)
        groups = options.pop("port_groups", ())
        kwargs["port_group_ids"] = tuple(built.id(g) for g in groups)
        kwargs.update(options)
        ports.append(Port(id=built.id(name), **kwargs))
    return ports


def _devices(spec: Mapping[str, Any], built: BuiltTopology, ports: list[Port]) -> list[ModelObject]:
    out: list[ModelObject] = []
    for name, raw in _named(spec.get("bridges")).items():
        options = dict(raw)
        kwargs = _filters(options, built)
        owned = tuple(p.id for p in ports if p.bridge_id == built.id(name))
        out.append(Bridge(id=built.id(name), name=name, port_ids=owned, **kwargs, **options))
    for name, raw in _named(spec.get("routers")).items():
        options = dict(raw)
        kwargs = _filters(options, built)
        owned = tuple(p.id for p in ports if p.router_id == built.id(name))
        out.append(Router(id=built.id(name), name=name, port_ids=owned, **kwargs, **options))
    return out


def _routes(spec: Mapping[str, Any], built: BuiltTopology, ports: list[Port]) -> list[Route]:
    routes: list[Route] = []
    for p in ports:
        if p.port_address is not None and p.network is not None:
            routes.append(
                _route(p.id, RouteType.LOCAL, ipaddress.IPv4Network(f"{p.port_address}/32"))
            )
            routes.append(_route(p.id, RouteType.NORMAL, p.network))
    for index, raw in enumerate(spec.get("routes") or ()):
        options = dict(raw)
        dst = ipaddress.ip_network(options.pop("dst"))
        src = ipaddress.ip_network(options.pop("src", "0.0.0.0/0"))
        via = options.pop("via", None)
        gateway = options.pop("gateway", None)
        routes.append(
            Route(
                id=_uuid_for(f"route:{options.get('name', index)}"),
                type=RouteType(options.pop("type", "Normal")),
                router_id=built.id(options.pop("router")),
                dst_network_addr=dst.network_address,
                dst_network_length=dst.prefixlen,
                src_network_addr=src.network_address,
                src_network_length=src.prefixlen,
                next_hop_port_id=built.id(via) if via else None,
                next_hop_gateway=ipaddress.ip_address(gateway) if gateway else None,
                weight=options.pop("weight", 0),
            )
        )
        if "name" in options:
            built.ids[options.pop("name")] = routes[-1].id
        if options:
            raise ValueError(f"unknown route options {sorted(options)}")
    return routes


def _route(port_id: uuid.UUID, kind: RouteType, dst: ipaddress.IPv4Network) -> Route:
    return Route(
        id=uuid.uuid5(port_id, f"{kind.value}:{dst}"),
        type=kind,
        dst_network_addr=dst.network_address,
        dst_network_length=dst.prefixlen,
        next_hop_port_id=port_id,
    )


def _chains(spec: Mapping[str, Any], built: BuiltTopology) -> list[ModelObject]:
    out: list[ModelObject] = []
    for name, rules in (spec.get("chains") or {}).items():
        chain_id = built.id(name)
        made = [_rule(chain_id, name, i, dict(r), built) for i, r in enumerate(rules or ())]
        out += made
        out.append(Chain(id=chain_id, name=name, rule_ids=tuple(r.id for r in made)))
    return out


def _rule(
    chain_id: uuid.UUID, chain: str, index: int, options: dict[str, Any], built: BuiltTopology
) -> Rule:
    rule_id = _uuid_for(f"rule:{chain}:{options.pop('name', index + 1)}")
    kind = RuleType(options.pop("type"))
    jump = options.pop("jump", None)
    meter = options.pop("meter", None)
    targets = options.pop("target", ())
    flow_action = options.pop("flow_action", "accept" if kind.is_nat else None)
    return Rule(
        id=rule_id,
        chain_id=chain_id,
        type=kind,
        jump_chain_id=built.id(jump) if jump else None,
        meter_name=meter,
        flow_action=FlowAction(flow_action) if flow_action else None,
        nat_targets=tuple(
            NatTarget.parse(t) for t in ([targets] if isinstance(targets, str) else targets)
        ),
        condition=condition(options, built),
    )


def condition(options: dict[str, Any], built: BuiltTopology) -> Condition:
    """A Condition from the shorthand keys described in the module docstring."""
    kwargs: dict[str, Any] = {}
    for key, value in options.items():
        if key in _NAMED_IDS:
            kwargs[_NAMED_IDS[key]] = tuple(built.id(v) for v in value)
        elif key in _NAMED_ID:
            kwargs[_NAMED_ID[key]] = built.id(value)
        elif key in _PREFIXES:
            net = ipaddress.ip_network(value, strict=False)
            kwargs[f"{key}_address"] = ipaddress.ip_address(str(value).split("/")[0])
            kwargs[f"{key}_length"] = net.prefixlen
        elif key in ("tp_src", "tp_dst"):
            start, end = (value, value) if isinstance(value, int) else value
            kwargs[key] = PortRange(start=start, end=end)
        elif key in ("dl_src_mask", "dl_dst_mask") and isinstance(value, str):
            kwargs[key] = parse_mac_mask(value)
        elif key == "fragment_policy":
            kwargs[key] = FragmentPolicy(value)
        else:
            kwargs[key] = value
    return Condition(**kwargs)
