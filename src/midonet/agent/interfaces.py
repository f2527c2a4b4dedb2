"""The host's network interfaces, read and followed through rtnetlink (pyroute2).

`scan()` lists links and their addresses as the model's `HostInterface`s;
`InterfaceMonitor` follows link and address events: any event means "scan again",
which is cheap and cannot miss a change. pyroute2's messages are untyped, so this
module is their only reader.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

from pyroute2 import IPRoute  # type: ignore[import-untyped]

from midonet.model import HostInterface
from midonet.model.base import IPAddress
from midonet.model.host import InterfaceEndpoint, InterfaceType

log = logging.getLogger(__name__)

IFF_UP = 0x1
IFF_LOOPBACK = 0x8
IFF_LOWER_UP = 0x10000
_TUNNEL_KINDS = frozenset({"vxlan", "gre", "gretap", "ipip", "geneve", "sit", "ip6tnl"})
_VIRTUAL_KINDS = frozenset({"veth", "tun", "bridge", "macvlan", "macvtap", "vlan", "dummy"})


class InterfaceMonitor:
    """Scans the interfaces, then follows netlink link/address events on a thread of
    its own (pyroute2's sockets belong to the thread that made them) and calls
    `on_change` with each new, different snapshot."""

    def __init__(self, on_change: Callable[[dict[str, HostInterface]], None]) -> None:
        self._on_change = on_change
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._wakeup = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._error: BaseException | None = None
        self.current: dict[str, HostInterface] = {}
        self.indexes: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name="netlink", daemon=True)

    def start(self, timeout: float = 10.0) -> dict[str, HostInterface]:
        """Start following; the first snapshot."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("netlink did not answer")
        if self._error is not None:
            raise OSError(f"netlink: {self._error}") from self._error
        return self.current

    def _run(self) -> None:
        query: Any = None
        monitor: Any = None
        try:
            query = IPRoute()
            monitor = IPRoute()
            monitor.bind()
            self.current, self.indexes = scan(query), link_indexes(query)
        except Exception as e:
            self._error = e
            self._ready.set()
            _close(query, monitor)
            return
        self._ready.set()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(monitor.fileno(), selectors.EVENT_READ)
                selector.register(self._wakeup, selectors.EVENT_READ)
                while not self._stop.is_set():
                    if not selector.select():
                        continue
                    if self._stop.is_set():
                        break
                    list(monitor.get())  # any event: scan again
                    snapshot, indexes = scan(query), link_indexes(query)
                    # A link made again under its old name may look the same but is
                    # a new interface (bound sockets must reopen): compare indexes.
                    if snapshot != self.current or indexes != self.indexes:
                        self.current, self.indexes = snapshot, indexes
                        self._on_change(snapshot)
        except Exception:
            log.exception("following netlink failed; interface changes are not seen")
        finally:
            # Closed on this thread: pyroute2's sockets belong to the thread that
            # made them, and closing them elsewhere leaks their transports.
            _close(query, monitor)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            os.eventfd_write(self._wakeup, 1)
        if self._thread.is_alive():
            self._thread.join(5)
        with contextlib.suppress(OSError):
            os.close(self._wakeup)


def _close(*iprs: Any) -> None:
    for ipr in iprs:
        if ipr is not None:
            with contextlib.suppress(OSError):
                ipr.close()


def scan(ipr: Any) -> dict[str, HostInterface]:
    """The links and addresses `ipr` (a pyroute2 IPRoute) reports, by name."""
    addresses: dict[int, list[IPAddress]] = {}
    for msg in ipr.get_addr():
        try:
            ip = ipaddress.ip_address(str(msg.get("address")))
        except ValueError:
            continue
        addresses.setdefault(int(msg.get("index")), []).append(ip)
    out: dict[str, HostInterface] = {}
    for msg in ipr.get_links():
        try:
            iface = _interface(msg, addresses.get(int(msg.get("index")), []))
        except Exception:
            log.exception("skipping a link netlink reported: %r", msg)
            continue
        out[iface.name] = iface
    return out


def link_indexes(ipr: Any) -> dict[str, int]:
    return {str(msg.get("ifname")): int(msg.get("index")) for msg in ipr.get_links()}


def _interface(msg: Any, addresses: list[IPAddress]) -> HostInterface:
    flags = int(msg.get("flags") or 0)
    kind = msg.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
    mac = msg.get("address")
    if flags & IFF_LOOPBACK:
        type_, endpoint = InterfaceType.VIRTUAL, InterfaceEndpoint.LOCALHOST
    elif kind in _TUNNEL_KINDS:
        type_, endpoint = InterfaceType.TUNNEL, InterfaceEndpoint.UNKNOWN
    elif kind == "tun":
        type_, endpoint = InterfaceType.VIRTUAL, InterfaceEndpoint.TUNTAP
    elif kind in _VIRTUAL_KINDS:
        type_, endpoint = InterfaceType.VIRTUAL, InterfaceEndpoint.UNKNOWN
    elif kind is None:
        type_, endpoint = InterfaceType.PHYSICAL, InterfaceEndpoint.PHYSICAL
    else:
        type_, endpoint = InterfaceType.UNKNOWN, InterfaceEndpoint.UNKNOWN
    return HostInterface(
        name=str(msg.get("ifname")),
        mac=str(mac) if mac and len(str(mac)) == 17 else None,
        mtu=int(msg.get("mtu") or 0),
        addresses=tuple(addresses),
        type=type_,
        endpoint=endpoint,
        up=bool(flags & IFF_UP),
        has_link=bool(flags & IFF_LOWER_UP),
    )


def hostname() -> str:
    return socket.gethostname()
