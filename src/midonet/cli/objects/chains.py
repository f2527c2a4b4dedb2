"""Chains and their rules (condition attributes of the guide's tables 7.1 and 7.2)."""

from __future__ import annotations

from collections.abc import Callable

from midonet.cli.objects import JSON, Context, Field, Kind, plain, ref, register, split_cidr
from midonet.model.mac import format_mac_mask, parse_mac_mask


def _neg(v: str) -> tuple[bool, str]:
    return (True, v[1:]) if v.startswith("!") else (False, v)


def _inv(word: str, key: str, inv: str, conv: Callable[[str], object] = str) -> Field:
    def parse(v: str, c: Context) -> JSON:
        neg, val = _neg(v)
        return {key: conv(val), inv: neg}

    def show(o: JSON, c: Context) -> str | None:
        if o.get(key) is None:
            return None
        return ("!" if o.get(inv) else "") + str(o[key])

    return Field(word, parse, show, (key, inv))


def _net(word: str, addr: str, length: str, inv: str) -> Field:
    def parse(v: str, c: Context) -> JSON:
        neg, val = _neg(v)
        ip, n = split_cidr(val)
        return {addr: ip, length: n, inv: neg}

    def show(o: JSON, c: Context) -> str | None:
        if o.get(addr) is None:
            return None
        n = o.get(length)
        full = 128 if ":" in o[addr] else 32
        text = o[addr] if n == full else f"{o[addr]}/{n}"
        return ("!" if o.get(inv) else "") + text

    return Field(word, parse, show, (addr, length, inv))


def _range(word: str, key: str, inv: str) -> Field:
    def parse(v: str, c: Context) -> JSON:
        neg, val = _neg(v)
        lo, _, hi = val.partition(":")
        return {key: {"start": int(lo), "end": int(hi or lo)}, inv: neg}

    def show(o: JSON, c: Context) -> str | None:
        r = o.get(key)
        if not r:
            return None
        text = str(r["start"]) if r["start"] == r["end"] else f"{r['start']}:{r['end']}"
        return ("!" if o.get(inv) else "") + text

    return Field(word, parse, show, (key, inv))


def _ports(word: str, key: str, inv: str) -> Field:
    def parse(v: str, c: Context) -> JSON:
        neg, val = _neg(v)
        return {key: [c.ref("port", p) for p in val.split(",")], inv: neg}

    def show(o: JSON, c: Context) -> str | None:
        ids = o.get(key) or []
        if not ids:
            return None
        names = ",".join(c.show_ref("port", i) or i for i in ids)
        return ("!" if o.get(inv) else "") + names

    return Field(word, parse, show, (key, inv))


def _flow(v: str, c: Context) -> JSON:
    if v not in ("forward-flow", "return-flow"):
        raise ValueError(f"flow must be forward-flow or return-flow, not {v}")
    return {"matchForwardFlow": v == "forward-flow", "matchReturnFlow": v == "return-flow"}


def _show_flow(o: JSON, c: Context) -> str | None:
    if o.get("matchForwardFlow"):
        return "forward-flow"
    return "return-flow" if o.get("matchReturnFlow") else None


def _target(v: str, c: Context) -> JSON:
    ips, _, ports = v.partition(":")
    lo, _, hi = ips.partition("-")
    plo, _, phi = ports.partition("-")
    return {
        "natTargets": [
            {
                "addressFrom": lo,
                "addressTo": hi or lo,
                "portFrom": int(plo) if plo else 0,
                "portTo": int(phi or plo) if plo else 0,
            }
        ]
    }


def _show_target(o: JSON, c: Context) -> str | None:
    targets = o.get("natTargets") or []
    if not targets:
        return None
    t = targets[0]
    text = (
        t["addressFrom"]
        if t["addressFrom"] == t["addressTo"]
        else (f"{t['addressFrom']}-{t['addressTo']}")
    )
    if t.get("portFrom"):
        ports = str(t["portFrom"])
        if t["portTo"] != t["portFrom"]:
            ports += f"-{t['portTo']}"
        text += ":" + ports
    return str(text)


def _show_fragments(o: JSON, c: Context) -> str | None:
    """The policy, unless it is the one the API derives by default."""
    policy = o.get("fragmentPolicy")
    ported = any(t.get("portFrom") for t in o.get("natTargets") or [])
    default = "unfragmented" if ported else "header" if o.get("tpSrc") or o.get("tpDst") else "any"
    return None if policy in (None, default) else str(policy)


def _mask(word: str, key: str) -> Field:
    return Field(
        word,
        lambda v, c: {key: format_mac_mask(parse_mac_mask(v))},
        lambda o, c: None if o.get(key) in (None, "ffff.ffff.ffff") else o[key],
        (key,),
    )


def _zero(word: str, key: str, inv: str) -> Field:
    base = _inv(word, key, inv, int)
    return Field(
        word, base.parse, lambda o, c: (base.show(o, c) if base.show else None) or "0", base.clear
    )


RULE_FIELDS = (
    _inv("ethertype", "dlType", "invDlType", int),
    _inv("hw-src", "dlSrc", "invDlSrc"),
    _mask("hw-src-mask", "dlSrcMask"),
    _inv("hw-dst", "dlDst", "invDlDst"),
    _mask("hw-dst-mask", "dlDstMask"),
    _net("src", "nwSrcAddress", "nwSrcLength", "invNwSrc"),
    _net("dst", "nwDstAddress", "nwDstLength", "invNwDst"),
    _zero("proto", "nwProto", "invNwProto"),
    _zero("tos", "nwTos", "invNwTos"),
    _range("src-port", "tpSrc", "invTpSrc"),
    _range("dst-port", "tpDst", "invTpDst"),
    _ports("in-ports", "inPorts", "invInPorts"),
    _ports("out-ports", "outPorts", "invOutPorts"),
    ref("port-group", "portGroup", "port-group"),
    ref("ip-address-group-src", "ipAddrGroupSrc", "ip-address-group"),
    ref("ip-address-group-dst", "ipAddrGroupDst", "ip-address-group"),
    _inv("vlan", "vlan", "invVlan", int),
    ref("traversed-device", "traversedDevice", "router"),
    Field("fragment-policy", lambda v, c: {"fragmentPolicy": v}, _show_fragments),
    Field("flow", _flow, _show_flow, ("matchForwardFlow", "matchReturnFlow")),
    plain("pos", "position", int),
    plain("type", "type"),
    ref("jump-to", "jumpChainId", "chain"),
    plain("action", "flowAction"),
    Field("target", _target, _show_target, ("natTargets",)),
    plain("meter", "meterName"),
)

register(
    Kind(
        "chain",
        "chainTemplate",
        (plain("name", "name"),),
        top="chains",
        children={"rule": "rules"},
        tenant=True,
    ),
    Kind("rule", "ruleTemplate", RULE_FIELDS, parent=("chainId", "chain")),
)
