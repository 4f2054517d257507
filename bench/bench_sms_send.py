"""Benchmark: paced sends through TwilioBackend (real twilio client) against the fake Twilio API on 127.0.0.1.

Prints the achieved send rate against the configured limit (measured from the fake's receive times) and the
send latency percentiles. Run from the repository root:

    .venv/bin/python bench/bench_sms_send.py --rate 20 --count 300 [--pin] [--quick] [--json PATH]

``--pin`` puts the sending thread (the backend and the rate limiter) on CPU 0, a Pi stand-in; the fake Twilio
API's thread, started before, stays unpinned (it stands for Twilio's servers).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import add_pi_arg, emit, pi_or_skip, pin_self

from sms.backends import SendStatus
from sms.ratelimit import TokenBucket
from sms.segments import segment_count
from sms.twilio_backend import TwilioBackend
from tests.fake_twilio import FakeTwilio


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="segments per second (a long code: 1)")
    parser.add_argument("--burst", type=float, default=1.0, help="bucket size in segments")
    parser.add_argument("--count", type=int, default=300, help="texts to send")
    parser.add_argument("--body", default="Reminder: General Assembly, Thu Dec 3, 7 pm. Reply NO if you can't come.")
    parser.add_argument("--pin", action="store_true", help="send from CPU 0 only (taskset -c 0 stand-in)")
    add_pi_arg(parser)
    parser.add_argument("--quick", action="store_true", help="100 texts (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args()
    pi_or_skip(args, "sms_send")
    if args.quick:
        args.count = min(args.count, 100)

    segments = segment_count(args.body).segments
    with FakeTwilio() as fake:
        backend = TwilioBackend(fake.account_sid, fake.auth_token, "+15550001111", api_base=fake.base_url, timeout=5)
        if args.pi:  # the whole process: the fake Twilio's thread too (a cgroup takes every thread)
            pin_self(args)
        elif args.pin:
            os.sched_setaffinity(0, {0})  # this thread only (Linux): the fake's server thread is already running
        limiter = TokenBucket(args.rate, args.burst)
        latencies: list[float] = []
        failures = 0
        started = time.monotonic()
        for i in range(args.count):
            limiter.acquire(segments)
            t0 = time.perf_counter()
            result = backend.send(f"+1555{i:07d}", args.body)
            latencies.append(time.perf_counter() - t0)
            failures += result.status != SendStatus.SENT
        wall = time.monotonic() - started
        backend.close()
        received = [m.monotonic for m in fake.sent()]

    span = max(received) - min(received)
    achieved = (len(received) - 1) * segments / span if span > 0 else float("inf")
    print(f"texts sent:        {len(received)} of {args.count} ({failures} failures), {segments} segment(s) each")
    print(f"wall time:         {wall:.2f} s")
    print(f"limit:             {args.rate:g} segments/s (burst {args.burst:g})")
    print(f"achieved:          {achieved:.2f} segments/s  ratio {achieved / args.rate:.3f} (target >= 0.95)")
    p50, p95 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000
    worst, mean = max(latencies) * 1000, statistics.fmean(latencies) * 1000
    print(f"send latency:      p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {worst:.1f} ms  mean {mean:.1f} ms")
    emit(
        args,
        "sms_send",
        {
            "texts": len(received),
            "failures": failures,
            "segments_each": segments,
            "limit_per_s": args.rate,
            "achieved_per_s": round(achieved, 3),
            "ratio": round(achieved / args.rate, 4),
            "send_p50_ms": round(p50, 2),
            "send_p95_ms": round(p95, 2),
        },
    )
    return 0 if failures == 0 and achieved / args.rate >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
