"""The virtual topology as a Graphviz graph: routers, bridges, their ports and
links, the hosts exterior ports are bound to, and the tunnel zones hosts are in.

Drawing conventions (the legend of the web page repeats them):
- routers are blue boxes, bridges green rounded boxes, hosts 3-D boxes;
- an interior link is one edge between two devices, labelled with each end's
  address (router ports) so a peering reads "10.0.0.1 — bridge";
- an exterior port is a small node on its device; a dashed edge joins it to the
  host it is bound to, labelled with the interface; it is green when an agent has
  it active, red when bound but not active, white when unbound;
- load balancers hang off their router; a host's label lists its tunnel zones,
  and the host is grey while its agent is alive.
Every node carries the object's id as its tooltip (the SVG `<title>`), so the
picture leads back to `midonet-cli`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from midonet.model import Bridge, Host, LoadBalancer, Port, Router, TunnelZone

_Named = TypeVar("_Named", Router, Bridge, Host, LoadBalancer)


@dataclass(frozen=True, slots=True)
class TopologyObjects:
    """What the picture shows, read from the NSDB by the caller."""

    routers: tuple[Router, ...]
    bridges: tuple[Bridge, ...]
    ports: tuple[Port, ...]
    hosts: tuple[Host, ...]
    tunnel_zones: tuple[TunnelZone, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    active_ports: frozenset[uuid.UUID] = frozenset()
    alive_hosts: frozenset[uuid.UUID] = frozenset()


def to_dot(objects: TopologyObjects, *, title: str = "MidoNet virtual topology") -> str:
    """The DOT source of the picture (deterministic: objects sorted by name, id)."""
    return "\n".join(_lines(objects, title)) + "\n"


def _lines(o: TopologyObjects, title: str) -> Iterator[str]:
    yield "digraph midonet {"
    yield f"  graph [label={_q(title)}, labelloc=t, fontsize=18, rankdir=LR];"
    yield "  node [fontname=Helvetica, fontsize=11];"
    yield "  edge [fontname=Helvetica, fontsize=9, arrowhead=none];"
    zones_of = _zones_of(o.tunnel_zones)
    for router in _sorted(o.routers):
        label = f"router\\n{router.name or str(router.id)[:8]}"
        yield _node(router.id, label, shape="box", style="filled", fillcolor="lightblue")
    for bridge in _sorted(o.bridges):
        label = f"bridge\\n{bridge.name or str(bridge.id)[:8]}"
        yield _node(bridge.id, label, shape="box", style="rounded,filled", fillcolor="palegreen")
    for host in _sorted(o.hosts):
        zones = ", ".join(sorted(zones_of.get(host.id, ())))
        label = f"host\\n{host.name or str(host.id)[:8]}" + (f"\\nzones: {zones}" if zones else "")
        color = "gainsboro" if host.id in o.alive_hosts else "white"
        yield _node(host.id, label, shape="box3d", style="filled", fillcolor=color)
    for lb in _sorted(o.load_balancers):
        yield _node(lb.id, "load balancer", shape="hexagon")
        if lb.router_id is not None:
            yield f"  {_id(lb.router_id)} -> {_id(lb.id)} [style=dotted];"
    yield from _ports(o)
    yield "}"


def _ports(o: TopologyObjects) -> Iterator[str]:
    devices = {d.id for d in (*o.routers, *o.bridges)}
    hosts = {h.id for h in o.hosts}
    by_id = {p.id: p for p in o.ports}
    drawn: set[frozenset[uuid.UUID]] = set()
    for port in sorted(o.ports, key=lambda p: str(p.id)):
        if port.device_id not in devices:
            continue
        peer = by_id.get(port.peer_id) if port.peer_id is not None else None
        if peer is not None:
            pair = frozenset((port.id, peer.id))
            if pair in drawn or peer.device_id not in devices:
                continue
            drawn.add(pair)
            yield (
                f"  {_id(port.device_id)} -> {_id(peer.device_id)}"
                f" [taillabel={_q(_end(port))}, headlabel={_q(_end(peer))},"
                f" tooltip={_q(f'{port.id} <-> {peer.id}')}];"
            )
            continue
        if port.peer_id is not None:
            continue  # peered with a port outside the picture
        yield from _exterior(port, hosts, o.active_ports)


def _exterior(port: Port, hosts: set[uuid.UUID], active: frozenset[uuid.UUID]) -> Iterator[str]:
    bound = port.host_id is not None
    color = ("palegreen" if port.id in active else "salmon") if bound else "white"
    label = _end(port) or str(port.id)[:8]
    yield (
        f'  {_id(port.id)} [shape=box, style="filled", fillcolor={color}, fontsize=9,'
        f" height=0.2, label={_q(label)}, tooltip={_q(f'port {port.id}')}];"
    )
    yield f"  {_id(port.device_id)} -> {_id(port.id)};"
    if bound and port.host_id in hosts:
        iface = port.interface_name or "?"
        yield f"  {_id(port.id)} -> {_id(port.host_id)} [style=dashed, label={_q(iface)}];"


def _node(object_id: uuid.UUID, label: str, **attrs: str) -> str:
    """A node statement; its tooltip (the SVG `<title>`) is the object's id."""
    listed = ", ".join(f"{k}={_q(v)}" for k, v in attrs.items())
    return f"  {_id(object_id)} [{listed}, label={_q(label)}, tooltip={_q(str(object_id))}];"


def _end(port: Port) -> str:
    if port.port_address is not None and port.network_length is not None:
        return f"{port.port_address}/{port.network_length}"
    if port.vlan_id:
        return f"vlan {port.vlan_id}"
    return ""


def _zones_of(zones: Iterable[TunnelZone]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {}
    for zone in zones:
        for member in zone.hosts:
            out.setdefault(member.host_id, []).append(f"{zone.name} ({zone.type.value})")
    return out


def _sorted(items: Iterable[_Named]) -> list[_Named]:
    return sorted(items, key=lambda x: (getattr(x, "name", "") or "", str(x.id)))


def _id(object_id: uuid.UUID | None) -> str:
    return f'"{object_id}"'


def _q(text: str) -> str:
    """A DOT quoted string; `\\n` sequences already in `text` stay line breaks."""
    return '"' + text.replace('"', '\\"') + '"'
