"""``java.util.Random`` exactly: the 48-bit linear congruential generator RCTab's seeded tie-breaks use.

RCTab breaks a tie in ``random`` (and ``previousRoundCountsThenRandom``) mode with one ``java.util.Random``
built from the configured ``randomSeed`` at the start of the count: it sorts the tied names (Java string order),
draws ``nextDouble()`` and takes index ``floor(d * len(tied))``. ``generatePermutation`` sorts the candidate
names and shuffles them once with ``Collections.shuffle(list, random)``. Reproducing those draws bit for bit is
what lets a recount here pick the same candidate RCTab picked.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import TypeVar

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1

T = TypeVar("T")


def _int32(value: int) -> int:
    """Wrap to a signed 32-bit int, as Java's ``(int)`` cast does."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class JavaRandom:
    """The generator of ``java.util.Random`` (see its Javadoc: the LCG constants and each method's formula)."""

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def next_bits(self, bits: int) -> int:
        """``protected int next(int bits)``."""
        self._seed = (self._seed * _MULTIPLIER + _ADDEND) & _MASK
        return _int32(self._seed >> (48 - bits))

    def next_int(self, bound: int | None = None) -> int:
        """``nextInt()`` or ``nextInt(bound)`` (with Java's rejection of the biased top range)."""
        if bound is None:
            return self.next_bits(32)
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of two
            return _int32((bound * self.next_bits(31)) >> 31)
        while True:
            bits = self.next_bits(31)
            value = bits % bound
            if _int32(bits - value + (bound - 1)) >= 0:  # Java's int overflow test
                return value

    def next_long(self) -> int:
        value = (self.next_bits(32) << 32) + self.next_bits(32)
        value &= (1 << 64) - 1
        return value - (1 << 64) if value >= 1 << 63 else value

    def next_double(self) -> float:
        """``nextDouble()``: 53 random bits scaled to [0, 1)."""
        return ((self.next_bits(26) << 27) + self.next_bits(27)) * (1.0 / (1 << 53))

    def shuffle(self, items: MutableSequence[T]) -> None:
        """``Collections.shuffle(list, this)``: for i from size down to 2, swap i-1 with nextInt(i)."""
        for i in range(len(items), 1, -1):
            j = self.next_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]


def java_string_key(text: str) -> bytes:
    """Sort key giving Java's ``String.compareTo`` order (UTF-16 code units, not code points)."""
    return text.encode("utf-16-be")


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: s[0]*31^(n-1) + … over UTF-16 code units, in 32-bit int arithmetic."""
    value = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        value = (31 * value + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return value


def java_hash_set_order(items: list[str]) -> list[str]:
    """The iteration order of ``new HashSet<>(items)`` for strings (RCTab draws at random from such a list).

    The table has the next power of two ≥ max(size / 0.75 + 1, 16) buckets; an item goes to bucket
    ``(h ^ (h >>> 16)) & (buckets - 1)``; iteration walks the buckets in order, each in insertion order.
    """
    capacity = max(int(len(items) / 0.75) + 1, 16)
    buckets = 1
    while buckets < capacity:
        buckets <<= 1
    placed: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        if item in seen:
            continue
        seen.add(item)
        h = java_string_hash(item)
        placed.append(((h ^ (h >> 16)) & (buckets - 1), position, item))
    return [item for _, _, item in sorted(placed)]
