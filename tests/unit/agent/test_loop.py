"""The agent's event loop: readers, timers, calls from other threads, and failing
callbacks that must not stop it."""

from __future__ import annotations

import os
import threading

from midonet.agent.loop import EventLoop


def test_timers_run_in_order_and_can_be_cancelled() -> None:
    now = [0.0]
    loop = EventLoop(clock=lambda: now[0])
    ran: list[str] = []
    loop.call_later(2, lambda: ran.append("b"))
    loop.call_later(1, lambda: ran.append("a"))
    loop.call_later(1.5, lambda: ran.append("never")).cancel()
    now[0] = 3
    loop.run_once(0)
    assert ran == ["a", "b"]
    loop.close()


def test_a_failing_callback_is_counted_and_the_loop_goes_on() -> None:
    loop = EventLoop()
    ran: list[int] = []

    def boom() -> None:
        raise RuntimeError("boom")

    loop.call_soon_threadsafe(boom)
    loop.call_soon_threadsafe(lambda: ran.append(1))
    loop.run_once(0)
    assert ran == [1] and loop.errors == 1
    loop.close()


def test_readers_and_cross_thread_stop() -> None:
    loop = EventLoop()
    r, w = os.pipe()
    got: list[bytes] = []
    loop.add_reader(r, lambda: got.append(os.read(r, 10)))
    os.write(w, b"hi")
    every: list[int] = []
    loop.call_every(0.01, lambda: every.append(1))
    thread = threading.Thread(target=loop.run)
    thread.start()
    threading.Timer(0.2, loop.stop).start()
    thread.join(5)
    assert not thread.is_alive() and got == [b"hi"] and len(every) >= 3
    loop.remove_reader(r)
    os.close(r)
    os.close(w)
    loop.close()
