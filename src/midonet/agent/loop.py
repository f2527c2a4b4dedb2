"""The agent's single-threaded event loop: readable file descriptors, timers, and
calls posted from other threads.

Everything that touches the datapath, the flow table or parked packets runs on this
one thread, so none of it needs a lock. Store watches and the topology worker run on
their own threads: they hand work over with `call_soon_threadsafe`, which queues the
call and wakes the loop through an eventfd.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import selectors
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

Callback = Callable[[], object]  # results are ignored


class Timer:
    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callback) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class EventLoop:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, busy_poll: float = 0.0
    ) -> None:
        self.clock = clock
        self.busy_poll = busy_poll
        """Seconds to keep polling without sleeping after the last event (see
        `run_once`); 0 sleeps at once."""
        self._hot_until = 0.0
        self._selector = selectors.DefaultSelector()
        self._wakeup = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._selector.register(self._wakeup, selectors.EVENT_READ, self._drain_wakeup)
        self._posted: deque[Callback] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.errors = 0

    # --- registration (loop thread) ---------------------------------------------------

    def add_reader(self, fd: int, callback: Callback) -> None:
        self._selector.register(fd, selectors.EVENT_READ, callback)

    def remove_reader(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(fd)

    def call_later(self, delay: float, callback: Callback) -> Timer:
        timer = Timer(self.clock() + delay, callback)
        heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def call_every(self, interval: float, callback: Callback) -> None:
        """Run `callback` every `interval` seconds for as long as the loop runs."""

        def tick() -> None:
            try:
                callback()
            finally:
                self.call_later(interval, tick)

        self.call_later(interval, tick)

    # --- from any thread ----------------------------------------------------------------

    def call_soon_threadsafe(self, callback: Callback) -> None:
        self._posted.append(callback)
        self._wake()

    def stop(self) -> None:
        self._stopping = True
        self._wake()

    def _wake(self) -> None:
        if not self._closed:  # a late call after close has nobody to wake
            with contextlib.suppress(OSError):
                os.eventfd_write(self._wakeup, 1)

    @property
    def in_loop_thread(self) -> bool:
        return self._thread is threading.current_thread()

    # --- running ------------------------------------------------------------------------

    def run(self) -> None:
        self._thread = threading.current_thread()
        self._stopping = False
        while not self._stopping:
            self.run_once()

    def run_once(self, max_wait: float = 1.0) -> None:
        timeout = max_wait
        if self._posted:
            timeout = 0.0
        elif self._timers:
            timeout = min(max_wait, max(0.0, self._timers[0][0] - self.clock()))
        # Busy polling: for a moment after traffic, poll instead of sleeping. Waking
        # a sleeping thread costs ~0.1 ms here (more than forwarding a packet), and
        # a request's answer usually comes back within that moment (a TCP SYN-ACK).
        # Real time, not `clock`: tests drive `clock` by hand.
        if self.busy_poll and time.monotonic() < self._hot_until:
            timeout = 0.0
        events = self._selector.select(timeout)
        if events and self.busy_poll:
            self._hot_until = time.monotonic() + self.busy_poll
        for key, _ in events:
            self._guard(key.data)
        while self._posted:
            self._guard(self._posted.popleft())
        now = self.clock()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                self._guard(timer.callback)

    def _guard(self, callback: Callback) -> None:
        """One failing callback must never stop the loop (and the datapath with it)."""
        try:
            callback()
        except Exception:
            self.errors += 1
            log.exception("event loop callback %r failed", callback)

    def _drain_wakeup(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.eventfd_read(self._wakeup)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._selector.close()
        os.close(self._wakeup)
