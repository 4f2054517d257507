"""The look-up by name answers from the roster's search names in memory (kiosk.tally.name_index): it must find
exactly what the SQL search finds, and never answer from names that have changed since, whoever changed them."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select, text, update

from kiosk import db
from kiosk.schema import members, roster_version
from kiosk.tally import MeetingState, Tally
from kiosk.tally.search import _LOOKUP, name_pattern
from tests.conftest import FakeClock

NAMES = [
    "Ana Ramírez",
    "Ana-Lucía Peña",
    "Anaïs Dubois",
    "Li Wang",
    "Lisa Li",
    "Eun-ji Park",
    "Vũ Văn Minh",
    "Nguyễn Thị Lan",
    "O'Brien Mary",
    "St. Claire Joan",
    "Hernández José",
    "José Hernández",
    "José Hernández",
    "María Guadalupe Flores",
    "Wu Mei",
    "Wulf Berg",
]


def _roster(count: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    lines = ["name,phone"]
    for i in range(count):
        lines.append(f"{' '.join(rng.sample(NAMES, 2))},(510) 555-{i:04d}")
    return "\n".join(lines) + "\n"


def _sql_search(tally: Tally, meeting_id: int, query: str, limit: int = 8) -> list[tuple[object, ...]]:
    """The same search done by the database alone (the statements the look-up used before the index)."""
    found = name_pattern(query)
    assert found is not None
    statement, pattern = found
    with tally.engine.connect() as conn, conn.begin():
        rows = (
            _LOOKUP.on(conn)[statement]
            .execute(conn, {"pattern_in": pattern, "meeting_in": meeting_id, "limit_in": limit})
            .fetchall()
        )
    return [tuple(row) for row in rows]


def _indexed_search(tally: Tally, meeting_id: int, query: str, limit: int = 8) -> list[tuple[object, ...]]:
    found = name_pattern(query)
    assert found is not None
    statement, pattern = found
    with tally.engine.connect() as conn, conn.begin():
        rows = tally._by_name_index(conn, meeting_id, statement, pattern, limit)
    assert rows is not None, "the index must answer on a migrated database"
    return [tuple(row) for row in rows]


def test_the_index_finds_what_the_database_finds(tally: Tally) -> None:
    tally.import_roster(_roster(300))
    meeting = tally.create_meeting(code="GA1", title="GA", starts="2026-12-03T19:00")
    queries = ["ana", "li", "wu", "JI", "vu", "nguyen", "jose h", "o'brien", "st. c", "lan", "zzqx", "ana-l", "an"]
    queries += [w.lower()[:n] for w in " ".join(NAMES).split() for n in (2, 3, 5) if len(w) >= n]
    for query in queries:
        if name_pattern(query) is None:
            continue
        for limit in (1, 8, 20):
            assert _indexed_search(tally, meeting.id, query, limit) == _sql_search(tally, meeting.id, query, limit), (
                query,
                limit,
            )


def test_the_index_follows_every_change_to_the_roster(tally: Tally, db_url: str, clock: FakeClock) -> None:
    tally.import_roster("name,phone\nAna Ramírez,(510) 555-0101\nMarcus Bell,(510) 555-0102\n")
    tally.create_meeting(code="GA1", title="GA", starts="2026-12-03T19:00")
    tally.set_state("GA1", MeetingState.SIGNIN_OPEN)

    def names(query: str) -> list[str]:
        return [p.display_name for p in tally.find_people("GA1", query)]

    assert names("ramirez") == ["Ana R."]
    # Another process (another engine and tally: its own memory) adds, renames and removes members.
    other_engine = db.make_engine(db_url)
    try:
        other = Tally(other_engine, region="US", timezone="America/Los_Angeles", clock=clock)
        other.import_roster("name,phone\nAna Ramírez,(510) 555-0101\nAnaïs Bell,(510) 555-0103\n")
        assert names("anai") == ["Anaïs B."]
        with other_engine.begin() as conn:  # a hand edit in a shell, outside the tally
            conn.execute(update(members).where(members.c.name == "Marcus Bell").values(search_name="marco bell"))
        assert names("marcus") == []
        assert names("marco") == ["Marcus B."]
        with other_engine.begin() as conn:
            conn.execute(delete(members).where(members.c.name == "Anaïs Bell"))
        assert names("anai") == []
        other.sign_in_guest("GA1", "Zoë Quist", "(510) 555-0199", joining=True)
        assert names("quist") == ["Zoë Q."]
        # A change the look-up does not search by moves nothing (the language, on every sign-in that sets it).
        with other_engine.connect() as conn:
            before = conn.execute(select(roster_version.c.version)).scalar_one()
        with other_engine.begin() as conn:
            conn.execute(update(members).values(language="es"))
        with other_engine.connect() as conn:
            assert conn.execute(select(roster_version.c.version)).scalar_one() == before
    finally:
        other_engine.dispose()


def test_a_signin_shows_at_once(tally: Tally) -> None:
    tally.import_roster("name,phone\nAna Ramírez,(510) 555-0101\n")
    tally.create_meeting(code="GA1", title="GA", starts="2026-12-03T19:00")
    tally.set_state("GA1", MeetingState.SIGNIN_OPEN)
    [person] = tally.find_people("GA1", "ramirez")
    assert not person.signed_in
    tally.sign_in_member("GA1", person.member_id, station="door")
    [person] = tally.find_people("GA1", "ramirez")
    assert person.signed_in  # read from the database each time, never from the index


def test_without_the_version_row_the_database_searches(tally: Tally) -> None:
    tally.import_roster("name,phone\nAna Ramírez,(510) 555-0101\n")
    tally.create_meeting(code="GA1", title="GA", starts="2026-12-03T19:00")
    with tally.engine.begin() as conn:
        conn.execute(text("DELETE FROM roster_version"))
    assert [p.display_name for p in tally.find_people("GA1", "ramirez")] == ["Ana R."]


@pytest.mark.parametrize("query", ["ana", "li"])
def test_many_matches_beyond_one_statement(tally: Tally, query: str) -> None:
    """More ids than one read statement takes (the test deck asks for many): read in parts, order kept."""
    tally.import_roster(_roster(120, seed=9))
    meeting = tally.create_meeting(code="GA1", title="GA", starts="2026-12-03T19:00")
    rows = _indexed_search(tally, meeting.id, query, limit=50)
    assert len(rows) > 8
    assert rows == _sql_search(tally, meeting.id, query, limit=50)
