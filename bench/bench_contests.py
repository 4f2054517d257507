"""A meeting's contest counted through the meeting path: 10,000 ranked ballots over 12 candidates, 3 seats (STV),
stored in a real SQLite database, read back with ``Tally.contest_rankings`` and counted with
``kiosk.contest_results`` (as the dashboard, the tape, ``kiosk results`` and the bundle do). Target: ≤ 2 s.

    .venv/bin/python bench/bench_contests.py [--ballots 10000] [--pin] [--quick] [--json PATH]

The ballots are bench_rcv.py's (same seed, same factions). Setting them up casts each one through the tally's
tables in one transaction (not ``Tally.cast_ballot``, whose speed bench_ballots.py measures): what is timed here is
reading the rankings back and counting them, the path that runs at the close.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from bench_rcv import CANDIDATES, make_ballots, timed
from benchlib import add_common_args, emit, pin_self
from sqlalchemy import insert

from kiosk import db
from kiosk.contest_results import count_contest
from kiosk.live_figures import release_figures
from kiosk.schema import ballot_rankings, ballots
from kiosk.tally import MeetingState, Tally


def contests_csv() -> str:
    rows = ["contest,seats,method,candidate"]
    rows += [
        f"Steering committee,{3 if i == 0 else ''},{'stv' if i == 0 else ''},{name}"
        for i, name in enumerate(CANDIDATES)
    ]
    return "\n".join(rows) + "\n"


def closed_meeting(folder: Path, count: int) -> tuple[Tally, float]:
    engine = db.make_engine(f"sqlite:///{folder / 'bench.db'}")
    db.upgrade(engine)
    tally = Tally(engine, region="US", timezone="America/Los_Angeles")
    tally.create_meeting(code="BENCH", title="Bench", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_contests("BENCH", contests_csv())
    tally.set_state("BENCH", MeetingState.VOTING_OPEN)
    meeting = tally.meeting("BENCH")
    contest = tally.contests("BENCH")[0]
    candidate_id = {c.name: c.id for c in contest.candidates}
    rng = random.Random(16)
    start = time.perf_counter()
    with db.write_transaction(engine) as conn:
        codes = [f"{rng.getrandbits(64):016X}" for _ in range(count)]
        conn.execute(insert(ballots), [{"code": c, "meeting_id": meeting.id} for c in codes])
        rows = [
            {"ballot_code": code, "contest_id": contest.id, "rank": rank, "candidate_id": candidate_id[names[0]]}
            for code, ballot in zip(codes, make_ballots(count), strict=True)
            for rank, names in ballot
        ]
        conn.execute(insert(ballot_rankings), rows)
    setup_s = time.perf_counter() - start
    tally.set_state("BENCH", MeetingState.CLOSED)
    return tally, setup_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--ballots", type=int, default=10_000)
    args = parser.parse_args()
    if args.pin or args.pi:
        pin_self(args)
    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as folder:
        tally, setup_s = closed_meeting(Path(folder), args.ballots)
        contest = tally.contests("BENCH")[0]
        read_s, rankings = timed(runs, lambda: tally.contest_rankings("BENCH", contest.id))
        count_s, result = timed(runs, lambda: count_contest(contest, rankings))  # type: ignore[arg-type]
        start = time.perf_counter()
        released = release_figures(tally, "BENCH", step=1)  # the close's first view: read + count every contest
        first_view_s = time.perf_counter() - start
        again_s, _ = timed(runs, lambda: release_figures(tally, "BENCH", step=1))
        tally.engine.dispose()
    assert released.contests[0].winners == result.winners  # type: ignore[attr-defined]
    figures = {
        "ballots": args.ballots,
        "candidates": len(CANDIDATES),
        "seats": 3,
        "read_rankings_s": round(read_s, 3),
        "count_s": round(count_s, 3),
        "rounds": len(result.tabulation.rounds),  # type: ignore[attr-defined]
        "read_and_count_s": round(read_s + count_s, 3),
        "first_view_after_close_s": round(first_view_s, 3),
        "later_views_s": round(again_s, 4),
        "setup_s": round(setup_s, 3),
        "target_s": 2.0,
    }
    print(f"{args.ballots:,} ballots, {len(CANDIDATES)} candidates, 3 seats, in a meeting (median of {runs} run(s))")
    print(f"read rankings:  {read_s:.3f} s   (Tally.contest_rankings)")
    print(f"count:          {count_s:.3f} s, {figures['rounds']} rounds")
    print(f"read + count:   {read_s + count_s:.3f} s   (target ≤ 2 s)")
    print(
        f"first view after close (release_figures, every contest): {first_view_s:.3f} s; later views "
        f"{again_s * 1000:.1f} ms (the count is kept)"
    )
    emit(args, "contests", figures)


if __name__ == "__main__":
    main()
