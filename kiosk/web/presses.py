"""Physical button presses, from the panel's dispatcher thread to the kiosk page, by server-sent events.

Design (issue 3): the web process owns the one button panel. The page holds the ballot's state in its
JavaScript and treats a press exactly like the matching key (Yes = Y, Back = Backspace, Confirm = Enter); the
page tells the server which LEDs to light (``POST /kiosk/panel/lit``). So the server keeps no ballot state per
press, and a press is one queue hand-off and one small write on an open stream (~1 ms on loopback).

No press is lost or doubled when the page changes (issue 15): a press is numbered (``id: <epoch>.<seq>``, the
epoch a random word per hub, so numbers from before a restart never match) and the last ``replay_limit`` presses
of the last ``replay_s`` seconds are kept. A stream opened with a cursor (the ``Last-Event-ID`` an EventSource
sends when it reconnects, or ``?after=`` from a new page: the last press the previous page handled, kept in
the tab's sessionStorage) first gets every kept press after it, then the live ones, with no gap or overlap
between the two (both happen under one lock). Before this, a press made while the screen was loading the
next page (Confirm on "Vote now", then a choice at once; Cast, then Finish) went to the page being left, or
to no page at all, and was lost; so was every press while an EventSource reconnected.

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
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

_BYE = object()


@dataclass(frozen=True)
class Press:
    seq: int
    name: str
    at: float  # time.monotonic() when published


class Subscription:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()


class PressHub:
    """Fans each accepted press out to the open kiosk pages' event streams, numbered, replaying recent ones to a
    stream that says where it left off."""

    def __init__(
        self,
        *,
        max_streams: int = 4,
        keepalive_s: float = 10.0,
        replay_s: float = 15.0,
        replay_limit: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_streams = max(1, max_streams)
        self.keepalive_s = keepalive_s
        self.replay_s = replay_s
        self.epoch = secrets.token_hex(4)
        self._clock = clock
        self._recent: deque[Press] = deque(maxlen=max(1, replay_limit))
        self._seq = 0
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._closed = False

    def cursor(self) -> str:
        """Where the stream stands now (``epoch.seq`` of the last press): a page rendered now starts after it."""
        with self._lock:
            return f"{self.epoch}.{self._seq}"

    def last_press_at(self) -> float | None:
        """When (on this hub's clock) the last press came, or None before the first."""
        with self._lock:
            return self._recent[-1].at if self._recent else None

    def publish(self, name: str) -> None:
        """Called on the panel's dispatcher thread: hands the press to every stream and returns at once."""
        with self._lock:
            self._seq += 1
            press = Press(self._seq, str(name), self._clock())
            self._recent.append(press)
            # Under the lock, so that a stream subscribing now gets this press exactly once: either in its
            # replay or here, never both, never neither.
            for sub in self._subs:
                sub.queue.put(press)

    def _after(self, cursor: str | None) -> int | None:
        """The sequence number in ``cursor`` when it is one of ours (this epoch), else None."""
        epoch, _, seq = (cursor or "").strip().partition(".")
        if epoch != self.epoch or not seq.isdigit():
            return None
        return min(int(seq), self._seq)

    def subscribe(self, after: str | None = None) -> Subscription:
        """A new stream; with ``after`` (a cursor from :meth:`cursor` or an event id), first every kept press
        after it that is at most ``replay_s`` old."""
        sub = Subscription()
        with self._lock:
            if self._closed:
                sub.queue.put(_BYE)
                return sub
            last = self._after(after)
            if last is not None:
                oldest = self._clock() - self.replay_s
                for press in self._recent:
                    if press.seq > last and press.at >= oldest:
                        sub.queue.put(press)
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
                assert isinstance(item, Press)
                last_write = time.monotonic()
                yield f"id: {self.epoch}.{item.seq}\nevent: press\ndata: {item.name}\n\n".encode()
        finally:
            self.unsubscribe(sub)
