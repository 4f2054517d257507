"""Physical button presses, from the panel's dispatcher thread to the kiosk page, by server-sent events.

Design (issue 3): the web process owns the one button panel. The page holds the ballot's state in its
JavaScript and treats a press exactly like the matching key (Yes = Y, Back = Backspace, Confirm = Enter); the
page tells the server which LEDs to light (``POST /kiosk/panel/lit``). So the server keeps no ballot state per
press, and a press is one queue hand-off and one small write on an open stream (~1 ms on loopback).

Waitress gives each open stream a worker thread for as long as it is open ([server] threads, 8 by default),
so the hub bounds them: each kiosk page opens exactly one stream; at most ``max_streams`` are open, and a
new one ends the oldest (which is nearly always a page the browser has already left: a closed page is only
noticed when a write to it fails). The ended page is told ``bye`` so it does not reconnect. Every stream
sends a keep-alive comment every ``keepalive_s`` so a vanished client is noticed, and checks waitress's
``client_disconnected`` (when the server runs with ``channel_request_lookahead`` > 0) every second.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

_BYE = object()


class Subscription:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()


class PressHub:
    """Fans each accepted press out to the open kiosk pages' event streams."""

    def __init__(self, *, max_streams: int = 4, keepalive_s: float = 10.0) -> None:
        self.max_streams = max(1, max_streams)
        self.keepalive_s = keepalive_s
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._closed = False

    def publish(self, name: str) -> None:
        """Called on the panel's dispatcher thread: hands the press to every stream and returns at once."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.queue.put(str(name))

    def subscribe(self) -> Subscription:
        sub = Subscription()
        with self._lock:
            if self._closed:
                sub.queue.put(_BYE)
                return sub
            self._subs.append(sub)
            while len(self._subs) > self.max_streams:
                oldest = self._subs.pop(0)
                oldest.queue.put(_BYE)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._subs)

    def close(self) -> None:
        """End every stream (at shutdown, so waitress's threads finish promptly)."""
        with self._lock:
            self._closed = True
            subs, self._subs = self._subs, []
        for sub in subs:
            sub.queue.put(_BYE)

    def stream(self, sub: Subscription, disconnected: Callable[[], bool] | None = None) -> Iterator[bytes]:
        """The text/event-stream body for one page; ends on ``bye``, shutdown or a vanished client."""
        try:
            yield b"retry: 1000\n: open\n\n"
            last_write = time.monotonic()
            while True:
                try:
                    item = sub.queue.get(timeout=1.0)
                except queue.Empty:
                    if disconnected is not None and disconnected():
                        return
                    if time.monotonic() - last_write >= self.keepalive_s:
                        last_write = time.monotonic()
                        yield b": keep-alive\n\n"
                    continue
                if item is _BYE:
                    yield b"event: bye\ndata: another page took over the buttons\n\n"
                    return
                last_write = time.monotonic()
                yield f"event: press\ndata: {item}\n\n".encode()
        finally:
            self.unsubscribe(sub)
