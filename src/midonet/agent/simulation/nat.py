"""NAT: rules dnat/snat/rev_dnat/rev_snat, and the translations the load balancer asks for.

As MidoNet's NatState and NAT rules:

- Static NAT (no target gives ports: floating IPs) is stateless. DNAT sets the
  destination to the target's first address, SNAT the source; for an ICMP error the
  quoted datagram is rewritten too (the address the rule matched on becomes the
  target), so errors about translated packets reach the right host.
- Dynamic NAT keeps state. A forward translation looks its key up (the packet's
  5-tuple, ICMP echo id as both ports, and the device) and reuses the binding, or
  chooses one: DNAT a random address and port within a random target; SNAT a free
  source (ip, port) from the state's allocator, which never hands out one another
  translation of the device uses towards the same destination (across agents:
  leased port blocks). It records the forward key and the return key; the flow is
  tagged with both, which keeps them alive while it lives.
- Reverse translations look the reply's key up and restore the original address
  and port; an ICMP error is looked up by the datagram it quotes (reversed) and its
  quote is translated back too. A reverse rule that finds nothing does not match.
- ICMP echo keeps its identifier (MidoNet translates only the address); ICMP errors
  are not given new forward translations (only static and reverse NAT apply to
  them). Only IPv4 TCP, UDP, ICMP echo and ICMP errors quoting a datagram are
  translated.

Sticky DNAT (the load balancer's source-IP persistence) keys on the client's
address only: every connection from it gets the same backend while the entry lives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from midonet.agent.simulation.result import NatBound
from midonet.agent.simulation.state_keys import NatBinding, NatKey, NatKind
from midonet.model import NatTarget
from midonet.packets.constants import (
    ETH_TYPE_IPV4,
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_PARAM_PROBLEM,
    ICMP_TIME_EXCEEDED,
    IP_PROTO_ICMP,
    IP_PROTO_TCP,
    IP_PROTO_UDP,
)

if TYPE_CHECKING:
    from midonet.agent.simulation.context import PacketContext

__all__ = [
    "NatBinding",
    "NatKey",
    "NatKind",
    "apply_dnat",
    "apply_snat",
    "apply_static",
    "existing",
    "is_supported",
    "reverse_dnat",
    "reverse_snat",
]

_ECHO = (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY)
_ERRORS = (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM)


def _is_icmp_error(ctx: PacketContext) -> bool:
    return ctx.nw_proto == IP_PROTO_ICMP and ctx.icmp_error


def is_supported(ctx: PacketContext) -> bool:
    """MidoNet's isNatSupported: IPv4 TCP/UDP, ICMP echo, ICMP errors with a quote."""
    if ctx.ethertype != ETH_TYPE_IPV4:
        return False
    if ctx.nw_proto in (IP_PROTO_TCP, IP_PROTO_UDP):
        return True
    if ctx.nw_proto == IP_PROTO_ICMP:
        if ctx.src_port in _ECHO:
            return True
        return ctx.src_port in _ERRORS and ctx.icmp_error
    return False


def _key(ctx: PacketContext, kind: NatKind, device_id: uuid.UUID) -> NatKey:
    """The packet's key as it is now (MidoNet's NatKey(wcmatch, device, type))."""
    if ctx.nw_proto == IP_PROTO_ICMP:
        if _is_icmp_error(ctx):  # the quoted datagram, seen from the reply's side
            return NatKey(
                kind,
                ctx.icmp_data_dst,
                ctx.icmp_data_dst_port,
                ctx.icmp_data_src,
                ctx.icmp_data_src_port,
                ctx.match.icmp_data_proto,
                device_id,
            )
        src_port = dst_port = ctx.match.icmp_id
    else:
        src_port, dst_port = ctx.src_port, ctx.dst_port
    if kind is NatKind.FWD_STICKY_DNAT:
        src_port = 0
    elif kind is NatKind.REV_STICKY_DNAT:
        dst_port = 0
    return NatKey(kind, ctx.nw_src, src_port, ctx.nw_dst, dst_port, ctx.nw_proto, device_id)


