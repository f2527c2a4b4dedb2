"""A bridge's MAC table (MacPort-v2, per VLAN) and ARP table (IP4Mac-v1), kept in the
store's state tables. Entry URIs end in `{mac}_{portId}` and `{ip}_{mac}` with the
MAC's colons written as dashes, as MidoNet's."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from midonet.cluster.rest_api import media
from midonet.cluster.rest_api.context import Context, Response
from midonet.cluster.rest_api.errors import bad_request, not_found
from midonet.cluster.rest_api.resources.devices import BRIDGE
from midonet.cluster.rest_api.routing import Routes
from midonet.model.bridge import Bridge
from midonet.model.port import Port
from midonet.store.state import ArpTable, MacTable, mac

MAC_PORT = "MacPort-v2"
IP4_MAC = "IP4Mac-v1"


def _bridge(ctx: Context, id: str, *, write: bool = False) -> Bridge:
    bridge, _ = BRIDGE.load(ctx, id)
    if write:
        BRIDGE.check_write(ctx, bridge)
    assert isinstance(bridge, Bridge)
    return bridge


def _vlan(text: str | int | None) -> int:
    if text is None:
        return 0
    try:
        vlan = int(text)
    except (TypeError, ValueError):
        raise bad_request(
            f"Validation error: vlanId: expected 0-4095, got {text!r}",
            [("vlanId", f"expected 0-4095, got {text!r}")],
        ) from None
    if not 0 <= vlan < 4096 or isinstance(text, bool):
        raise bad_request(
            f"Validation error: vlanId: expected 0-4095, got {text!r}",
            [("vlanId", f"expected 0-4095, got {text!r}")],
        )
    return vlan


def _mac(text: object, field: str = "macAddr") -> str:
    try:
        return mac(text) if isinstance(text, str) else mac("")
    except ValueError:
        raise bad_request(
            f"Validation error: {field}: not a MAC address: {text!r}",
            [(field, f"expected a MAC like 02:00:00:00:00:01, got {text!r}")],
        ) from None


def _vlans(ctx: Context, bridge: Bridge) -> list[int]:
    vlans = {0}
    for port in ctx.store.list(Port, ids=bridge.port_ids):
        if port.vlan_id is not None:
            vlans.add(port.vlan_id)
    return sorted(vlans)


def _mac_uri(ctx: Context, bridge: Bridge, vlan: int, address: str, port: uuid.UUID) -> str:
    prefix = ctx.uri("bridges", bridge.id) + (f"/vlans/{vlan}" if vlan else "")
    return f"{prefix}/mac_table/{address.replace(':', '-')}_{port}"


def _mac_entry(
    ctx: Context, bridge: Bridge, vlan: int, address: str, port: uuid.UUID
) -> dict[str, Any]:
    return {
        "macAddr": address,
        "portId": str(port),
        "vlanId": vlan,
        "bridgeId": str(bridge.id),
        "uri": _mac_uri(ctx, bridge, vlan, address, port),
    }


def _list_macs(ctx: Context, id: str, vlan: str | None = None) -> Response:
    bridge = _bridge(ctx, id)
    vlans = [_vlan(vlan)] if vlan is not None else _vlans(ctx, bridge)
    items = [
        _mac_entry(ctx, bridge, v, address, port)
        for v in vlans
        for address, port in sorted(MacTable(ctx.store.state, bridge.id, v).snapshot().items())
    ]
    return Response(200, items, media.collection(MAC_PORT))


def _add_mac(ctx: Context, id: str, vlan: str | None = None) -> Response:
    bridge = _bridge(ctx, id, write=True)
    body = ctx.body()
    address = _mac(body.get("macAddr"))
    number = _vlan(vlan if vlan is not None else body.get("vlanId"))
    port_id = _port_of(ctx, bridge, body.get("portId"))
    MacTable(ctx.store.state, bridge.id, number).add(address, port_id)
    entry = _mac_entry(ctx, bridge, number, address, port_id)
    return Response(201, entry, media.item(MAC_PORT), {"Location": entry["uri"]})


def _port_of(ctx: Context, bridge: Bridge, raw: object) -> uuid.UUID:
    try:
        port_id = uuid.UUID(str(raw)) if isinstance(raw, str) else None
    except ValueError:
        port_id = None
    if port_id is None:
        raise bad_request(
            "Validation error: portId: expected a port UUID",
            [("portId", f"expected a port UUID, got {raw!r}")],
        )
    if port_id not in bridge.port_ids:
        raise bad_request(
            f"Validation error: portId: {port_id} is not a port of the bridge",
            [("portId", f"{port_id} is not a port of bridge {bridge.id}")],
        )
    return port_id


def _split_mac_port(text: str) -> tuple[str, uuid.UUID]:
    left, _, right = text.rpartition("_")
    try:
        return mac(left), uuid.UUID(right)
    except ValueError:
        raise not_found(f"No MAC table entry {text}: expected {{mac}}_{{portId}}") from None


def _one_mac(
    ctx: Context, id: str, entry: str, vlan: str | None = None, *, delete: bool = False
) -> Response:
    bridge = _bridge(ctx, id, write=delete)
    number = _vlan(vlan)
    address, port_id = _split_mac_port(entry)
    table = MacTable(ctx.store.state, bridge.id, number)
    if table.get(address) != port_id:
        raise not_found(f"No MAC table entry {address} → {port_id} in VLAN {number}")
    if delete:
        table.remove(address, port_id)
        return Response(204)
    return Response(200, _mac_entry(ctx, bridge, number, address, port_id), media.item(MAC_PORT))


# --- ARP table ------------------------------------------------------------------------


def _arp_entry(
    ctx: Context, bridge: Bridge, ip: ipaddress.IPv4Address, address: str
) -> dict[str, Any]:
    uri = ctx.uri("bridges", bridge.id, "arp_table", f"{ip}_{address.replace(':', '-')}")
    return {"ip": str(ip), "mac": address, "bridgeId": str(bridge.id), "uri": uri}


def _list_arp(ctx: Context, id: str) -> Response:
    bridge = _bridge(ctx, id)
    table = ArpTable(ctx.store.state, "bridge", bridge.id)
    items = [_arp_entry(ctx, bridge, ip, m) for ip, m in sorted(table.snapshot().items())]
    return Response(200, items, media.collection(IP4_MAC))


def _add_arp(ctx: Context, id: str) -> Response:
    bridge = _bridge(ctx, id, write=True)
    body = ctx.body()
    raw_ip = body.get("ip")
    try:
        ip = ipaddress.IPv4Address(raw_ip) if isinstance(raw_ip, str) else None
    except ValueError:
        ip = None
    if ip is None:
        raise bad_request(
            "Validation error: ip: expected an IPv4 address",
            [("ip", f"expected an IPv4 address, got {raw_ip!r}")],
        )
    address = _mac(body.get("mac"), "mac")
    ArpTable(ctx.store.state, "bridge", bridge.id).add(ip, address)
    entry = _arp_entry(ctx, bridge, ip, address)
    return Response(201, entry, media.item(IP4_MAC), {"Location": entry["uri"]})


def _one_arp(ctx: Context, id: str, entry: str, *, delete: bool = False) -> Response:
    bridge = _bridge(ctx, id, write=delete)
    left, _, right = entry.partition("_")
    try:
        ip, address = ipaddress.IPv4Address(left), mac(right)
    except ValueError:
        raise not_found(f"No ARP table entry {entry}: expected {{ip}}_{{mac}}") from None
    table = ArpTable(ctx.store.state, "bridge", bridge.id)
    if table.get(ip) != address:
        raise not_found(f"No ARP table entry {ip} → {address}")
    if delete:
        table.remove(ip)
        return Response(204)
    return Response(200, _arp_entry(ctx, bridge, ip, address), media.item(IP4_MAC))


def register(routes: Routes) -> None:
    base = "/bridges/{id}"
    for prefix in (base, base + "/vlans/{vlan}"):
        routes.add("GET", prefix + "/mac_table", _list_macs, summary="List MAC table entries")
        routes.add(
            "POST",
            prefix + "/mac_table",
            _add_mac,
            media=media.item(MAC_PORT),
            summary="Add a MAC table entry",
        )
        routes.add("GET", prefix + "/mac_table/{entry}", _one_mac, summary="Get a MAC entry")
        routes.add(
            "DELETE",
            prefix + "/mac_table/{entry}",
            lambda ctx, **kw: _one_mac(ctx, delete=True, **kw),
            summary="Delete a MAC entry",
        )
    routes.add("GET", base + "/arp_table", _list_arp, summary="List ARP table entries")
    routes.add(
        "POST",
        base + "/arp_table",
        _add_arp,
        media=media.item(IP4_MAC),
        summary="Add an ARP table entry",
    )
    routes.add("GET", base + "/arp_table/{entry}", _one_arp, summary="Get an ARP entry")
    routes.add(
        "DELETE",
        base + "/arp_table/{entry}",
        lambda ctx, **kw: _one_arp(ctx, delete=True, **kw),
        summary="Delete an ARP entry",
    )
