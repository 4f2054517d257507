"""The press hub: presses fan out to open streams, numbered, replayed to a stream that says where it left off
(a new page, a reconnecting EventSource); streams are bounded, end on bye, shutdown or a gone client."""

from __future__ import annotations

import threading

from kiosk.web.presses import Press, PressHub


def test_press_reaches_every_open_stream() -> None:
    hub = PressHub(max_streams=3)
    a, b = hub.subscribe(), hub.subscribe()
    stream_a = hub.stream(a)
    assert next(stream_a).startswith(b"retry:")
    hub.publish("yes")
    assert next(stream_a) == f"id: {hub.epoch}.1\nevent: press\ndata: yes\n\n".encode()
    got = b.queue.get(timeout=1)
    assert isinstance(got, Press) and (got.seq, got.name) == (1, "yes")
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


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def drain(hub: PressHub, sub: object) -> list[tuple[int, str]]:
    out = []
    while not sub.queue.empty():  # type: ignore[attr-defined]
        item = sub.queue.get()  # type: ignore[attr-defined]
        out.append((item.seq, item.name))
    return out


def test_a_new_page_gets_the_presses_made_while_the_last_one_was_being_left() -> None:
    hub = PressHub(clock=Clock())
    old_page = hub.subscribe(after=hub.cursor())
    hub.publish("confirm")  # "Vote now": the old page handles it and starts leaving
    handled = f"{hub.epoch}.1"
    hub.publish("abstain")  # at once: arrives while the next page loads
    hub.publish("confirm")
    hub.unsubscribe(old_page)
    new_page = hub.subscribe(after=handled)
    hub.publish("yes")  # live, after the replay, exactly once
    assert drain(hub, new_page) == [(2, "abstain"), (3, "confirm"), (4, "yes")]


def test_replay_is_bounded_by_age_and_ignores_another_servers_cursor() -> None:
    clock = Clock()
    hub = PressHub(clock=clock, replay_s=15.0)
    hub.publish("yes")
    clock.now += 20  # older than replay_s: a press nobody saw for that long is not acted on now
    hub.publish("no")
    assert drain(hub, hub.subscribe(after=f"{hub.epoch}.0")) == [(2, "no")]
    assert drain(hub, hub.subscribe(after="0badcafe.0")) == []  # a cursor from before a restart: live only
    assert drain(hub, hub.subscribe(after="nonsense")) == []
    assert drain(hub, hub.subscribe(after=f"{hub.epoch}.99")) == []  # from the future: nothing to replay
    assert hub.cursor() == f"{hub.epoch}.2"


def test_replay_and_live_presses_meet_without_gap_or_overlap_under_racing_threads() -> None:
    hub = PressHub(replay_limit=10_000, replay_s=60.0, max_streams=100_000)
    total = 3000
    subs: list[object] = []

    def presser() -> None:
        for i in range(total):
            hub.publish(f"p{i}")

    thread = threading.Thread(target=presser)
    thread.start()
    while thread.is_alive():  # subscribe again and again while presses are published
        subs.append(hub.subscribe(after=f"{hub.epoch}.0"))
    thread.join()
    for sub in subs[-50:]:
        got = drain(hub, sub)
        assert [seq for seq, _ in got] == list(range(1, total + 1))
