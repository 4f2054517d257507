"""Several kiosks at once: threads and separate processes racing for the same tokens and sign-ins.

Exactly one ballot per token, and one sign-in per person, whatever the interleaving: the database decides.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from kiosk.errors import TokenRejected
from kiosk.schema import ballots, signins
from kiosk.tally import Tally
from tests.conftest import member_id

ROOT = Path(__file__).resolve().parents[1]


def issue_tokens(tally: Tally, code: str, count: int) -> list[str]:
    roster = "name,status,joined\n" + "".join(f"Racer {i:03d},member,2000-01-01\n" for i in range(count))
    tally.import_roster(roster)
    tokens = []
    for i in range(count):
        signin = tally.sign_in_member(code, member_id(tally, code, f"Racer {i:03d}"))
        assert signin.token
        tokens.append(signin.token)
    return tokens


def count_ballots(tally: Tally) -> int:
    with tally.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ballots)).scalar_one()


def test_threads_spending_the_same_tokens_make_one_ballot_each(tally: Tally, voting_meeting: str) -> None:
    tokens = issue_tokens(tally, voting_meeting, 20)
    barrier = threading.Barrier(6)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def kiosk() -> None:
        barrier.wait()
        for token in tokens:
            try:
                tally.cast_ballot(voting_meeting, token, {})
                result = "cast"
            except TokenRejected as exc:
                result = exc.reason
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=kiosk) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == {"cast": 20, "spent": 100}
    assert count_ballots(tally) == 20
    assert tally.audit_verify().ok


def run_workers(args_per_worker: list[list[str]]) -> list[str]:
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.procs", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for args in args_per_worker
    ]
    lines: list[str] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0
        lines += out.splitlines()
    return lines


def test_processes_spending_the_same_tokens_make_one_ballot_each(
    tally: Tally, voting_meeting: str, db_url: str
) -> None:
    tokens = issue_tokens(tally, voting_meeting, 30)
    start_at = f"{time.time() + 1.5:.3f}"
    lines = run_workers([["spend", db_url, voting_meeting, start_at, *tokens] for _ in range(4)])
    casts = [line.split()[1] for line in lines if line.startswith("cast ")]
    assert sorted(casts) == sorted(tokens)  # every token spent exactly once across all processes
    assert len([line for line in lines if line.startswith("refused ")]) == 3 * len(tokens)
    assert count_ballots(tally) == 30
    assert tally.audit_verify().ok


def test_processes_signing_in_the_same_people_make_one_signin_each(
    tally: Tally, voting_meeting: str, db_url: str
) -> None:
    ids = [str(member_id(tally, voting_meeting, name)) for name in ["Ana Ram", "Marcus", "Keisha", "Li Wei", "Grace"]]
    start_at = f"{time.time() + 1.5:.3f}"
    lines = run_workers([["signin", db_url, voting_meeting, start_at, *ids] for _ in range(4)])
    new = Counter(line.split()[1] for line in lines if line.endswith(" new"))
    assert new == {i: 1 for i in ids}
    with tally.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(signins)).scalar_one() == 5
    assert tally.results(voting_meeting).ballots_issued == 5


def test_threads_signing_in_the_same_person(tally: Tally, voting_meeting: str) -> None:
    ana = member_id(tally, voting_meeting, "Ana Ram")
    barrier = threading.Barrier(8)
    results = []

    def kiosk() -> None:
        barrier.wait()
        results.append(tally.sign_in_member(voting_meeting, ana))

    threads = [threading.Thread(target=kiosk) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(1 for r in results if not r.already) == 1
    assert sum(1 for r in results if r.token) == 1
