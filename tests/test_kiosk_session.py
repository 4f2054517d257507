"""Kiosk screen sessions: kept while in use, forgotten when idle or reset, bounded in number."""

from __future__ import annotations

from kiosk.kiosk_session import SessionStore


class Tick:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_session_kept_while_used_and_forgotten_when_idle() -> None:
    tick = Tick()
    store = SessionStore(idle_seconds=60, default_lang="en", clock=tick)
    sid, session = store.get(None)
    session.lang, session.query = "es", "Ana"
    tick.now += 59
    assert store.get(sid) == (sid, session)
    tick.now += 61
    new_sid, fresh = store.get(sid)
    assert new_sid != sid and fresh.lang == "en" and fresh.query == ""
    assert len(store) == 1


def test_reset_and_unknown_ids_start_fresh() -> None:
    store = SessionStore(idle_seconds=60, default_lang="es")
    sid, session = store.get(None)
    session.query = "x"
    store.reset(sid)
    again, fresh = store.get(sid)
    assert again != sid and fresh.query == "" and fresh.lang == "es"
    forged, _ = store.get("not-a-session")
    assert forged != "not-a-session"


def test_capacity_drops_the_least_recently_used() -> None:
    store = SessionStore(idle_seconds=60, default_lang="en", capacity=3)
    first, _ = store.get(None)
    others = [store.get(None)[0] for _ in range(3)]
    assert len(store) == 3
    assert store.get(first)[0] != first
    assert store.get(others[-1])[0] == others[-1]


def test_live_keeps_a_session_in_use_and_never_makes_one() -> None:
    """The find page's JSON look-up asks with ``live``: a used session lives on, an idle or unknown one is None."""
    tick = Tick()
    store = SessionStore(idle_seconds=60, default_lang="en", clock=tick)
    sid, session = store.get(None)
    for _ in range(3):  # each use keeps it alive, as a page request does
        tick.now += 59
        assert store.live(sid) is session
    assert store.live(None) is None and store.live("made-up") is None
    tick.now += 61
    assert store.live(sid) is None
    assert len(store) == 1  # nothing made; the expired one goes when get() next sees it
    assert store.get(sid)[0] != sid
