"""Benchmark: paced sends through TwilioBackend (real twilio client) against the fake Twilio API on 127.0.0.1.

Prints the achieved send rate against the configured limit (measured from the fake's receive times) and the
send latency percentiles. Run from the repository root:

    .venv/bin/python bench/bench_sms_send.py --rate 20 --count 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    args = parser.parse_args()

    segments = segment_count(args.body).segments
    with FakeTwilio() as fake:
        backend = TwilioBackend(fake.account_sid, fake.auth_token, "+15550001111", api_base=fake.base_url, timeout=5)
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
    return 0 if failures == 0 and achieved / args.rate >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
