"""PostgreSQL's form of "locked by another writer": another session holds a table lock past ``lock_timeout``
(the kiosk's busy timeout). The attendee gets the same plain "busy, nothing saved, code still good" page as on
SQLite, the token stays unspent, and the same vote goes through once the lock is gone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from kiosk import db
from kiosk.config import Settings
from kiosk.errors import StorageProblem, storage_problem
from kiosk.schema import ballots
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import FIXTURES, FakeClock

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def busy_tally(db_url: str, clock: FakeClock) -> Iterator[Tally]:
    engine = db.make_engine(db_url, busy_timeout_ms=300)
    tally = Tally(engine, region="US", timezone="America/Los_Angeles", clock=clock)
    tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    yield tally
    engine.dispose()


def test_vote_under_a_postgres_lock_timeout(busy_tally: Tally, db_url: str) -> None:
    app = create_app(Settings(), busy_tally, simulated=True, test_config={"TESTING": True})
    other = db.make_engine(db_url)
    try:
        client = app.test_client()
        client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
        html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
        token = re.search(r'id="receipt-token">([A-Z0-9-]+)<', html).group(1)  # type: ignore[union-attr]
        client.post("/kiosk/vote")
        form = {f"choice-{p.id}": "yes" for p in busy_tally.planks("GA12")}
        with other.connect() as conn, conn.begin():
            conn.exec_driver_sql("LOCK TABLE ballot_tokens IN EXCLUSIVE MODE")
            refused = client.post("/kiosk/ballot/cast", data=form)
            with pytest.raises(Exception) as caught:
                busy_tally.cast_ballot("GA12", token, {})
        assert storage_problem(caught.value) is StorageProblem.BUSY
        page = refused.get_data(as_text=True)
        assert refused.status_code == 503 and "Traceback" not in page
        assert "could not record your vote just now" in page and "your ballot code is still good" in page
        assert busy_tally.check_token("GA12", token)
        with busy_tally.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ballots)).scalar_one() == 0
        done = client.post("/kiosk/ballot/cast", data=form, follow_redirects=True)
        assert done.status_code == 200 and 'id="verification"' in done.get_data(as_text=True)
    finally:
        app.extensions["kiosk"].close()
        other.dispose()
