"""The kiosk's waitress server (kiosk/http_server.py): no busy loop while a request runs, nothing held back, and
the worker that went idle last takes the next request.

Real waitress servers on 127.0.0.1 with real sockets; the only subclass is one that counts the main loop's polls.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.client
import importlib.metadata
import inspect
import socket
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import waitress
from waitress.channel import HTTPChannel
from waitress.task import ThreadedTaskDispatcher

from kiosk.http_server import WAITRESS_VERSION, KioskChannel, KioskDispatcher, NewestFirstCondition, create_http_server

ROOT = Path(__file__).resolve().parent.parent

# inspect.getsource of the waitress methods KioskChannel's reasoning depends on (see kiosk/http_server.py).
RELIED_ON = {
    "readable": "e4722238ce60c915",
    "writable": "d0cbd4ae1b3ba2a3",
    "handle_write": "6c900f395b306f09",
    "_flush_some_if_lockable": "51e124355e631f49",
    "write_soon": "20eedb92a8237c47",
    "_flush_outbufs_below_high_watermark": "27a2b75117abd0d7",
    "service": "f73afa13748e1128",
}
# ... and of the dispatcher KioskDispatcher changes only the wake-up order of (its condition's notify).
RELIED_ON_DISPATCHER = {
    "__init__": "0479b29257f508a5",
    "handler_thread": "fe586964e3f09522",
    "add_task": "1028105a9aed367d",
    "set_thread_count": "97cddfc021373f31",
}
RELIED_ON_CREATE_SERVER = "2e506b208edceac2"
UPGRADE = (
    "kiosk.http_server.KioskChannel overrides waitress's HTTPChannel.writable/write_soon and relies on how "
    "{what} works in waitress {pinned}; this is waitress {found}. Read the new code, check that a worker still "
    "sends its own output with the lock held and pulls the trigger for what it leaves, update KioskChannel (or "
    "drop it if waitress no longer spins: compare polls per request with tests below), then update the pin."
)


def test_waitress_is_the_pinned_version_whose_internals_the_channel_relies_on() -> None:
    found = importlib.metadata.version("waitress")
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"waitress=={WAITRESS_VERSION}" in pinned, "pyproject.toml must pin waitress to KioskChannel's version"
    assert found == WAITRESS_VERSION, UPGRADE.format(what="the channel", pinned=WAITRESS_VERSION, found=found)
    for name, digest in RELIED_ON.items():
        assert source_digest(getattr(HTTPChannel, name)) == digest, UPGRADE.format(
            what=f"HTTPChannel.{name}", pinned=WAITRESS_VERSION, found=found
        )
    for name, digest in RELIED_ON_DISPATCHER.items():
        assert source_digest(getattr(ThreadedTaskDispatcher, name)) == digest, UPGRADE.format(
            what=f"ThreadedTaskDispatcher.{name}", pinned=WAITRESS_VERSION, found=found
        )
    assert source_digest(waitress.create_server) == RELIED_ON_CREATE_SERVER, UPGRADE.format(
        what="create_server(_dispatcher=...)", pinned=WAITRESS_VERSION, found=found
    )


def source_digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_a_newest_first_condition_wakes_the_thread_that_waited_last() -> None:
    condition = NewestFirstCondition()
    woken: list[int] = []
    waiting = threading.Semaphore(0)

    def wait(number: int) -> None:
        with condition:
            waiting.release()
            condition.wait(timeout=10)
            woken.append(number)

    threads = []
    for number in range(4):  # each one waiting before the next starts: the order they wait in is 0, 1, 2, 3
        threads.append(threading.Thread(target=wait, args=(number,)))
        threads[-1].start()
        waiting.acquire()
        while True:
            with condition:
                if len(condition._waiters) == number + 1:  # type: ignore[attr-defined]
                    break
    for expected in (3, 2):
        with condition:
            condition.notify()
        threads[expected].join(timeout=10)
        assert woken[-1] == expected
    with condition:
        condition.notify_all()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(woken) == [0, 1, 2, 3] and woken[:2] == [3, 2]


def busy_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A small page after ~4 ms of CPU, like a look-up; or `size` bytes, or `chunks` pieces streamed."""
    environ["wsgi.input"].read()
    query = dict(part.split("=") for part in environ["QUERY_STRING"].split("&") if part)
    start_response("200 OK", [("Content-Type", "text/plain")])
    if "chunks" in query:
        return (b"%06d\n" % i for i in range(int(query["chunks"])))
    if "blocks" in query:  # 200 kB at a time: more than the socket takes, so the loop must send the rest
        return (bytes([65 + i % 26]) * 200_000 for i in range(int(query["blocks"])))
    if "sleep" in query:  # waiting, not working: requests at once overlap
        time.sleep(0.4)
        return [b"slept"]
    until = time.thread_time() + int(query.get("ms", "4")) / 1000
    while time.thread_time() < until:
        pass
    return [b"x" * int(query.get("size", "9000"))]


class PollCounter:
    def __init__(self) -> None:
        self.polls = 0


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[int, PollCounter]]]:
    with contextlib.ExitStack() as servers:

        def start(channel: type[HTTPChannel] = KioskChannel, **adjustments: Any) -> tuple[int, PollCounter]:
            counter = PollCounter()

            class Counting(channel):  # type: ignore[misc, valid-type]
                def readable(self) -> bool:  # called once per turn of the main loop for each connection
                    counter.polls += 1
                    return bool(super().readable())

            server = create_http_server(busy_app, host="127.0.0.1", port=0, threads=4, **adjustments)
            server.channel_class = Counting
            return servers.enter_context(running(server)), counter  # closed on the loop's own thread at the end

        yield start


