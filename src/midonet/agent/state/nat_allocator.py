"""Source (ip, port) allocation for dynamic SNAT, safe across agents.

As MidoNet's NatLeaser/NatBlockAllocator: the ports of each (device, ip) are cut
into blocks of 64; before using a port the agent leases its block through the
NSDB's NAT lease table (an entry ephemeral under the agent's session, so a crashed
agent's blocks come free). Within its blocks the agent hands out ports so that no
two translations of a device use the same (ip, port) towards the same destination
(dst ip, dst port, protocol): the reply's key stays unique. A block whose last
port is freed is given back.

Runs on the agent's loop thread (the simulation calls `allocate` through the
simulation state); leasing a block is a store write, needed once per 64 concurrent
connections of one source address to one destination.
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import itertools
import logging
import random
import uuid
from collections.abc import Sequence
from typing import Final

from midonet.agent.simulation.state_keys import NatBinding
from midonet.errors import StoreError
from midonet.model import NatTarget
from midonet.store.state import NatLeases, Session

log = logging.getLogger(__name__)

BLOCK_SIZE: Final = 64
BLOCKS_PER_IP: Final = 65536 // BLOCK_SIZE
MAX_FREED_REMEMBERED: Final = 4096
"""Freed ports remembered per destination for reuse, lowest first."""
MAX_LEASE_ATTEMPTS: Final = 32
"""Blocks tried (at random within the target's ports) before giving up an ip."""

_Use = tuple[uuid.UUID, int, int, int, int, int]
"""(device, ip, port, dst ip, dst port, protocol): one translation's source."""


class SnatAllocator:
    def __init__(
        self, leases: NatLeases, session: Session, owner: str, rng: random.Random | None = None
    ) -> None:
        self._leases = leases
        self._session = session
        self._owner = owner
        self._random = rng or random.Random()
        self._blocks: dict[tuple[uuid.UUID, int], list[int]] = {}
        self._in_use: set[_Use] = set()
        self._per_block: dict[tuple[uuid.UUID, int, int], int] = {}
        self._freed: dict[tuple[uuid.UUID, int, int, int, int], list[int]] = {}
        """(device, ip, dst ip, dst port, proto) → a heap of the ports freed towards it."""
        self._used_towards: dict[tuple[uuid.UUID, int, int, int, int, int], int] = {}
        """(device, ip, block, dst ip, dst port, proto) → ports of the block in use
        towards that destination: full blocks are skipped without looking inside."""
        self._hints: dict[tuple[uuid.UUID, int, int, int, int, int, int], int] = {}
        """Where the next search for a destination's free port starts."""

    def allocate(
        self,
        device_id: uuid.UUID,
        dst_ip: int,
        dst_port: int,
        proto: int,
        targets: Sequence[NatTarget],
    ) -> NatBinding | None:
        """A free (ip, port) within `targets` for a translation towards
        (dst_ip, dst_port, proto); None when every port is taken or unleasable."""
        for target in targets:
            first, last = target.port_from or 1, target.port_to or 0xFFFF
            for ip in range(int(target.address_from), int(target.address_to) + 1):
                found = self._from_leased(device_id, ip, first, last, dst_ip, dst_port, proto)
                if found is None:
                    block = self._lease_new(device_id, ip, first, last)
                    if block is not None:  # search the new block first
                        hint = (device_id, ip, dst_ip, dst_port, proto, first, last)
                        self._hints[hint] = block * BLOCK_SIZE
                        found = self._from_leased(
                            device_id, ip, first, last, dst_ip, dst_port, proto
                        )
                if found is not None:
                    self._take((device_id, ip, found, dst_ip, dst_port, proto))
                    return NatBinding(ip, found)
        return None

    def free(
        self, device_id: uuid.UUID, dst_ip: int, dst_port: int, proto: int, binding: NatBinding
    ) -> None:
        """The translation using `binding` ended: its port is free again."""
        use = (device_id, binding.ip, binding.port, dst_ip, dst_port, proto)
        if use not in self._in_use:
            return
        self._in_use.discard(use)
        freed = self._freed.setdefault((device_id, binding.ip, dst_ip, dst_port, proto), [])
        if len(freed) < MAX_FREED_REMEMBERED:  # beyond that the scan finds them
            heapq.heappush(freed, binding.port)
        towards = self._towards(use)
        left_towards = self._used_towards.get(towards, 1) - 1
        if left_towards > 0:
            self._used_towards[towards] = left_towards
        else:
            self._used_towards.pop(towards, None)
        block_key = (device_id, binding.ip, binding.port // BLOCK_SIZE)
        left = self._per_block.get(block_key, 1) - 1
        if left > 0:
            self._per_block[block_key] = left
            return
        self._per_block.pop(block_key, None)
        self._release(device_id, binding.ip, binding.port // BLOCK_SIZE)

    def leased(self, device_id: uuid.UUID, ip: int) -> list[int]:
        """The block numbers this agent holds for (device, ip)."""
        return list(self._blocks.get((device_id, ip), ()))

    # --- within leased blocks ------------------------------------------------------------

    def _from_leased(
        self,
        device_id: uuid.UUID,
        ip: int,
        first: int,
        last: int,
        dst_ip: int,
        dst_port: int,
        proto: int,
    ) -> int | None:
        # Scan from where the last allocation towards this destination stopped, then
        # wrap around: ports are mostly taken in order, so a search costs a step or
        # two instead of a pass over every port in use (which made each new
        # connection slower than the one before).
        in_use = self._in_use
        freed = self._freed.get((device_id, ip, dst_ip, dst_port, proto))
        if freed:
            # The lowest port freed towards this destination first: a connection
            # that idled past its entry's life gets its old translation back when
            # nobody took it meanwhile (as a first-free search would give it).
            blocks_held = self._blocks.get((device_id, ip), ())
            skipped: list[int] = []
            found: int | None = None
            while freed:
                port = heapq.heappop(freed)
                if (device_id, ip, port, dst_ip, dst_port, proto) in in_use:
                    continue
                if not first <= port <= last or port // BLOCK_SIZE not in blocks_held:
                    skipped.append(port)
                    continue
                found = port
                break
            for port in skipped:
                if port // BLOCK_SIZE in blocks_held:
                    heapq.heappush(freed, port)
            if found is not None:
                return found
        hint_key = (device_id, ip, dst_ip, dst_port, proto, first, last)
        hint = self._hints.get(hint_key, 0)
        blocks = self._blocks.get((device_id, ip), ())
        used = self._used_towards
        # Blocks are kept sorted: from the hint upwards through the blocks, wrapping
        # around, and last the ports of the hint's block below the hint.
        at = bisect.bisect_left(blocks, hint // BLOCK_SIZE)
        if at == len(blocks):  # past the highest block: start again from the lowest
            at, hint = 0, 0
        split = at < len(blocks) and blocks[at] == hint // BLOCK_SIZE
        if not split:
            hint = 0
        order = itertools.chain(blocks[at:], blocks[:at], blocks[at : at + 1] if split else ())
        for n, block in enumerate(order):
            if used.get((device_id, ip, block, dst_ip, dst_port, proto), 0) >= BLOCK_SIZE:
                continue  # every port of the block is taken towards this destination
            low = max(first, block * BLOCK_SIZE)
            high = min(last, block * BLOCK_SIZE + BLOCK_SIZE - 1)
            if n == 0:
                low = max(low, hint)
            elif n == len(blocks):
                high = min(high, hint - 1)
            for port in range(low, high + 1):
                if (device_id, ip, port, dst_ip, dst_port, proto) not in in_use:
                    self._hints[hint_key] = port + 1
                    return port
        return None

    def _take(self, use: _Use) -> None:
        self._in_use.add(use)
        block_key = (use[0], use[1], use[2] // BLOCK_SIZE)
        self._per_block[block_key] = self._per_block.get(block_key, 0) + 1
        towards = self._towards(use)
        self._used_towards[towards] = self._used_towards.get(towards, 0) + 1

    @staticmethod
    def _towards(use: _Use) -> tuple[uuid.UUID, int, int, int, int, int]:
        device_id, ip, port, dst_ip, dst_port, proto = use
        return (device_id, ip, port // BLOCK_SIZE, dst_ip, dst_port, proto)

    # --- leases ----------------------------------------------------------------------------

    def _lease_new(self, device_id: uuid.UUID, ip: int, first: int, last: int) -> int | None:
        """Lease one more block of `ip`'s ports within [first, last]: its number, or
        None when none could be had."""
        held = self._blocks.setdefault((device_id, ip), [])
        taken = set(held)
        candidates = [
            b for b in range(first // BLOCK_SIZE, last // BLOCK_SIZE + 1) if b not in taken
        ]
        self._random.shuffle(candidates)
        address = ipaddress.IPv4Address(ip)
        for block in candidates[:MAX_LEASE_ATTEMPTS]:
            try:
                won = self._leases.try_lease(device_id, address, block, self._owner, self._session)
            except StoreError as e:
                log.warning(
                    "leasing NAT block %s/%d of %s failed: %s", address, block, device_id, e
                )
                return None
            if won:
                bisect.insort(held, block)  # in order: searches walk ports upwards
                return block
        return None

    def _release(self, device_id: uuid.UUID, ip: int, block: int) -> None:
        held = self._blocks.get((device_id, ip))
        if held is None or block not in held:
            return
        held.remove(block)
        try:
            self._leases.release(device_id, ipaddress.IPv4Address(ip), block, self._session)
        except StoreError as e:
            log.warning("releasing NAT block %s/%d failed: %s", ipaddress.IPv4Address(ip), block, e)
