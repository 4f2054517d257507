"""Casting runs its statements on the driver directly (kiosk.db.DriverStatement): the same guarantees as Core.

Failures must come out as the same exceptions (a code collision is retried, a locked database is a plain
``DatabaseError`` and nothing is half-written), and the stored rows must read back through Core unchanged.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk import audit, db
from kiosk import tally as tally_module
from kiosk.errors import DatabaseError, TokenRejected
from kiosk.schema import ballot_choices, ballot_tokens, ballots
from kiosk.tally import MeetingState, Tally
from kiosk.tokens import new_verification_code
from tests.conftest import FakeClock, member_id


def count(tally: Tally, table: object, *where: object) -> int:
    with tally.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()  # type: ignore[arg-type]


def token_for(tally: Tally, meeting: str, name: str) -> str:
    token = tally.sign_in_member(meeting, member_id(tally, meeting, name)).token
    assert token
    return token


def test_a_cast_reads_back_through_core_and_keeps_the_audit_chain(tally: Tally, voting_meeting: str) -> None:
    planks = [p.id for p in tally.planks(voting_meeting)]
    cast = tally.cast_ballot(voting_meeting, token_for(tally, voting_meeting, "Marcus"), {planks[0]: "yes"})
    again = tally.lookup_ballot(cast.verification_code)
    assert again.choices == cast.choices and again.meeting_code == voting_meeting
    assert [c for _, c in cast.choices] == ["yes"] + ["abstain"] * (len(planks) - 1)
    with tally.engine.connect() as conn:
        entries = audit.entries(conn)
    assert audit.verify_entries(entries).ok
    # The time went through the column type like any Core insert: it reads back aware and equal.
    assert entries[-1].action == "ballot_cast" and entries[-1].at == tally.clock()


def test_a_verification_code_collision_is_cast_again_with_a_new_code(
    tally: Tally, voting_meeting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tally.cast_ballot(voting_meeting, token_for(tally, voting_meeting, "Marcus"), {})
    # Stand in for the 1-in-10^13 draw: the next code drawn is one already stored, then a fresh one.
    draws = iter([first.verification_code, new_verification_code()])
    monkeypatch.setattr(tally_module, "new_verification_code", lambda: next(draws))
    second = tally.cast_ballot(voting_meeting, token_for(tally, voting_meeting, "Keisha"), {})
    assert next(draws, None) is None  # both draws were used: the collision really happened and was retried
    assert second.verification_code != first.verification_code
    assert count(tally, ballots) == 2
    assert count(tally, ballot_tokens, ballot_tokens.c.state == "spent") == 2
    assert count(tally, ballot_choices) == 2 * len(tally.planks(voting_meeting))


def test_a_spent_token_is_refused_and_writes_nothing(tally: Tally, voting_meeting: str) -> None:
    token = token_for(tally, voting_meeting, "Marcus")
    tally.cast_ballot(voting_meeting, token, {})
    with pytest.raises(TokenRejected) as refused:
        tally.cast_ballot(voting_meeting, token, {})
    assert refused.value.reason == "spent"
    assert count(tally, ballots) == 1


@pytest.mark.sqlite_only
def test_a_locked_database_is_a_plain_error_and_the_vote_goes_through_afterwards(
    db_url: str, roster_csv: str, planks_csv: str, clock: FakeClock
) -> None:
    engine = db.make_engine(db_url, busy_timeout_ms=200)
    db.upgrade(engine)
    kiosk = Tally(engine, clock=clock)
    kiosk.import_roster(roster_csv)
    kiosk.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    kiosk.import_planks("GA12", planks_csv)
    kiosk.set_state("GA12", MeetingState.VOTING_OPEN)
    token = token_for(kiosk, "GA12", "Marcus")
    kiosk.cast_ballot("GA12", token_for(kiosk, "GA12", "Keisha"), {})  # the hot statements are compiled
    other_writer = sqlite3.connect(Path(engine.url.database or ""), isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseError, match=r"could not be written \(database is locked\); nothing was saved"):
            kiosk.cast_ballot("GA12", token, {})
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
    assert count(kiosk, ballot_tokens, ballot_tokens.c.state == "spent") == 1
    kiosk.cast_ballot("GA12", token, {})
    assert count(kiosk, ballots) == 2
    engine.dispose()
