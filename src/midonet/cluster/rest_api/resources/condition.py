"""The Condition fields shared by rules, mirrors and trace requests.

Mechanical except for MidoNet's short names of the id fields (`inPorts`,
`portGroup`, `ipAddrGroupSrc`, ...) and the MAC masks, which the API writes as
`ffff.ffff.ffff` text while the model keeps an int.
"""

from __future__ import annotations

from typing import Any

from midonet.cluster.rest_api.errors import bad_request
from midonet.cluster.rest_api.fields import Field, mechanical
from midonet.model.condition import Condition
from midonet.model.mac import format_mac_mask, parse_mac_mask

RENAMES = {
    "in_port_ids": "inPorts",
    "out_port_ids": "outPorts",
    "port_group_id": "portGroup",
    "in_port_group_id": "inPortGroup",
    "out_port_group_id": "outPortGroup",
    "ip_addr_group_src_id": "ipAddrGroupSrc",
    "ip_addr_group_dst_id": "ipAddrGroupDst",
}
_LENGTHS = ("nw_src", "nw_dst", "icmp_data_src_ip", "icmp_data_dst_ip")


def _mask_out(value: Any) -> Any:
    return format_mac_mask(value) if isinstance(value, int) else value


def _mask_in(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return value  # the model reports the wrong type
    try:
        return parse_mac_mask(value)
    except ValueError as e:
        raise bad_request(f"Validation error: {e}", [("dlSrcMask/dlDstMask", str(e))]) from None


def condition_fields(prefix: str = "") -> list[Field]:
    """The Condition's API fields; `prefix` is the model path ("condition.")."""
    out = []
    for plain in mechanical(Condition, prefix=prefix):
        name = plain.model.removeprefix(prefix)
        if name in RENAMES:
            out.append(Field(RENAMES[name], plain.model))
        elif name in ("dl_src_mask", "dl_dst_mask"):
            out.append(Field(plain.api, plain.model, out=_mask_out, into=_mask_in))
        else:
            out.append(plain)
    return out


def drop_unset_lengths(data: dict[str, Any]) -> dict[str, Any]:
    """A prefix length without its address means nothing (MidoNet clients send 0)."""
    for stem in _LENGTHS:
        if data.get(f"{stem}_address") is None:
            data.pop(f"{stem}_length", None)
    return data
