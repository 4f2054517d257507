"""Ballot secrecy in the database files themselves, and durability of acknowledged ballots under SIGKILL.

Secrecy: ballots are cast in a known order; after voting closes, every order that can be read back (queries
without ORDER BY, an SQL dump, byte offsets in the raw database file, the WAL; on PostgreSQL the physical
order ``ctid``) is compared with the casting order by Kendall's tau, which must stay within ±0.1. On
PostgreSQL the transaction ids stamped on rows (``xmin``) must not link a ballot to its token either.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from kiosk import db
from kiosk.tally import MeetingState, Tally
from kiosk.tokens import normalize_code
from tests.test_concurrency import ROOT, issue_tokens

CONTESTS_CSV = Path(__file__).parent / "fixtures" / "contests.csv"


def kendall_tau(order: list[str], reference: list[str]) -> float:
    """Rank correlation of ``order`` against ``reference`` over the items both contain (tau-a)."""
    rank = {item: i for i, item in enumerate(reference)}
    ranks = [rank[item] for item in order if item in rank]
    n = len(ranks)
    concordant = discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            if ranks[i] < ranks[j]:
                concordant += 1
            elif ranks[i] > ranks[j]:
                discordant += 1
    pairs = n * (n - 1) / 2
    return (concordant - discordant) / pairs if pairs else 0.0


def test_kendall_tau_helper() -> None:
    assert kendall_tau(list("abcd"), list("abcd")) == 1.0
    assert kendall_tau(list("dcba"), list("abcd")) == -1.0


def offsets_order(data: bytes, codes: list[str]) -> list[str]:
    found = [(data.find(code.encode()), code) for code in codes]
    return [code for offset, code in sorted(found) if offset >= 0]


BALLOTS = 1000  # with n random codes tau has sd ~ 0.67/sqrt(n): 1000 keeps 0.1 beyond 4.5 sd


@pytest.fixture
def cast_in_known_order(tally: Tally, roster_csv: str, planks_csv: str) -> tuple[Tally, list[str]]:
    """GA12 with planks and ranked-choice contests; BALLOTS ballots cast in a known order, each with choices and
    rankings (the rankings table must lose the order of casting exactly as the choices do)."""
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", planks_csv)
    tally.import_contests("GA12", CONTESTS_CSV.read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    tokens = issue_tokens(tally, "GA12", BALLOTS)
    planks = tally.planks("GA12")
    contests = tally.contests("GA12")
    rng = random.Random(7)
    cast_order = []
    for token in tokens:
        choices = {p.id: rng.choice(["yes", "no", "abstain"]) for p in planks}
        rankings = {c.id: rng.sample([x.id for x in c.candidates], rng.randint(1, len(c.candidates))) for c in contests}
        cast_order.append(normalize_code(tally.cast_ballot("GA12", token, choices, rankings).verification_code))
    return tally, cast_order


@pytest.mark.sqlite_only
def test_nothing_links_ballots_to_casting_order_after_close(
    cast_in_known_order: tuple[Tally, list[str]], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tally, cast_order = cast_in_known_order
    path = Path(db_url.removeprefix("sqlite:///"))
    before_close = kendall_tau(offsets_order(path.read_bytes(), cast_order), cast_order)
    tally.set_state("GA12", MeetingState.CLOSED)
    tally.engine.dispose()  # as after a restart: every reader sees only the files

    readings: dict[str, list[str]] = {}
    with sqlite3.connect(path) as conn:
        readings["SELECT code FROM ballots"] = [r[0] for r in conn.execute("SELECT code FROM ballots")]
        for table in ("ballot_choices", "ballot_rankings"):
            readings[f"SELECT ballot_code FROM {table}"] = list(
                dict.fromkeys(r[0] for r in conn.execute(f"SELECT ballot_code FROM {table}"))
            )
        dump = "\n".join(conn.iterdump())
        readings["SQL dump"] = offsets_order(dump.encode(), cast_order)
    readings["raw database file"] = offsets_order(path.read_bytes(), cast_order)
    wal = path.with_name(path.name + "-wal")
    wal_bytes = wal.read_bytes() if wal.exists() else b""
    assert offsets_order(wal_bytes, cast_order) == [], "ballot codes left in the WAL after close"

    with capsys.disabled():
        print(f"\n  secrecy, {BALLOTS} ballots: raw-file tau before close {before_close:+.3f}")
        for name, order in readings.items():
            tau = kendall_tau(order, cast_order)
            print(f"  secrecy after close: {name}: tau {tau:+.3f} over {len(order)} ballots")
    for name, order in readings.items():
        assert len(order) == BALLOTS, name
        assert abs(kendall_tau(order, cast_order)) <= 0.1, name


def _xmin_links(conn: Connection, table: str = "ballot_choices") -> int:
    """Ballots whose choices (or rankings) were written by the same transaction as exactly one spent token: a
    named voter."""
    return conn.execute(
        text(
            f"SELECT count(*) FROM (SELECT c.ballot_code FROM {table} c "
            "JOIN ballot_tokens t ON t.xmin = c.xmin AND t.state = 'spent' "
            "GROUP BY c.ballot_code HAVING count(DISTINCT t.id) = 1) AS linked"
        )
    ).scalar_one()


@pytest.mark.postgresql_only
def test_postgresql_nothing_links_ballots_to_casting_order_or_tokens_after_close(
    cast_in_known_order: tuple[Tally, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    tally, cast_order = cast_in_known_order
    results_before = tally.results("GA12")
    physical = "SELECT code FROM ballots ORDER BY ctid"
    with tally.engine.connect() as conn:
        before_tau = kendall_tau(list(conn.execute(text(physical)).scalars()), cast_order)
        before_links = _xmin_links(conn)
        before_ranking_links = _xmin_links(conn, "ballot_rankings")
    tally.set_state("GA12", MeetingState.CLOSED)
    tally.engine.dispose()

    readings: dict[str, list[str]] = {}
    with tally.engine.connect() as conn:
        readings["SELECT code FROM ballots"] = list(conn.execute(text("SELECT code FROM ballots")).scalars())
        readings[physical] = list(conn.execute(text(physical)).scalars())
        for table in ("ballot_choices", "ballot_rankings"):
            for query in (f"SELECT ballot_code FROM {table}", f"SELECT ballot_code FROM {table} ORDER BY ctid"):
                readings[query] = list(dict.fromkeys(conn.execute(text(query)).scalars()))
        after_links = _xmin_links(conn) + _xmin_links(conn, "ballot_rankings")
        stamps = conn.execute(
            text(
                "SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM ballots UNION ALL "
                "SELECT xmin FROM ballot_choices UNION ALL SELECT xmin FROM ballot_rankings UNION ALL "
                "SELECT xmin FROM ballot_tokens WHERE state = 'spent') AS s"
            )
        ).scalar_one()
    with capsys.disabled():
        print(
            f"\n  secrecy (PostgreSQL), {BALLOTS} ballots: ctid tau before close {before_tau:+.3f}, "
            f"ballots linked to their token by xmin before close: {before_links}"
        )
        for name, order in readings.items():
            print(f"  secrecy after close: {name}: tau {kendall_tau(order, cast_order):+.3f} over {len(order)} ballots")
        print(
            f"  after close: linked by xmin {after_links}; distinct xmin over ballots, choices, spent tokens {stamps}"
        )
    assert tally.results("GA12").planks == results_before.planks and tally.audit_verify().ok
    assert before_links == before_ranking_links == BALLOTS  # the leak the rewrite exists for: every ballot named
    assert after_links == 0 and stamps == 1
    for name, order in readings.items():
        assert len(order) == BALLOTS, name
        assert abs(kendall_tau(order, cast_order)) <= 0.1, name


@pytest.mark.sqlite_only  # PostgreSQL: checked by the test above, which casts its own 1000 ballots
def test_results_unchanged_by_the_rewrite(cast_in_known_order: tuple[Tally, list[str]]) -> None:
    tally, _ = cast_in_known_order
    before = tally.results("GA12")
    tally.set_state("GA12", MeetingState.CLOSED)
    after = tally.results("GA12")
    assert before.planks == after.planks and after.ballots_cast == BALLOTS
    assert tally.audit_verify().ok
    if db.is_sqlite(tally.engine):
        with tally.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


# --- durability -------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_with_full_sync(tally: Tally) -> None:
    with tally.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_sigkill_while_casting_loses_no_acknowledged_ballot(
    tally: Tally, voting_meeting: str, db_url: str, tmp_path: Path
) -> None:
    tokens = issue_tokens(tally, voting_meeting, 400)
    rng = random.Random(11)
    acknowledged: list[str] = []
    remaining = tokens
    for _ in range(4):
        token_file = tmp_path / "tokens.txt"
        token_file.write_text(" ".join(remaining))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.procs", "cast-forever", db_url, voting_meeting, str(token_file)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        target = rng.randint(5, 40)
        seen = 0
        for line in proc.stdout:  # kill after a random number of acknowledgements, mid-stream
            if line.startswith("ack "):
                acknowledged.append(normalize_code(line.split()[1]))
                seen += 1
            if seen >= target:
                os.kill(proc.pid, signal.SIGKILL)
                break
        acknowledged += [normalize_code(x.split()[1]) for x in proc.stdout.read().splitlines() if x.startswith("ack ")]
        proc.stdout.close()
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        engine = db.make_engine(db_url)
        with engine.connect() as conn:
            if db.is_sqlite(engine):
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            stored = set(conn.execute(text("SELECT code FROM ballots")).scalars())
            spent = conn.execute(text("SELECT count(*) FROM ballot_tokens WHERE state = 'spent'")).scalar()
        engine.dispose()
        assert set(acknowledged) <= stored
        assert spent == len(stored)  # a token is spent exactly when its ballot exists: nothing half-written
        remaining = tokens[len(stored) :]  # the worker casts in file order, so what is stored is a prefix
    assert tally.audit_verify().ok
    assert len(acknowledged) >= 20
