"""Hosts (interfaces, port bindings) and tunnel zones with their members."""

from __future__ import annotations

from midonet.cli.objects import JSON, Context, Field, Kind, Relation, plain, register


def _alive(o: JSON, c: Context) -> str:
    return "true" if o.get("alive") else "false"


def _unless(word: str, key: str, default: int) -> Field:
    """An integer setting, printed only when it is not the default (the guide's `list
    host` shows name and alive alone)."""
    return Field(
        word,
        lambda v, c: {key: int(v)},
        lambda o, c: None if o.get(key, default) == default else str(o[key]),
        (key,),
    )


def _iface_line(me: str, i: JSON, c: Context) -> str:
    addresses = "[" + ", ".join(repr(a) for a in i.get("addresses") or []) + "]"
    return (
        f"iface {i['name']} host_id {me} status {i.get('status', 0)} addresses {addresses} "
        f"mac {i.get('mac')} mtu {i.get('mtu')} type {i.get('type')} "
        f"endpoint {i.get('endpoint')}"
    )


def _binding_line(me: str, b: JSON, c: Context) -> str:
    return f"host {me} interface {b['interfaceName']} port {c.show_ref('port', b['portId'])}"


def _member_line(me: str, m: JSON, c: Context) -> str:
    return f"zone {me} host {c.show_ref('host', m['hostId'])} address {m['ipAddress']}"


register(
    Kind(
        "host",
        "hostTemplate",
        (
            plain("name", "name"),
            Field("alive", None, _alive),
            _unless("flooding-proxy-weight", "floodingProxyWeight", 1),
            _unless("container-weight", "containerWeight", 1),
            _unless("container-limit", "containerLimit", -1),
        ),
        top="hosts",
        relations={
            "interface": Relation("interfaces", (), _iface_line, can_add=False),
            "binding": Relation(
                "ports",
                (
                    Field("port", lambda v, c: {"portId": c.ref("port", v)}, None),
                    Field("interface", lambda v, c: {"interfaceName": v}, None),
                ),
                _binding_line,
                identity=("port", "portId"),
            ),
        },
    ),
    Kind(
        "tunnel-zone",
        "tunnelZoneTemplate",
        (plain("name", "name"), plain("type", "type")),
        top="tunnelZones",
        alias="tzone",
        relations={
            "member": Relation(
                "hosts",
                (
                    Field("host", lambda v, c: {"hostId": c.ref("host", v)}, None),
                    Field("address", lambda v, c: {"ipAddress": v}, None),
                ),
                _member_line,
                identity=("host", "hostId"),
                show_prefix="tunnel-zone-host ",
            )
        },
    ),
)