def _lookup(ctx: PacketContext, key: NatKey) -> NatBinding | None:
    ctx.tags.add(key)
    found = ctx.nat_pending.get(key) if ctx.nat_pending else None
    return found if found is not None else ctx.state.nat_binding(key)


def _record(ctx: PacketContext, key: NatKey, binding: NatBinding) -> None:
    if ctx.nat_pending is None:
        ctx.nat_pending = {}
    ctx.nat_pending[key] = binding
    ctx.state_changes.append(NatBound(key, binding))
    ctx.tags.add(key)


# --- forward ------------------------------------------------------------------------


def existing(ctx: PacketContext, kind: NatKind, device_id: uuid.UUID) -> NatBinding | None:
    """The translation the packet already has, if any (the flow is tagged with its
    key either way)."""
    if not is_supported(ctx):
        return None
    return _lookup(ctx, _key(ctx, kind, device_id))


def apply_dnat(
    ctx: PacketContext,
    device_id: uuid.UUID,
    targets: Sequence[NatTarget],
    sticky: bool = False,
    replace: bool = False,
) -> bool:
    """Translate the destination; False when the packet cannot be translated. The
    load balancer passes one target, the member it chose, and `replace` when the
    connection's previous backend is no longer valid."""
    if not is_supported(ctx) or _is_icmp_error(ctx) or not targets:
        return False
    kind = NatKind.FWD_STICKY_DNAT if sticky else NatKind.FWD_DNAT
    key = _key(ctx, kind, device_id)
    binding = None if replace else _lookup(ctx, key)
    if binding is None:
        target = targets[ctx.state.random.randrange(len(targets))]
        ip = ctx.state.random.randint(int(target.address_from), int(target.address_to))
        if ctx.nw_proto == IP_PROTO_ICMP:
            port = key.dst_port
        elif target.has_ports:
            port = ctx.state.random.randint(target.port_from, target.port_to)
        else:
            port = ctx.dst_port
        binding = _bind(ctx, key, NatBinding(ip, port))
    else:
        _keep(ctx, key, binding)
    if ctx.trace is not None:
        ctx.step("nat", device_id, detail=(("key", str(key)), ("binding", str(binding))))
    ctx.nw_dst = binding.ip
    ctx.nw_dst_rewritten = True
    if ctx.nw_proto != IP_PROTO_ICMP:
        ctx.dst_port = binding.port
    return True


def apply_snat(ctx: PacketContext, device_id: uuid.UUID, targets: Sequence[NatTarget]) -> bool:
    """Translate the source to a free (ip, port) of `targets`; False when the packet
    cannot be translated or every port is taken."""
    if not is_supported(ctx) or _is_icmp_error(ctx) or not targets:
        return False
    key = _key(ctx, NatKind.FWD_SNAT, device_id)
    binding = _lookup(ctx, key)
    if binding is None:
        chosen: NatBinding | None
        if ctx.nw_proto == IP_PROTO_ICMP:
            target = targets[ctx.state.random.randrange(len(targets))]
            ip = ctx.state.random.randint(int(target.address_from), int(target.address_to))
            chosen = NatBinding(ip, key.src_port)
        else:
            chosen = ctx.state.allocate_snat(
                device_id, key.dst_ip, key.dst_port, key.proto, targets
            )
        if chosen is None:
            if ctx.trace is not None:
                ctx.step("nat", device_id, detail=(("key", str(key)), ("binding", "none free")))
            return False
        binding = _bind(ctx, key, chosen)
    else:
        _keep(ctx, key, binding)
    if ctx.trace is not None:
        ctx.step("nat", device_id, detail=(("key", str(key)), ("binding", str(binding))))
    ctx.nw_src = binding.ip
    if ctx.nw_proto != IP_PROTO_ICMP:
        ctx.src_port = binding.port
    return True


def _bind(ctx: PacketContext, key: NatKey, binding: NatBinding) -> NatBinding:
    _record(ctx, key, binding)
    _record(ctx, key.return_key(binding), key.return_binding())
    return binding


def _keep(ctx: PacketContext, key: NatKey, binding: NatBinding) -> None:
    """An existing translation: tag the flow with both keys so they live with it."""
    ctx.tags.add(key)
    ctx.tags.add(key.return_key(binding))


