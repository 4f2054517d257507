"""Shared fixtures: a tally on a real SQLite file, with a controllable clock, and a meeting ready to vote."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk import db
from kiosk.tally import MeetingState, Tally

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """An aware clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tally.db'}"


@pytest.fixture
def tally(db_url: str, clock: FakeClock) -> Iterator[Tally]:
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    yield Tally(engine, region="US", timezone="America/Los_Angeles", clock=clock)
    engine.dispose()


@pytest.fixture
def roster_csv() -> str:
    return (FIXTURES / "roster-messy.csv").read_text(encoding="utf-8")


@pytest.fixture
def planks_csv() -> str:
    return (FIXTURES / "planks.csv").read_text(encoding="utf-8")


@pytest.fixture
def voting_meeting(tally: Tally, roster_csv: str, planks_csv: str) -> str:
    """GA12 on Dec 3 2026 at 19:00 Pacific, messy roster imported, six planks, voting open."""
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", planks_csv)
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return "GA12"


def member_id(tally: Tally, code: str, name: str) -> int:
    people = [p for p in tally.find_people(code, name) if p.member_id is not None]
    assert len(people) == 1, people
    assert people[0].member_id is not None
    return people[0].member_id
