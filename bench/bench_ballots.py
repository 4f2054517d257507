"""Durable ballot casts per second through the tally, against plain durable sqlite3 inserts on the same disk.

Both sides use SQLite in WAL mode with synchronous=FULL, one transaction per row, in a folder on the same
disk (default: ./bench/out), measured in alternating blocks of 50 so both see the same disk. The tally side
casts real ballots (six planks: token spend + ballot + six choices + an audit entry, one transaction). Prints
casts/s, p50/p99 latency, and the ratio to the plain baseline.

    .venv/bin/python bench/bench_ballots.py [--ballots 1000] [--pin] [--quick] [--json PATH]

``--pin``: the whole bench (both sides) on CPU 0, a Pi stand-in. ``--json PATH`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

from benchlib import add_pi_arg, emit, pi_or_skip, pin_self

from kiosk import db
from kiosk.tally import MeetingState, Tally

PLANKS = "title,text,threshold\n" + "".join(f"Plank {i},Text {i},majority\n" for i in range(1, 7))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class PlainSqlite:
    """The baseline: one durable single-row insert per transaction, as plain as sqlite3 gets."""

    def __init__(self, folder: Path) -> None:
        self.conn = sqlite3.connect(folder / "plain.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
        self.done = 0

    def step(self) -> float:
        start = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t (payload) VALUES (?)", (f"row {self.done}",))
        self.conn.execute("COMMIT")
        self.done += 1
        return time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


class TallyCasts:
    """Real ballots through the tally: members signed in beforehand, one token spent per cast."""

    def __init__(self, folder: Path, ballots: int) -> None:
        self.engine = db.make_engine(f"sqlite:///{folder / 'tally.db'}")
        db.upgrade(self.engine)
        self.tally = tally = Tally(self.engine)
        roster = "".join(f"Voter {i:05d},member,2000-01-01\n" for i in range(ballots))
        tally.import_roster("name,status,joined\n" + roster)
        tally.create_meeting(code="B1", title="Bench", starts="2026-12-03T19:00")
        tally.import_planks("B1", PLANKS)
        tally.set_state("B1", MeetingState.VOTING_OPEN)
        self.planks = [p.id for p in tally.planks("B1")]
        self.tokens = []
        for person in tally.find_people("B1", "voter", limit=ballots):
            assert person.member_id is not None
            signin = tally.sign_in_member("B1", person.member_id)
            assert signin.token
            self.tokens.append(signin.token)
        self.done = 0

    def step(self) -> float:
        i = self.done
        choices = {pid: ("yes", "no", "abstain")[(i + j) % 3] for j, pid in enumerate(self.planks)}
        start = time.perf_counter()
        self.tally.cast_ballot("B1", self.tokens[i], choices)
        self.done += 1
        return time.perf_counter() - start

    def close(self) -> None:
        assert self.tally.results("B1").ballots_cast == self.done
        self.engine.dispose()


def interleaved(folder: Path, count: int, block: int = 50) -> tuple[list[float], list[float]]:
    """Both sides in alternating blocks, so that both see the same disk: a shared disk's fsync time swings
    several-fold within a minute, and one side measured after the other would mostly measure that swing."""
    plain, casts = PlainSqlite(folder), TallyCasts(folder, count)
    plain_times: list[float] = []
    cast_times: list[float] = []
    while casts.done < count:
        n = min(block, count - casts.done)
        plain_times += [plain.step() for _ in range(n)]
        cast_times += [casts.step() for _ in range(n)]
    plain.close()
    casts.close()
    return plain_times, cast_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--pin", action="store_true", help="run on one CPU (taskset -c 0 stand-in)")
    add_pi_arg(parser)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--quick", action="store_true", help="300 ballots (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    if args.quick:
        args.ballots = min(args.ballots, 300)
    if pi_or_skip(args, "ballots"):
        pin_self(args)
    elif args.pin:
        os.sched_setaffinity(0, {0})
    folder = args.dir / "ballots"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    plain, casts = interleaved(folder, args.ballots)
    plain_rate = len(plain) / sum(plain)
    cast_rate = len(casts) / sum(casts)
    print(f"disk folder: {folder.resolve()}  cpus: {'1 (pinned)' if args.pin else os.cpu_count()}")
    print(
        f"plain sqlite3 durable inserts: {plain_rate:8.0f}/s  p50 {statistics.median(plain) * 1000:.2f} ms  "
        f"p99 {percentile(plain, 0.99) * 1000:.2f} ms"
    )
    print(
        f"tally durable ballot casts:    {cast_rate:8.0f}/s  p50 {statistics.median(casts) * 1000:.2f} ms  "
        f"p99 {percentile(casts, 0.99) * 1000:.2f} ms"
    )
    print(f"ratio tally/plain: {cast_rate / plain_rate:.2f} (target >= 0.5)")
    emit(
        args,
        "ballots",
        {
            "ballots": len(casts),
            "plain_per_s": round(plain_rate, 1),
            "plain_p50_ms": round(statistics.median(plain) * 1000, 3),
            "plain_p99_ms": round(percentile(plain, 0.99) * 1000, 3),
            "casts_per_s": round(cast_rate, 1),
            "cast_p50_ms": round(statistics.median(casts) * 1000, 3),
            "cast_p99_ms": round(percentile(casts, 0.99) * 1000, 3),
            "ratio": round(cast_rate / plain_rate, 3),
            "disk_folder": str(folder.resolve()),
        },
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
