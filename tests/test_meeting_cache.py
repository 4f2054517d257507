"""The kiosk's current meeting (kiosk.web.meeting_cache): cached between requests, never stale.

The cache is used only while the database is unchanged (SQLite's data_version, bumped by any other
connection's commit, another process's included) and while time has not moved the meeting out of "next".
"""

from __future__ import annotations

from flask.testing import FlaskClient

from kiosk import db
from kiosk.tally import MeetingState, Tally
from tests.conftest import FakeClock


def _other_process_tally(db_url: str) -> tuple[Tally, object]:
    """Another engine (own connections, as `kiosk meeting ...` in a shell would have) on the same database."""
    engine = db.make_engine(db_url)
    return Tally(engine, region="US", timezone="America/Los_Angeles"), engine


def test_a_change_made_elsewhere_is_seen_at_the_next_request(
    client: FlaskClient, db_url: str, voting_meeting: str
) -> None:
    assert 'data-screen="find"' in client.get("/kiosk/find?by=name").get_data(as_text=True)
    assert 'data-screen="find"' in client.get("/kiosk/find?by=name").get_data(as_text=True)  # from the cache
    other, engine = _other_process_tally(db_url)
    try:
        other.update_meeting(voting_meeting, title="Asamblea General Extraordinaria")
        assert "Asamblea General Extraordinaria" in client.get("/kiosk/find?by=name").get_data(as_text=True)
        other.set_state(voting_meeting, MeetingState.CLOSED)
    finally:
        engine.dispose()  # type: ignore[attr-defined]
    response = client.get("/kiosk/find?by=name")
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk/")


def test_time_alone_moves_the_next_meeting_on(client: FlaskClient, clock: FakeClock, voting_meeting: str) -> None:
    assert client.get("/kiosk/find?by=name").status_code == 200
    # Nothing committed, but more than six hours after it started it is no longer the next meeting.
    clock.advance(days=30)
    assert client.get("/kiosk/find?by=name").status_code == 303
