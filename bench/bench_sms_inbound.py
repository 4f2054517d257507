"""Inbound texts: 1,000 texts arriving in a burst through the console backend, read and recorded by the gateway
(one transaction each: store, read, RSVP, reply queued), then counted back: none lost.

    .venv/bin/python bench/bench_sms_inbound.py [--texts 1000] [--pin] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import add_pi_arg, emit, pi_or_skip, pin_self
from sqlalchemy import func, select

from kiosk import db
from kiosk.schema import sms_inbound
from kiosk.tally import Tally
from sms.backends import ConsoleBackend
from sms.gateway import Gateway

BODIES = [
    "yes",
    "YES 2",
    "no",
    "maybe",
    "Sí",
    "si 2",
    "GA12 YES",
    "What time does it start?",
    "Liked “Reply YES”",
    "STOP",
    "START",
    "yes +1",
    "n",
    "HELP",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--pin", action="store_true", help="run on one CPU (taskset -c 0 stand-in)")
    add_pi_arg(parser)
    parser.add_argument("--quick", action="store_true", help="300 texts (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    if args.quick:
        args.texts = min(args.texts, 300)
    if pi_or_skip(args, "sms_inbound"):
        pin_self(args)
    elif args.pin:
        os.sched_setaffinity(0, {0})
    folder = Path(__file__).parent / "out" / "sms-inbound"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    engine = db.make_engine(f"sqlite:///{folder / 'tally.db'}")
    db.upgrade(engine)
    tally = Tally(engine)
    starts = datetime.now(UTC) + timedelta(days=2)
    tally.create_meeting(code="GA12", title="General Assembly", starts=starts)
    gateway = Gateway(tally, organization="RPA", replies_per_hour=1000)
    backend = ConsoleBackend()
    rng = random.Random(3)
    for _ in range(args.texts):
        backend.inject(f"+1510555{rng.randint(0, 9999):04d}", rng.choice(BODIES))
    texts = backend.poll()
    times = []
    begin = time.perf_counter()
    for text in texts:
        start = time.perf_counter()
        gateway.receive(text)
        backend.acknowledge(text.provider_id)
        times.append(time.perf_counter() - start)
    elapsed = time.perf_counter() - begin
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(sms_inbound)).scalar_one()
    ordered = sorted(times)
    print(f"cpus: {'1 (pinned)' if args.pin else os.cpu_count()}")
    print(
        f"inbound: {len(texts)} texts in {elapsed:.2f} s = {len(texts) / elapsed:.0f} texts/s; "
        f"p50 {statistics.median(times) * 1000:.2f} ms, p95 {ordered[int(0.95 * len(ordered))] * 1000:.2f} ms; "
        f"stored {stored}, lost {len(texts) - stored}"
    )
    emit(
        args,
        "sms_inbound",
        {
            "texts": len(texts),
            "per_s": round(len(texts) / elapsed, 1),
            "p50_ms": round(statistics.median(times) * 1000, 3),
            "p95_ms": round(ordered[int(0.95 * len(ordered))] * 1000, 3),
            "stored": stored,
            "lost": len(texts) - stored,
        },
    )
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
