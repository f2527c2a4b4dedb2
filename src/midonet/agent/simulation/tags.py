"""Flow tags: what a simulation read, so that a change to it invalidates the flow.

A model object (device, port, chain, rule, route, port group, IP address group,
mirror) is tagged by its UUID: ids are unique across kinds, and the virtual topology
invalidates an object's id when it changes. Learned state is tagged by tuples whose
first item names the table.
"""

from __future__ import annotations

import uuid
from typing import Final

MAC_TAG: Final = "mac"
ARP_TAG: Final = "arp"
BRIDGE_ARP_TAG: Final = "bridge-arp"


def mac_tag(bridge_id: uuid.UUID, vlan: int, mac: bytes) -> tuple[str, uuid.UUID, int, bytes]:
    """A bridge's MAC-table entry, looked up or learned: invalidated when the MAC is
    learned, moves to another port or is forgotten (flows flooded for an unknown
    destination and flows from the MAC's old port go with it)."""
    return (MAC_TAG, bridge_id, vlan, mac)


def arp_tag(router_id: uuid.UUID, ip: int) -> tuple[str, uuid.UUID, int]:
    """A router's ARP entry for a next hop: invalidated when its MAC changes."""
    return (ARP_TAG, router_id, ip)


def bridge_arp_tag(bridge_id: uuid.UUID, ip: int) -> tuple[str, uuid.UUID, int]:
    """A bridge's IP→MAC entry used for a next hop."""
    return (BRIDGE_ARP_TAG, bridge_id, ip)
