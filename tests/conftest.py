"""Shared fixtures: a tally on a real database, with a controllable clock, and a meeting ready to vote.

Every test that uses ``db_url`` (directly or through ``tally``) runs twice: on a SQLite file and on a fresh
database of a real PostgreSQL server (see ``tests/postgres_server.py``). Tests marked ``sqlite_only`` run on
SQLite alone, ``postgresql_only`` on PostgreSQL alone. Without a PostgreSQL server the PostgreSQL variants
are skipped, with the reason, unless ``KIOSK_TEST_POSTGRES=require`` (as ``scripts/test`` sets) makes that
an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk import db
from kiosk.tally import MeetingState, Tally
from tests import postgres_server

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


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # ``backend`` has no fixture function: every test that needs it (through db_url) is parametrized here.
    if "backend" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("sqlite_only"):
            metafunc.parametrize("backend", ["sqlite"])
        elif metafunc.definition.get_closest_marker("postgresql_only"):
            metafunc.parametrize("backend", ["postgresql"])
        else:
            metafunc.parametrize("backend", BACKENDS)


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.Server]:
    """A PostgreSQL server for the session (started on first use, stopped at the end)."""
    try:
        with postgres_server.server() as server:
            yield server
            return
    except postgres_server.Unavailable as exc:
        reason = f"no PostgreSQL server: {exc}"
    if postgres_server.mode() == "require":
        pytest.fail(f"KIOSK_TEST_POSTGRES=require, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_head_template(postgres: postgres_server.Server) -> str:
    """A database at the newest schema, migrated once, that each test's database is copied from."""
    name = postgres.create_database()
    engine = db.make_engine(postgres.url_for(name))
    db.upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of a fresh database: a SQLite file, or a PostgreSQL database dropped after the test.

    The PostgreSQL one is already at the newest schema (copied from a template migrated once per session: the
    migrations take longer than the copy), unless the test is marked ``empty_database``.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'tally.db'}"
        return
    server: postgres_server.Server = request.getfixturevalue("postgres")
    if request.node.get_closest_marker("empty_database"):
        name = server.create_database()
    else:
        name = server.create_database(template=request.getfixturevalue("postgres_head_template"))
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if postgres_server.startup_seconds is not None:
        terminalreporter.write_line(
            f"PostgreSQL: throwaway cluster made and started in {postgres_server.startup_seconds:.2f} s"
        )


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
