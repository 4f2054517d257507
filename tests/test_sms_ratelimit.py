"""The token bucket on a fake clock."""

from __future__ import annotations

import threading
import time

import pytest

from sms.ratelimit import TokenBucket
from tests.conftest import SteadyClock


def bucket(rate: float, burst: float = 1.0) -> tuple[TokenBucket, SteadyClock]:
    clock = SteadyClock()
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep), clock


def test_starts_full_then_paces() -> None:
    limiter, clock = bucket(rate=2, burst=1)
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    assert limiter.wait_time() == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.try_acquire()


def test_acquire_sleeps_exactly_enough() -> None:
    limiter, clock = bucket(rate=20, burst=1)
    start = clock.now
    for _ in range(301):
        assert limiter.acquire()
    assert clock.now - start == pytest.approx(300 / 20)


def test_burst_then_rate() -> None:
    limiter, clock = bucket(rate=1, burst=5)
    assert all(limiter.try_acquire() for _ in range(5))
    assert not limiter.try_acquire()
    clock.now += 100  # idling never stores more than the burst
    assert sum(limiter.try_acquire() for _ in range(10)) == 5


def test_multi_segment_text_goes_into_debt() -> None:
    limiter, clock = bucket(rate=1, burst=1)
    assert limiter.acquire(3)  # allowed when full
    start = clock.now
    assert limiter.acquire(1)
    assert clock.now - start == pytest.approx(3.0)  # repays the debt first


def test_timeout() -> None:
    limiter, clock = bucket(rate=1, burst=1)
    limiter.acquire()
    assert not limiter.acquire(timeout=0.5)
    assert clock.sleeps == []
    assert limiter.acquire(timeout=1.0)


def test_clock_stepping_back_mints_nothing() -> None:
    limiter, clock = bucket(rate=1, burst=1)
    limiter.acquire()
    clock.now -= 50
    assert not limiter.try_acquire()


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0), (-1, 1)])
def test_rejects_nonsense(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


def test_threads_share_the_rate_with_the_real_clock() -> None:
    limiter = TokenBucket(rate=200, burst=1)
    taken: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                taken.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(taken) == 40
    span = max(taken) - min(taken)
    assert span >= 39 / 200 * 0.9  # no faster than the rate
