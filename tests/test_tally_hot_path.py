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
from kiosk.errors import DatabaseError, TokenRejected
from kiosk.schema import ballot_choices, ballot_tokens, ballots
from kiosk.tally import MeetingState, Tally
from kiosk.tally import ballots as ballots_module
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
    monkeypatch.setattr(ballots_module, "new_verification_code", lambda: next(draws))
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


INTERNALS = (
    "kiosk.db.DriverStatement runs compiled statements on the DB-API cursor and relies on SQLAlchemy internals "
    "({what}) that this SQLAlchemy ({version}) no longer has as before: update kiosk.db.compile_for_driver and "
    "execute_on_driver (or drop DriverStatement for plain Core; bench/bench_ballots.py shows what it saves) "
    "before upgrading SQLAlchemy."
)


def test_the_sqlalchemy_internals_driver_statements_rely_on_are_unchanged(tally: Tally) -> None:
    # Pinned here so that a SQLAlchemy upgrade that moves them fails this test by name, not a meeting's casts.
    import sqlalchemy
    from sqlalchemy import bindparam, event, update
    from sqlalchemy.dialects import postgresql, sqlite

    def internals(what: str) -> str:
        return INTERNALS.format(what=what, version=sqlalchemy.__version__)

    spend = (
        update(ballot_tokens)
        .where(ballot_tokens.c.token_hash == bindparam("hash_in"), ballot_tokens.c.meeting_id == bindparam("m_in"))
        .values(state="spent")
    )
    on_sqlite = spend.compile(dialect=sqlite.dialect())
    assert on_sqlite.positional, internals("Compiled.positional for qmark drivers")
    assert list(getattr(on_sqlite, "positiontup", None) or []) == ["state", "hash_in", "m_in"], internals(
        "Compiled.positiontup, the parameter order of a positional statement"
    )
    names = {name: (bind.required, bind.value) for bind, name in on_sqlite.bind_names.items()}
    assert names == {"state": (False, "spent"), "hash_in": (True, None), "m_in": (True, None)}, internals(
        "Compiled.bind_names with BindParameter.required and .value"
    )
    on_postgres = spend.compile(dialect=postgresql.psycopg.dialect())
    assert not on_postgres.positional, internals("named parameters for psycopg")
    compiled = db.compile_for_driver(spend, sqlite.dialect())
    assert compiled.params({"hash_in": "h", "m_in": 1}) == ("spent", "h", 1), internals("compile_for_driver")

    seen: list[str] = []

    def listener(conn: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    event.listen(tally.engine, "before_cursor_execute", listener)
    try:
        with tally.engine.connect() as conn:
            assert hasattr(conn, "dispatch") and hasattr(conn.dispatch, "before_cursor_execute"), internals(
                "Connection.dispatch.before_cursor_execute, the listeners of an engine event"
            )
            db.execute_on_driver(conn, "SELECT 1")
    finally:
        event.remove(tally.engine, "before_cursor_execute", listener)
    assert seen == ["SELECT 1"], internals("calling Connection.dispatch.before_cursor_execute by hand")
