"""A token bucket for pacing sends (Twilio long codes take 1 segment/s; a GSM modem one text every few s).

The clock and the sleep are injectable so tests run on a fake clock. Thread-safe. A request for more tokens
than the burst (a three-segment text through a bucket of one) is allowed once the bucket is full, leaving it
in debt, so the average rate still holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Float slack: after sleeping exactly the computed wait, the refill can land a hair short of a whole token.
_EPSILON = 1e-9


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``. Starts full."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)  # a clock that steps back must not mint tokens
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._stamp = now

    def wait_time(self, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` could be taken (0.0 if now)."""
        with self._lock:
            self._refill()
            need = min(tokens, self.burst)
            return max(0.0, (need - _EPSILON - self._tokens) / self.rate)

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take ``tokens`` if available now."""
        with self._lock:
            self._refill()
            if self._tokens >= min(tokens, self.burst) - _EPSILON:
                self._tokens -= tokens
                return True
            return False

    def acquire(self, tokens: float = 1.0, timeout: float | None = None) -> bool:
        """Wait for and take ``tokens``; False if that would take longer than ``timeout`` seconds."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                self._refill()
                need = min(tokens, self.burst)
                if self._tokens >= need - _EPSILON:
                    self._tokens -= tokens
                    return True
                wait = (need - self._tokens) / self.rate
            if deadline is not None and self._clock() + wait > deadline:
                return False
            self._sleep(wait)
