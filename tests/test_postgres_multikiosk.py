"""Several kiosks on one database server, and what a kiosk does when the hall's network drops.

Kiosks are separate processes (``tests.procs``) on one PostgreSQL database: attendees sign in at any kiosk and
vote at any other; kiosks racing for the same tokens and the same people still make one ballot per token and
one sign-in per person. With the network cut (a relay between kiosk and server, ``tests.postgres_netcut``),
casting fails with ``DatabaseError`` and a plain message, nothing is half-written, and it works once the
network is back.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Table, event, func, select, text
from sqlalchemy.engine import make_url

from kiosk import db
from kiosk.errors import DatabaseError
from kiosk.schema import audit_head, ballot_tokens, ballots, members, signins
from kiosk.tally import MeetingState, Tally
from tests.conftest import FakeClock, member_id
from tests.postgres_netcut import NetCut
from tests.postgres_server import free_port
from tests.test_concurrency import run_workers

KIOSKS = 3


def racers(tally: Tally, count: int) -> list[int]:
    tally.import_roster("name,status,joined\n" + "".join(f"Racer {i:03d},member,2000-01-01\n" for i in range(count)))
    with tally.engine.connect() as conn:
        query = select(members.c.id).where(members.c.name.like("Racer %")).order_by(members.c.id)
        return list(conn.execute(query).scalars())


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.postgresql_only
def test_sign_in_at_any_kiosk_vote_at_any_other(tally: Tally, voting_meeting: str, db_url: str) -> None:
    ids = [str(i) for i in racers(tally, 24)]
    # Every kiosk tries to sign in every racer at once: one sign-in and one token per person.
    start_at = f"{time.time() + 1.5:.3f}"
    lines = run_workers([["signin-tokens", db_url, voting_meeting, start_at, *ids] for _ in range(KIOSKS)])
    tokens_by_kiosk: dict[int, list[str]] = {}
    issued_at: dict[str, int] = {}
    for kiosk, chunk in enumerate(_per_worker(lines, len(ids))):
        tokens_by_kiosk[kiosk] = [line.split()[2] for line in chunk if line.split()[2] != "-"]
        issued_at.update({token: kiosk for token in tokens_by_kiosk[kiosk]})
    assert len(issued_at) == len(ids)
    assert count(tally.engine, signins) == len(ids)
    # Each kiosk spends the tokens issued at the next kiosk first, then races the others for the rest.
    all_tokens = list(issued_at)
    start_at = f"{time.time() + 1.5:.3f}"
    args = []
    for kiosk in range(KIOSKS):
        first = tokens_by_kiosk[(kiosk + 1) % KIOSKS]
        args.append(["spend", db_url, voting_meeting, start_at, *first, *[t for t in all_tokens if t not in first]])
    lines = run_workers(args)
    casts = Counter(line.split()[1] for line in lines if line.startswith("cast "))
    assert casts == {token: 1 for token in all_tokens}
    assert len([line for line in lines if line.startswith("refused ")]) == (KIOSKS - 1) * len(all_tokens)
    assert count(tally.engine, ballots) == len(all_tokens)
    results = tally.results(voting_meeting)
    assert results.ballots_cast == results.ballots_issued == len(all_tokens)
    assert tally.audit_verify().ok


def _per_worker(lines: list[str], per: int) -> Iterator[list[str]]:
    for start in range(0, len(lines), per):
        yield lines[start : start + per]


@pytest.mark.empty_database
def test_first_audit_entries_from_several_kiosks_at_once(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    assert count(engine, audit_head) == 0  # a new database: no head row to lock yet
    engine.dispose()
    start_at = f"{time.time() + 1.5:.3f}"
    lines = run_workers([["audit-first", db_url, start_at] for _ in range(KIOSKS + 1)])
    assert lines == ["audited"] * (KIOSKS + 1)
    tally = Tally(db.make_engine(db_url))
    report = tally.audit_verify()
    assert report.ok and report.entries == KIOSKS + 1
    tally.engine.dispose()


@pytest.mark.empty_database
def test_first_audit_entries_from_threads_at_once(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    tally = Tally(engine)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def kiosk() -> None:
        barrier.wait()
        try:
            tally.record_event("kiosk_started", actor="thread")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=kiosk) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    report = tally.audit_verify()
    assert report.ok and report.entries == 6
    engine.dispose()


# --- the network drops ------------------------------------------------------------------------------------


@pytest.fixture
def network(db_url: str) -> Iterator[NetCut]:
    url = make_url(db_url)
    relay = NetCut(url.host or "127.0.0.1", url.port or 5432)
    yield relay
    relay.close()


@pytest.fixture
def kiosk(db_url: str, network: NetCut, clock: FakeClock) -> Iterator[Tally]:
    """A kiosk whose connection to the database goes through the relay."""
    url = make_url(db_url).set(host="127.0.0.1", port=network.port).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    yield Tally(engine, clock=clock)
    engine.dispose()


def sign_in(tally: Tally, code: str, name: str) -> str:
    signin = tally.sign_in_member(code, member_id(tally, code, name))
    assert signin.token
    return signin.token


def token_state(tally: Tally, token: str) -> str:
    with tally.engine.connect() as conn:
        return conn.execute(
            select(ballot_tokens.c.state).where(ballot_tokens.c.token_hash == tally.token_hash(token))
        ).scalar_one()


def assert_nothing_written(tally: Tally, token: str, ballots_before: int) -> None:
    assert token_state(tally, token) == "issued"
    assert count(tally.engine, ballots) == ballots_before
    assert tally.audit_verify().ok


@pytest.mark.postgresql_only
def test_network_down_refuses_the_vote_plainly_then_works_again(
    tally: Tally, voting_meeting: str, kiosk: Tally, network: NetCut
) -> None:
    token = sign_in(kiosk, voting_meeting, "Ana Ram")  # signed in at this kiosk while the network is up
    network.cut()
    started = time.monotonic()
    with pytest.raises(DatabaseError, match=r"could not be written .*nothing was saved") as caught:
        kiosk.cast_ballot(voting_meeting, token, {})
    assert time.monotonic() - started < 6
    assert "\n" not in str(caught.value) and not isinstance(caught.value, db.CommitUnknown)
    with pytest.raises(DatabaseError, match="could not be read"):
        kiosk.check_token(voting_meeting, token)
    assert_nothing_written(tally, token, 0)
    network.restore()
    cast = kiosk.cast_ballot(voting_meeting, token, {})
    assert token_state(tally, token) == "spent" and count(tally.engine, ballots) == 1
    assert tally.lookup_ballot(cast.verification_code).meeting_code == voting_meeting


@pytest.mark.postgresql_only
def test_network_drop_in_the_middle_of_a_vote_writes_nothing(
    tally: Tally, voting_meeting: str, kiosk: Tally, network: NetCut
) -> None:
    token = sign_in(tally, voting_meeting, "Marcus")
    kiosk.planks(voting_meeting)  # a pooled connection, as on a kiosk that has been running

    def cut_before_the_ballot(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO ballots "):
            network.cut()  # the token is already marked spent in this transaction

    event.listen(kiosk.engine, "before_cursor_execute", cut_before_the_ballot)
    with pytest.raises(DatabaseError, match="nothing was saved"):
        kiosk.cast_ballot(voting_meeting, token, {})
    event.remove(kiosk.engine, "before_cursor_execute", cut_before_the_ballot)
    assert_nothing_written(tally, token, 0)
    network.restore()
    kiosk.cast_ballot(voting_meeting, token, {})
    assert token_state(tally, token) == "spent" and count(tally.engine, ballots) == 1


@pytest.mark.postgresql_only
def test_network_drop_at_commit_says_the_vote_may_not_be_saved(
    tally: Tally, voting_meeting: str, kiosk: Tally, network: NetCut
) -> None:
    token = sign_in(tally, voting_meeting, "Keisha")
    kiosk.planks(voting_meeting)

    def cut_at_commit(_conn) -> None:  # type: ignore[no-untyped-def]
        network.cut()

    event.listen(kiosk.engine, "commit", cut_at_commit)
    with pytest.raises(db.CommitUnknown, match="may or may not have been saved"):
        kiosk.cast_ballot(voting_meeting, token, {})
    event.remove(kiosk.engine, "commit", cut_at_commit)
    # The COMMIT never reached the server, which rolled the whole transaction back when the link dropped.
    deadline = time.monotonic() + 10
    while token_state(tally, token) != "issued" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_nothing_written(tally, token, 0)
    network.restore()
    kiosk.cast_ballot(voting_meeting, token, {})
    assert count(tally.engine, ballots) == 1


@pytest.mark.postgresql_only
def test_unreachable_server_is_a_plain_database_error(voting_meeting: str, db_url: str, tally: Tally) -> None:
    url = make_url(db_url).set(port=free_port()).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    token = sign_in(tally, voting_meeting, "Li Wei")
    started = time.monotonic()
    with pytest.raises(DatabaseError) as caught:
        Tally(engine).cast_ballot(voting_meeting, token, {})
    assert time.monotonic() - started < 6
    message = str(caught.value)
    assert message.startswith("the database could not be written (") and "\n" not in message, message
    assert_nothing_written(tally, token, 0)
    engine.dispose()


def test_closing_the_meeting_waits_for_a_vote_in_progress(tally: Tally, voting_meeting: str) -> None:
    token = sign_in(tally, voting_meeting, "Grace")
    reached, go = threading.Event(), threading.Event()
    cast: list[object] = []

    def pause_the_voter(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO ballots ") and threading.current_thread().name == "voter":
            reached.set()
            go.wait(10)

    event.listen(tally.engine, "before_cursor_execute", pause_the_voter)
    voter = threading.Thread(target=lambda: cast.append(tally.cast_ballot(voting_meeting, token, {})), name="voter")
    voter.start()
    assert reached.wait(10)
    closer = threading.Thread(target=tally.set_state, args=(voting_meeting, MeetingState.CLOSED))
    closer.start()
    closer.join(0.5)
    closed_during_the_vote = not closer.is_alive() or tally.meeting(voting_meeting).state is MeetingState.CLOSED
    go.set()
    voter.join(20)
    closer.join(30)
    event.remove(tally.engine, "before_cursor_execute", pause_the_voter)
    assert not closed_during_the_vote
    assert len(cast) == 1 and tally.meeting(voting_meeting).state is MeetingState.CLOSED
    assert tally.results(voting_meeting).ballots_cast == 1
    if tally.engine.dialect.name == "postgresql":  # the ballot was rewritten at close like the others
        with tally.engine.connect() as conn:
            closing = conn.execute(text("SELECT DISTINCT xmin::text FROM ballot_choices")).scalars().all()
            tokens = conn.execute(text("SELECT DISTINCT xmin::text FROM ballot_tokens")).scalars().all()
        assert len(closing) == 1 and tokens == closing
