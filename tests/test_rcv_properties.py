"""Properties of the ranked-choice engine on generated contests (hypothesis; derandomized and bounded by
default, many more random examples with KIOSK_SOAK=1, like the project's other fuzz tests)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.rcv import (
    Ballot,
    BallotStatus,
    Contest,
    OvervoteRule,
    RcvInputError,
    Rules,
    Tabulation,
    WinnerMode,
    ballot_from_order,
    tabulate,
)
from kiosk.rcv.engine import RESIDUAL
from tests.fuzz_support import SOAK, fuzz_settings

# A soak run (KIOSK_SOAK=1) takes minutes per test: lift pytest-timeout's 120 s for it.
pytestmark = pytest.mark.timeout(3600) if SOAK else []

NAMES = [f"Candidate {c}" for c in "ABCDEFGH"]


@st.composite
def elections(draw: st.DrawFn, max_candidates: int = 6, max_ballots: int = 80) -> tuple[list[str], list[Ballot]]:
    """Candidates and ballots ranking some of them in order (no skips or overvotes)."""
    count = draw(st.integers(2, max_candidates))
    names = NAMES[:count]
    orders = st.permutations(names).flatmap(lambda p: st.integers(0, len(p)).map(lambda n: tuple(p[:n])))
    return names, [ballot_from_order(o) for o in draw(st.lists(orders, min_size=1, max_size=max_ballots))]


@st.composite
def messy_ballots(draw: st.DrawFn, names: list[str]) -> list[Ballot]:
    """Ballots with skipped ranks, overvotes and repeated candidates, as real cast vote records have."""
    ballots = []
    for _ in range(draw(st.integers(1, 60))):
        ranks = draw(st.lists(st.integers(1, len(names) + 2), unique=True, max_size=len(names) + 1))
        ballot = tuple(
            (rank, tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))))
            for rank in sorted(ranks)
        )
        ballots.append(ballot)
    return ballots


def had_tie(result: Tabulation) -> bool:
    return any(action.tiebreak for rnd in result.rounds for action in rnd.results)


@fuzz_settings(150, 1500)
@given(elections())
def test_irv_and_one_seat_stv_elect_the_same(election: tuple[list[str], list[Ballot]]) -> None:
    names, ballots = election
    irv = tabulate(Contest.of(names), ballots)
    stv_rules = Rules(winner_mode=WinnerMode.MULTI_WINNER_MANY_PER_ROUND)
    stv = tabulate(Contest.of(names, seats=1, rules=stv_rules), ballots)
    if had_tie(irv) or had_tie(stv):
        return
    assert irv.winners == stv.winners
    # and the one-seat STV really counted as STV: its Droop quota was fixed from the first round
    assert {r.threshold for r in stv.rounds} == {stv.rounds[0].threshold}


@fuzz_settings(100, 1000)
@given(elections(), st.integers(1, 3), st.randoms(use_true_random=False))
def test_candidate_and_ballot_order_do_not_matter_without_ties(
    election: tuple[list[str], list[Ballot]], seats: int, rnd: random.Random
) -> None:
    names, ballots = election
    seats = min(seats, len(names))
    mode = WinnerMode.SINGLE_WINNER_MAJORITY if seats == 1 else WinnerMode.MULTI_WINNER_MANY_PER_ROUND
    rules = Rules(winner_mode=mode)
    first = tabulate(Contest.of(names, seats=seats, rules=rules), ballots)
    if had_tie(first):
        return
    shuffled_names, shuffled_ballots = list(names), list(ballots)
    rnd.shuffle(shuffled_names)
    rnd.shuffle(shuffled_ballots)
    second = tabulate(Contest.of(shuffled_names, seats=seats, rules=rules), shuffled_ballots)
    assert second.winners == first.winners
    assert second.rounds == first.rounds  # every tally, threshold, decision and transfer


@fuzz_settings(60, 400)
@given(st.data(), st.integers(2, 6), st.integers(1, 3), st.sampled_from(OvervoteRule))
def test_tallies_plus_inactive_equal_the_ballots_every_round(
    data: st.DataObject, count: int, seats: int, overvote: OvervoteRule
) -> None:
    names = NAMES[:count]
    seats = min(seats, count)
    ballots = data.draw(messy_ballots(names))
    rules = Rules(
        winner_mode=WinnerMode.SINGLE_WINNER_MAJORITY if seats == 1 else WinnerMode.MULTI_WINNER_MANY_PER_ROUND,
        overvote_rule=overvote,
        max_skipped_ranks_allowed=data.draw(st.sampled_from([None, 0, 1, 2])),
        exhaust_on_duplicate_candidate=data.draw(st.booleans()),
        # batch elimination with several seats can eliminate candidates needed to fill them; RCTab then fails
        # with an exception, and this engine with a clear error (test_batch_elimination_cannot_leave_seats_empty)
        batch_elimination=seats == 1 and data.draw(st.booleans()),
    )
    result = tabulate(Contest.of(names, seats=seats, rules=rules), ballots)
    assert result.total_ballots == len(ballots)
    residual = Decimal(0)  # value lost to rounding surplus fractions down (RCTab's "residual surplus")
    for rnd in result.rounds:
        held = sum(rnd.tally.values(), Decimal(0))
        final_surplus = rnd.inactive[BallotStatus.FINAL_ROUND_SURPLUS]
        assert held + rnd.exhausted + final_surplus + residual == len(ballots), rnd.number
        residual += sum((a.transfers.get(RESIDUAL, Decimal(0)) for a in rnd.results), Decimal(0))
    assert len(result.winners) == min(seats, count)


def test_batch_elimination_cannot_leave_seats_empty() -> None:
    """The case hypothesis found: batch elimination eliminating the candidates needed to fill the seats."""

    rules = Rules(winner_mode=WinnerMode.MULTI_WINNER_MANY_PER_ROUND, batch_elimination=True)
    votes = [ballot_from_order(["Candidate A"]), ballot_from_order(["Candidate A", "Candidate B"])]
    # RCTab's config check refuses the combination; so does the engine, before counting anything
    with pytest.raises(RcvInputError, match=r"rules\.batchElimination: cannot be used with several seats"):
        tabulate(Contest.of(NAMES[:4], seats=3, rules=rules), votes)
    # with the check bypassed the count itself stops with a clear error where RCTab would throw
    from kiosk.rcv.engine import _Tabulator

    with pytest.raises(RcvInputError, match="no candidate left to eliminate in round 4"):
        _Tabulator(Contest.of(NAMES[:4], seats=3, rules=rules), votes).run()