def polls_per_request(port: int, counter: PollCounter, requests: int = 60, path: str = "/find") -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(3):
        connection.request("POST", path, body=b"name=ann", headers=form)
        connection.getresponse().read()
    counter.polls = 0
    for _ in range(requests):
        connection.request("POST", path, body=b"name=ann", headers=form)
        response = connection.getresponse()
        assert response.status == 200 and len(response.read()) == 9000
    connection.close()
    return counter.polls / requests


def test_the_main_loop_does_not_spin_while_a_request_runs_with_lookahead(serve: Callable[..., Any]) -> None:
    port, counter = serve(channel_request_lookahead=1)
    assert polls_per_request(port, counter) <= 4  # 2 when quiet (the request in, the response out)
    assert polls_per_request(port, counter, 20, "/find?ms=20") <= 4  # however long the request runs


@pytest.mark.parametrize("query", ["size=8000000", "blocks=40"])
def test_a_large_response_to_a_slow_reader_arrives_whole_and_promptly(serve: Callable[..., Any], query: str) -> None:
    """More than the socket takes at once: the worker leaves the rest to the main loop, which must wake for it
    (a missed wake-up shows as stalls of a second, waitress's select timeout), and past the high watermark the
    worker waits for the loop to drain it."""
    port, _ = serve(channel_request_lookahead=1, outbuf_high_watermark=1_000_000)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.3)  # a slow reader: the socket's buffers fill up
    started = last = time.monotonic()
    received, longest_gap = b"", 0.0
    while len(received) < 8_000_000 or b"\r\n\r\n" not in received:
        chunk = sock.recv(1 << 20)
        assert chunk, "the connection closed early"
        received += chunk
        longest_gap, last = max(longest_gap, time.monotonic() - last), time.monotonic()
        if len(received) - received.index(b"\r\n\r\n") - 4 >= 8_000_000:
            break
    sock.close()
    assert longest_gap < 0.5 and time.monotonic() - started < 5


def test_a_streamed_response_arrives_in_order(serve: Callable[..., Any]) -> None:
    port, _ = serve(channel_request_lookahead=1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/?chunks=5000")
    body = connection.getresponse().read()
    assert body == b"".join(b"%06d\n" % i for i in range(5000))
    connection.close()


@contextlib.contextmanager
def running(server: Any) -> Iterator[int]:
    """``server``'s loop in a thread for the block (its port), then closed on that thread and joined."""

    def loop() -> None:
        with contextlib.suppress(OSError, ValueError):  # sockets closed under the loop at the end
            server.run()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:

        def close_all() -> None:  # on the loop's thread: the loop ends when its map is empty
            for dispatcher in list(server._map.values()):
                with contextlib.suppress(OSError):
                    # A connection's handle_close also closes its output buffers (a large response's temporary
                    # file): close() alone left that to the collector, a ResourceWarning in a later test.
                    getattr(dispatcher, "handle_close", dispatcher.close)()

        server.trigger.pull_trigger(close_all)
        thread.join(5)
        server.task_dispatcher.shutdown(timeout=5)


def threads_serving(server: Any, requests: int = 40) -> collections.Counter[str]:
    """How many of ``requests`` requests made one after another each worker thread served, by its name."""
    names: collections.Counter[str] = collections.Counter()
    with running(server) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(requests):
            connection.request("GET", "/?thread=1")
            names[connection.getresponse().read().decode()] += 1
        connection.close()
    return names


def thread_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [threading.current_thread().name.encode()]


def test_requests_one_after_another_are_served_by_the_same_warm_thread() -> None:
    server = create_http_server(thread_app, host="127.0.0.1", port=0, threads=8, channel_request_lookahead=1)
    assert isinstance(server.task_dispatcher, KioskDispatcher)
    # Mostly the thread that just finished, or the one before it (the next request can come before the thread
    # that answered is back to wait): 29 and 11, 23 and 17 of 40 in runs here.
    assert sum(count for _name, count in threads_serving(server).most_common(2)) >= 32
    # waitress's own dispatcher goes round every thread in turn: what KioskDispatcher is there to stop.
    plain = waitress.create_server(thread_app, host="127.0.0.1", port=0, threads=8, channel_request_lookahead=1)
    assert len(threads_serving(plain)) == 8


def test_requests_at_once_still_run_on_threads_of_their_own() -> None:
    """Newest first changes only who is woken: four slow requests together take about as long as one."""
    server = create_http_server(busy_app, host="127.0.0.1", port=0, threads=4)

    def slow(results: list[float]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        started = time.monotonic()
        connection.request("GET", "/?sleep=1")
        connection.getresponse().read()
        results.append(time.monotonic() - started)
        connection.close()

    with running(server):
        results: list[float] = []
        clients = [threading.Thread(target=slow, args=(results,)) for _ in range(4)]
        started = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=10)
        assert len(results) == 4 and time.monotonic() - started < 1.5  # 0.4 s each; 1.6 s one after another


def test_every_listener_of_the_server_makes_kiosk_channels() -> None:
    server = create_http_server(busy_app, listen="127.0.0.1:0 127.0.0.1:0", threads=1)
    try:
        listeners = [obj for obj in server.map.values() if hasattr(obj, "channel_class")]
        assert len(listeners) == 2 and all(obj.channel_class is KioskChannel for obj in listeners)
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        for obj in list(server.map.values()):
            obj.close()
