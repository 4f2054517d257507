"""Ranked-choice tabulation speed: 10,000 ranked ballots over 12 candidates, 3 seats (STV), and the same ballots
as a one-seat instant-runoff; also the same STV count through RCTab's file formats (CDF JSON export and
``kiosk rcv tabulate``'s reading). Target: the STV count in ≤ 2 s.

    .venv/bin/python bench/bench_rcv.py [--ballots 10000] [--pin] [--quick] [--json PATH]

Ballots are drawn from a fixed seed: preferences clustered around a few "factions", each voter ranking 1–12
candidates, so counts run many rounds with surplus transfers and exhausted ballots like a real committee race.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from benchlib import add_common_args, emit, pin_self

from kiosk.rcv import Ballot, Contest, Rules, WinnerMode, ballot_from_order, tabulate
from kiosk.rcv.command import tabulate_config
from kiosk.rcv.export import export_rctab

CANDIDATES = [f"Candidate {i:02d}" for i in range(1, 13)]


def make_ballots(count: int, seed: int = 2026) -> list[Ballot]:
    rng = random.Random(seed)
    factions = [rng.sample(CANDIDATES, len(CANDIDATES)) for _ in range(4)]
    ballots = []
    for _ in range(count):
        order = list(rng.choice(factions))
        for _ in range(rng.randint(0, 6)):  # individual taste: swap a few neighbours
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
        ballots.append(ballot_from_order(order[: rng.randint(1, len(order))]))
    return ballots


def timed(runs: int, fn: object) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--ballots", type=int, default=10_000)
    args = parser.parse_args()
    if args.pin:
        pin_self()
    runs = 1 if args.quick else 3
    ballots = make_ballots(args.ballots)
    stv = Contest.of(CANDIDATES, seats=3, rules=Rules(winner_mode=WinnerMode.MULTI_WINNER_MANY_PER_ROUND))
    irv = Contest.of(CANDIDATES)
    stv_s, stv_result = timed(runs, lambda: tabulate(stv, ballots))
    irv_s, irv_result = timed(runs, lambda: tabulate(irv, ballots))
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        config = export_rctab(stv, ballots, folder, "bench")
        export_s = time.perf_counter() - start
        file_s, file_result = timed(runs, lambda: tabulate_config(config))
    assert file_result.rounds == stv_result.rounds  # type: ignore[attr-defined]
    figures = {
        "ballots": len(ballots),
        "candidates": len(CANDIDATES),
        "stv_3_seats_s": round(stv_s, 3),
        "stv_rounds": len(stv_result.rounds),  # type: ignore[attr-defined]
        "irv_s": round(irv_s, 3),
        "irv_rounds": len(irv_result.rounds),  # type: ignore[attr-defined]
        "export_cdf_s": round(export_s, 3),
        "read_and_count_cdf_s": round(file_s, 3),
        "target_s": 2.0,
    }
    print(f"{len(ballots):,} ballots, {len(CANDIDATES)} candidates (median of {runs} run(s))")
    print(f"STV, 3 seats:   {stv_s:.3f} s, {figures['stv_rounds']} rounds  (target ≤ 2 s)")
    print(f"IRV, 1 seat:    {irv_s:.3f} s, {figures['irv_rounds']} rounds")
    print(f"export CDF:     {export_s:.3f} s;  read CDF + count: {file_s:.3f} s")
    emit(args, "rcv", figures)


if __name__ == "__main__":
    main()
