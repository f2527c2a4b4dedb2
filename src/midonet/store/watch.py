"""Watches: the latest state of followed entries, delivered on a background thread.

A backend feeds each `Watch` with `Change`s through `offer`. The watch keeps what
ZooKeeper watches promise and no more: the watcher always ends up with the latest
state, versions of an entry never go backwards, deletions are reported, and changes
that arrive faster than they are consumed collapse into the latest one per entry.

Consumers either iterate the watch, or pass a callback that a `Dispatcher` thread
calls; tests wait for a condition with `wait_for` (on the stream of changes) or
`wait_until` (on the current view).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Change(Generic[K, V]):
    """An entry's state at `version`; `value` None means it was deleted."""

    key: K
    version: int
    value: V | None

    @property
    def deleted(self) -> bool:
        return self.value is None


class WatchClosed(Exception):
    """Raised by `Watch.next` once the watch is closed and drained."""


class Watch(Generic[K, V]):
    """One subscription. Thread-safe; a backend calls `offer`, a consumer reads."""

    def __init__(
        self,
        *,
        callback: Callable[[Change[K, V]], None] | None = None,
        dispatcher: Dispatcher | None = None,
        on_close: Callable[[Watch[K, V]], None] | None = None,
    ) -> None:
        if callback is not None and dispatcher is None:
            raise ValueError("a callback watch needs a dispatcher")
        self._cond = threading.Condition()
        self._callback = callback
        self._dispatcher = dispatcher
        self._on_close = on_close
        self._versions: dict[K, int] = {}  # last version seen per entry, deleted ones too
        self._view: dict[K, V] = {}
        self._pending: dict[K, Change[K, V]] = {}  # insertion-ordered, one per entry
        self._floor = 0
        self._closed = False

    # --- backend side --------------------------------------------------------------

    def set_floor(self, version: int) -> None:
        """Ignore changes at or below `version` (the snapshot the watch started from
        already covers them)."""
        with self._cond:
            self._floor = max(self._floor, version)

    def offer(self, change: Change[K, V]) -> bool:
        """Record `change` unless it is not newer than what was seen; True if kept."""
        with self._cond:
            if self._closed or change.version <= self._floor:
                return False
            seen = self._versions.get(change.key)
            if seen is not None and change.version <= seen:
                return False
            if seen is None and change.value is None:
                return False  # deletion of something this watch never saw
            self._versions[change.key] = change.version
            if change.value is None:
                self._view.pop(change.key, None)
            else:
                self._view[change.key] = change.value
            self._pending[change.key] = change
            self._cond.notify_all()
        if self._callback is not None and self._dispatcher is not None:
            self._dispatcher.ready(self)
        return True

    def known(self) -> dict[K, int]:
        """Entries the watch currently holds, with their versions (for resyncs)."""
        with self._cond:
            return {k: self._versions[k] for k in self._view}

    # --- consumer side -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def view(self) -> dict[K, V]:
        """A copy of the latest value of every entry that exists."""
        with self._cond:
            return dict(self._view)

    def next(self, timeout: float | None = None) -> Change[K, V]:
        """The oldest undelivered change; `TimeoutError` after `timeout` seconds,
        `WatchClosed` when closed and drained."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._pending:
                if self._closed:
                    raise WatchClosed
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("no change within the timeout")
                self._cond.wait(remaining)
            key = next(iter(self._pending))
            return self._pending.pop(key)

    def __iter__(self) -> Iterator[Change[K, V]]:
        while True:
            try:
                yield self.next()
            except WatchClosed:
                return

    def wait_for(
        self, predicate: Callable[[Change[K, V]], bool], timeout: float = 10.0
    ) -> Change[K, V]:
        """Consume changes until one satisfies `predicate`; return it."""
        deadline = time.monotonic() + timeout
        while True:
            change = self.next(max(0.0, deadline - time.monotonic()))
            if predicate(change):
                return change

    def wait_until(
        self, predicate: Callable[[Mapping[K, V]], bool], timeout: float = 10.0
    ) -> dict[K, V]:
        """Block until the view satisfies `predicate`; return that view."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._view):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError(f"condition not met; view has {len(self._view)} entries")
                self._cond.wait(remaining)
            return dict(self._view)

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        if self._on_close is not None:
            self._on_close(self)

    def __enter__(self) -> Watch[K, V]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drain(self) -> None:
        """Deliver pending changes to the callback (on the dispatcher thread)."""
        assert self._callback is not None
        while True:
            with self._cond:
                if not self._pending or self._closed:
                    return
                key = next(iter(self._pending))
                change = self._pending.pop(key)
            try:
                self._callback(change)
            except Exception:
                # One faulty watcher must not stop delivery to the others.
                log.exception("watch callback failed on %r", change)


class Dispatcher:
    """A thread that runs the callbacks of callback watches, one change at a time."""

    def __init__(self, name: str = "watch-dispatcher") -> None:
        self._cond = threading.Condition()
        self._ready: dict[Watch[object, object], None] = {}
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def ready(self, watch: Watch[K, V]) -> None:
        with self._cond:
            self._ready[watch] = None  # type: ignore[index]
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                watch = next(iter(self._ready))
                del self._ready[watch]
            watch._drain()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01
) -> None:
    """Poll `condition` until it holds; `TimeoutError` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError("condition not met within the timeout")
        time.sleep(interval)
