"""Port groups and IP address groups, with their members."""

from __future__ import annotations

from midonet.cli.objects import (
    JSON,
    Context,
    Field,
    Kind,
    Relation,
    boolean,
    plain,
    register,
)


def _member_line(me: str, item: JSON, c: Context) -> str:
    return f"port-group {me} port {c.show_ref('port', item['portId'])}"


def _addr_line(me: str, item: JSON, c: Context) -> str:
    return f"address {item['addr']}"


register(
    Kind(
        "port-group",
        "portGroupTemplate",
        (plain("name", "name"), plain("stateful", "stateful", boolean)),
        top="portGroups",
        tenant=True,
        alias="pgroup",
        relations={
            "member": Relation(
                "ports",
                (Field("port", lambda v, c: {"portId": c.ref("port", v)}, None),),
                _member_line,
                identity=("port", "portId"),
            )
        },
    ),
    Kind(
        "ip-address-group",
        "ipAddrGroupTemplate",
        (plain("name", "name"),),
        top="ipAddrGroups",
        relations={
            "ip": Relation(
                "addrs",
                (Field("address", lambda v, c: {"addr": v}, None),),
                _addr_line,
                identity=("address", "addr"),
            )
        },
    ),
)
