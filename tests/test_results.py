"""Counting rules: threshold boundaries, abstentions, quorum, and properties over random counts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.results import Threshold, passes, quorum_required, yes_share


@pytest.mark.parametrize(
    ("threshold", "yes", "no", "expected"),
    [
        (Threshold.MAJORITY, 10, 10, False),  # a tie is not more than half
        (Threshold.MAJORITY, 11, 10, True),
        (Threshold.MAJORITY, 1, 0, True),
        (Threshold.MAJORITY, 0, 0, False),  # nobody voted yes or no: nothing decided
        (Threshold.TWO_THIRDS, 20, 10, True),  # exactly two thirds reaches it
        (Threshold.TWO_THIRDS, 19, 10, False),
        (Threshold.THREE_FIFTHS, 6, 4, True),
        (Threshold.THREE_FIFTHS, 5, 4, False),
        (Threshold.THREE_FIFTHS, 59, 41, False),
        (Threshold.THREE_QUARTERS, 15, 5, True),
        (Threshold.THREE_QUARTERS, 14, 5, False),
        (Threshold.THREE_QUARTERS, 3, 1, True),
    ],
)
def test_threshold_boundaries(threshold: Threshold, yes: int, no: int, expected: bool) -> None:
    assert passes(threshold, yes=yes, no=no) is expected


def test_abstentions_are_not_votes_cast() -> None:
    # 3 yes, 2 no, 95 abstain: 60% of votes cast, which passes three-fifths no matter how many abstain.
    assert passes(Threshold.THREE_FIFTHS, yes=3, no=2)
    assert yes_share(3, 2) == 60.0
    assert yes_share(0, 0) is None


def test_quorum_percent_rounds_up() -> None:
    assert quorum_required("percent", 20, 31) == 7
    assert quorum_required("percent", 20, 30) == 6
    assert quorum_required("count", 25, 1000) == 25
    assert quorum_required("percent", 0, 10) == 0


counts = st.integers(min_value=0, max_value=10_000)


@given(st.sampled_from(list(Threshold)), counts, counts)
def test_more_yes_never_hurts(threshold: Threshold, yes: int, no: int) -> None:
    if passes(threshold, yes=yes, no=no):
        assert passes(threshold, yes=yes + 1, no=no)
        if no > 0:
            assert passes(threshold, yes=yes, no=no - 1)


@given(counts, counts)
def test_thresholds_are_ordered(yes: int, no: int) -> None:
    # Whatever passes a stricter threshold passes every looser one.
    order = [Threshold.MAJORITY, Threshold.THREE_FIFTHS, Threshold.TWO_THIRDS, Threshold.THREE_QUARTERS]
    outcomes = [passes(t, yes=yes, no=no) for t in order]
    for looser, stricter in itertools.pairwise(outcomes):
        assert looser or not stricter


@given(st.sampled_from(list(Threshold)), counts, counts)
def test_pass_matches_integer_arithmetic(threshold: Threshold, yes: int, no: int) -> None:
    num, den = threshold.fraction.numerator, threshold.fraction.denominator
    cast = yes + no
    expected = cast > 0 and (yes * den > num * cast if threshold is Threshold.MAJORITY else yes * den >= num * cast)
    assert passes(threshold, yes=yes, no=no) is expected
