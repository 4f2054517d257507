"""The kiosk's waitress channel (kiosk/http_server.py): no busy loop while a request runs, nothing held back.

Real waitress servers on 127.0.0.1 with real sockets; the only subclass is one that counts the main loop's polls.
"""

from __future__ import annotations

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
from waitress.channel import HTTPChannel

from kiosk.http_server import WAITRESS_VERSION, KioskChannel, create_http_server

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
        source = inspect.getsource(getattr(HTTPChannel, name))
        assert hashlib.sha256(source.encode()).hexdigest()[:16] == digest, UPGRADE.format(
            what=f"HTTPChannel.{name}", pinned=WAITRESS_VERSION, found=found
        )


def busy_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A small page after ~4 ms of CPU, like a look-up; or `size` bytes, or `chunks` pieces streamed."""
    environ["wsgi.input"].read()
    query = dict(part.split("=") for part in environ["QUERY_STRING"].split("&") if part)
    start_response("200 OK", [("Content-Type", "text/plain")])
    if "chunks" in query:
        return (b"%06d\n" % i for i in range(int(query["chunks"])))
    if "blocks" in query:  # 200 kB at a time: more than the socket takes, so the loop must send the rest
        return (bytes([65 + i % 26]) * 200_000 for i in range(int(query["blocks"])))
    until = time.thread_time() + 0.004
    while time.thread_time() < until:
        pass
    return [b"x" * int(query.get("size", "9000"))]


class PollCounter:
    def __init__(self) -> None:
        self.polls = 0


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[int, PollCounter]]]:
    servers: list[Any] = []

    def start(channel: type[HTTPChannel] = KioskChannel, **adjustments: Any) -> tuple[int, PollCounter]:
        counter = PollCounter()

        class Counting(channel):  # type: ignore[misc, valid-type]
            def readable(self) -> bool:  # called once per turn of the main loop for each connection
                counter.polls += 1
                return bool(super().readable())

        server = create_http_server(busy_app, host="127.0.0.1", port=0, threads=4, **adjustments)
        server.channel_class = Counting
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        return server.effective_port, counter

    yield start
    for server in servers:
        server.task_dispatcher.shutdown(timeout=2)
        server.close()


def polls_per_request(port: int, counter: PollCounter, requests: int = 60) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(3):
        connection.request("POST", "/find", body=b"name=ann", headers=form)
        connection.getresponse().read()
    counter.polls = 0
    for _ in range(requests):
        connection.request("POST", "/find", body=b"name=ann", headers=form)
        response = connection.getresponse()
        assert response.status == 200 and len(response.read()) == 9000
    connection.close()
    return counter.polls / requests


def test_the_main_loop_does_not_spin_while_a_request_runs_with_lookahead(serve: Callable[..., Any]) -> None:
    port, counter = serve(channel_request_lookahead=1)
    assert polls_per_request(port, counter) <= 4  # 2 when quiet (the request in, the response out)


def test_waitress_own_channel_still_spins_so_ours_is_still_needed(serve: Callable[..., Any]) -> None:
    # If this fails after an upgrade, waitress fixed the spin itself: KioskChannel can go.
    port, counter = serve(HTTPChannel, channel_request_lookahead=1)
    assert polls_per_request(port, counter) > 10


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


def test_every_listener_of_the_server_makes_kiosk_channels() -> None:
    server = create_http_server(busy_app, listen="127.0.0.1:0 127.0.0.1:0", threads=1)
    try:
        listeners = [obj for obj in server.map.values() if hasattr(obj, "channel_class")]
        assert len(listeners) == 2 and all(obj.channel_class is KioskChannel for obj in listeners)
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        for obj in list(server.map.values()):
            obj.close()