# --- reverse ------------------------------------------------------------------------


def reverse_dnat(ctx: PacketContext, device_id: uuid.UUID, sticky: bool = False) -> bool:
    """Restore the original destination as the reply's source; False if no DNAT."""
    if not is_supported(ctx):
        return False
    kind = NatKind.REV_STICKY_DNAT if sticky else NatKind.REV_DNAT
    key = _key(ctx, kind, device_id)
    binding = _lookup(ctx, key)
    if binding is None:
        return False
    if ctx.trace is not None:
        ctx.step("reverse nat", device_id, detail=(("key", str(key)), ("binding", str(binding))))
    if ctx.nw_proto != IP_PROTO_ICMP:
        ctx.nw_src = binding.ip
        ctx.src_port = binding.port
        return True
    if not _is_icmp_error(ctx):
        ctx.nw_src = binding.ip  # an echo reply from the translated address
        return True
    if sticky:
        return False  # MidoNet does not translate errors about sticky connections
    changed = False
    if ctx.nw_src == key.src_ip:
        ctx.nw_src = binding.ip
        changed = True
    if ctx.icmp_data_dst == key.src_ip:  # the quote's destination was the translated one
        ctx.icmp_data_dst = binding.ip
        ctx.icmp_data_dst_port = binding.port
        changed = True
    return changed


def reverse_snat(ctx: PacketContext, device_id: uuid.UUID) -> bool:
    """Restore the original source as the reply's destination; False if no SNAT."""
    if not is_supported(ctx):
        return False
    key = _key(ctx, NatKind.REV_SNAT, device_id)
    binding = _lookup(ctx, key)
    if binding is None:
        return False
    if ctx.trace is not None:
        ctx.step("reverse nat", device_id, detail=(("key", str(key)), ("binding", str(binding))))
    if ctx.nw_proto != IP_PROTO_ICMP or not _is_icmp_error(ctx):
        ctx.nw_dst = binding.ip
        ctx.nw_dst_rewritten = True
        if ctx.nw_proto != IP_PROTO_ICMP:
            ctx.dst_port = binding.port
        return True
    changed = False
    if ctx.nw_dst == key.dst_ip:
        ctx.nw_dst = binding.ip
        ctx.nw_dst_rewritten = True
        changed = True
    if ctx.icmp_data_src == key.dst_ip:  # the quote's source was the translated one
        ctx.icmp_data_src = binding.ip
        ctx.icmp_data_src_port = binding.port
        changed = True
    return changed


# --- static (floating IP) -------------------------------------------------------------


def apply_static(
    ctx: PacketContext,
    device_id: uuid.UUID,
    dnat: bool,
    target: int,
    matched_nw: int | None,
    matched_icmp_data_dst: int | None,
) -> bool:
    """MidoNet's StaticForwardNatRule. `matched_nw` is the single address the rule's
    condition names (its nw_dst for DNAT, nw_src for SNAT), `matched_icmp_data_dst`
    a DNAT rule's icmp_data_dst address: with them an ICMP error's quote is fixed."""
    if ctx.ethertype != ETH_TYPE_IPV4:
        return False
    icmp_error = _is_icmp_error(ctx)
    if dnat:
        if matched_icmp_data_dst is None:
            ctx.nw_dst = target
            ctx.nw_dst_rewritten = True
        if icmp_error:
            if matched_icmp_data_dst is not None:
                if ctx.icmp_data_dst == matched_icmp_data_dst:
                    ctx.icmp_data_dst = target
            elif matched_nw is not None and ctx.icmp_data_src == matched_nw:
                ctx.icmp_data_src = target
    else:
        ctx.nw_src = target
        if icmp_error and matched_nw is not None and ctx.icmp_data_dst == matched_nw:
            ctx.icmp_data_dst = target
    if ctx.trace is not None:
        what = "static dnat" if dnat else "static snat"
        ctx.step("nat", device_id, detail=((what, _text(target)),))
    return True


def _text(ip: int) -> str:
    return ".".join(str((ip >> s) & 0xFF) for s in (24, 16, 8, 0))
