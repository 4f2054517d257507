"""The kiosk's waitress server: waitress with a channel that does not spin while its request runs, and
worker threads woken newest first.

The kiosk runs waitress with ``channel_request_lookahead=1`` so that a closed page's button stream is noticed
at once and its thread freed (docs/kiosk.md). With it the channel stays readable while its request runs, so
waitress 3.0.2's main loop is in ``select`` then and is woken, and from then on ``HTTPChannel.writable()`` is
true whenever a response's bytes are buffered, also while the worker thread holds the output lock to send them
itself; ``handle_write()`` then finds the lock taken and does nothing, and the loop selects again at once.
Measured: 75-760 polls per request instead of 2, and the spinning thread takes the CPU (and the GIL) from the
worker that would release the lock. At Pi speed that CPU comes out of the same core as the request's own
(docs/benchmarks.md).

``KioskChannel.writable()`` is false while its request runs and the worker holds the output lock: the worker
sends what it wrote itself (``send_bytes`` is 1), and whatever it could not send, it leaves for the loop with a
pull of waitress's trigger, which ``write_soon`` here repeats once the lock is released (waitress pulls it while
still holding the lock). When more than ``outbuf_high_watermark`` is buffered the worker waits for the loop to
drain it, so the channel is writable then as before. Reading is untouched, so a closed connection is still seen
at once.

``KioskDispatcher`` hands each request to the worker thread that went idle last. waitress's dispatcher wakes
the one that has waited longest (``threading.Condition.notify`` is first in, first out), so with 8 threads
one attendee's requests went round all 8 in turn, each on a thread whose stack and objects had long left the
CPU's caches. A sign-in look-up on one pinned core took 1.31 and 1.52 ms of server CPU that way and 1.00 and
1.10 ms with the newest idle thread in one alternated run, 1.17 and 1.07 ms (medians of 5) in another: a little,
not always (docs/benchmarks.md). Nothing else changes: the same threads, the same
queue, the same order of requests.

This relies on waitress's internals; pyproject.toml pins waitress and tests/test_http_server.py fails loudly if
an upgrade changes the code this reasons about.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import waitress
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ThreadedTaskDispatcher

WAITRESS_VERSION = "3.0.2"  # the version whose HTTPChannel.writable/handle_write this module was checked against


class KioskChannel(HTTPChannel):
    """waitress's HTTP channel, not writable while its own worker holds the output to send it itself."""

    def writable(self) -> bool:
        if self.will_close or self.close_when_flushed:
            return True  # handle_write closes the channel
        if not self.total_outbufs_len:
            return False
        if not self.requests or self.total_outbufs_len > self.adj.outbuf_high_watermark:
            return True  # no worker is sending, or it waits for this loop to drain the buffer
        if self.outbuf_lock.acquire(False):  # the worker is not in write_soon: what is buffered is ours to send
            self.outbuf_lock.release()
            return True
        return False  # the worker sends it, or pulls the trigger once it has let go of the lock

    def write_soon(self, data: Any) -> int:
        written: int = super().write_soon(data)
        if self.total_outbufs_len and self.connected:
            # Bytes the worker could not send: waitress pulled the trigger with the lock still held, when
            # writable() above may have said no; wake the loop again now that it is free.
            self.server.pull_trigger()
        return written


class NewestFirstCondition(threading.Condition):
    """A condition variable whose ``notify`` wakes the threads that began waiting last, not first."""

    def notify(self, n: int = 1) -> None:
        if not self._is_owned():  # type: ignore[attr-defined]
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters  # type: ignore[attr-defined]  # CPython's deque of waiting threads' locks
        while waiters and n > 0:
            waiter = waiters[-1]
            try:
                waiter.release()
            except RuntimeError:  # released by an interrupted notify before: as threading.Condition does
                pass
            else:
                n -= 1
            with contextlib.suppress(ValueError):  # already gone (a timed-out wait removes itself)
                waiters.remove(waiter)


class KioskDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]
    """waitress's thread pool, giving each task to the worker that went idle last (its caches still warm)."""

    def __init__(self) -> None:
        super().__init__()
        self.queue_cv = NewestFirstCondition(self.lock)


def create_http_server(app: Any, **adjustments: Any) -> Any:
    """``waitress.create_server(app, **adjustments)`` whose connections are ``KioskChannel``s and whose worker
    threads are a ``KioskDispatcher``; call ``.run()``."""
    sockets: dict[int, Any] = {}
    dispatcher = KioskDispatcher()
    dispatcher.set_thread_count(Adjustments(**adjustments).threads)  # as waitress does for its own
    try:
        server = waitress.create_server(app, map=sockets, _dispatcher=dispatcher, **adjustments)
    except BaseException:
        dispatcher.shutdown()
        raise
    for listener in list(sockets.values()):  # one per listening socket (more when a host name has several)
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = KioskChannel
    return server
