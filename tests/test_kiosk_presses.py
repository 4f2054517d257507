"""The press hub: presses fan out to open streams, streams are bounded, end on bye, shutdown or a gone client."""

from __future__ import annotations

import threading

from kiosk.web.presses import PressHub


def test_press_reaches_every_open_stream() -> None:
    hub = PressHub(max_streams=3)
    a, b = hub.subscribe(), hub.subscribe()
    stream_a = hub.stream(a)
    assert next(stream_a).startswith(b"retry:")
    hub.publish("yes")
    assert next(stream_a) == b"event: press\ndata: yes\n\n"
    assert b.queue.get(timeout=1) == "yes"
    stream_a.close()  # what waitress does when the client has gone
    assert hub.open_streams == 1


def test_a_new_stream_ends_the_oldest_beyond_the_limit() -> None:
    hub = PressHub(max_streams=1)
    old = hub.subscribe()
    old_stream = hub.stream(old)
    next(old_stream)
    hub.subscribe()
    assert next(old_stream).startswith(b"event: bye")
    assert list(old_stream) == []
    assert hub.open_streams == 1


def test_close_ends_streams_and_refuses_new_ones() -> None:
    hub = PressHub()
    sub = hub.subscribe()
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(hub.stream(sub)))
    reader.start()
    hub.close()
    reader.join(3)
    assert not reader.is_alive()
    assert chunks[-1].startswith(b"event: bye")
    late = hub.subscribe()
    assert list(hub.stream(late))[-1].startswith(b"event: bye")


def test_stream_ends_when_the_client_is_gone_and_sends_keepalives() -> None:
    hub = PressHub(keepalive_s=0.0)
    sub = hub.subscribe()
    gone = threading.Event()
    stream = hub.stream(sub, disconnected=gone.is_set)
    next(stream)
    assert next(stream) == b": keep-alive\n\n"  # after the first 1 s poll with nothing to send
    gone.set()
    assert list(stream) == []
    assert hub.open_streams == 0
