"""The count itself: RCTab's tabulation (Tabulator.java, Tiebreak.java), round by round, in ``decimal``.

A pure function over (contest, ballots) → :class:`~kiosk.rcv.model.Tabulation`. It follows RCTab's order of
operations step for step, because exactness with RCTab is the point: each round every ballot either stays with
a continuing candidate, moves to its next continuing choice, or becomes inactive for a stated reason (overvote,
too many skipped ranks, a repeated candidate, no choices left); winners' surpluses move at a fraction rounded
down to ``decimal_places``; thresholds, batch elimination and tie-breaks are RCTab's.

The tabulator is built from its parts: the round's bookkeeping (:mod:`kiosk.rcv.rounds`), where each ballot
goes (:mod:`kiosk.rcv.transfers`), and who wins or is eliminated and how ties break
(:mod:`kiosk.rcv.decisions`); this module holds the main loop, the thresholds and the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import ROUND_DOWN, ROUND_UP, Decimal, localcontext

from kiosk.rcv.decisions import Decisions
from kiosk.rcv.javarandom import JavaRandom, java_hash_set_order, java_string_key
from kiosk.rcv.model import (
    OVERVOTE,
    UNDECLARED_WRITE_IN,
    Ballot,
    BallotStatus,
    Contest,
    OvervoteRule,
    RcvInputError,
    Round,
    Tabulation,
    TallyResult,
    TiebreakMode,
    WinnerMode,
    validate_contest,
)
from kiosk.rcv.rounds import (
    EXACT,
    EXHAUSTED,
    ONE,
    RESIDUAL,
    UNCOUNTED,
    ZERO,
    BallotGroup,
    RoundTally,
    by_tally,
    group_ballots,
)
from kiosk.rcv.transfers import BallotTransfers

# Importable from here before the tabulator was split into its parts; callers may go on doing so.
__all__ = [
    "EXHAUSTED",
    "ONE",
    "OVERVOTE",
    "RESIDUAL",
    "UNCOUNTED",
    "UNDECLARED_WRITE_IN",
    "ZERO",
    "Ballot",
    "BallotStatus",
    "Contest",
    "JavaRandom",
    "OvervoteRule",
    "RcvInputError",
    "Round",
    "Tabulation",
    "TallyResult",
    "TiebreakMode",
    "WinnerMode",
    "java_hash_set_order",
    "java_string_key",
    "tabulate",
    "tabulate_passes",
    "validate_contest",
]
# The old private names, for code (and tests) that reached in.
_EXACT = EXACT
_Cvr = BallotGroup
_RoundTally = RoundTally
_by_tally = by_tally


def tabulate(contest: Contest, ballots: Iterable[Ballot]) -> Tabulation:
    """Count ``ballots`` for ``contest`` by its rules; every round, its decisions and the winners.

    A ``multiPassIrv`` contest is several counts: use :func:`tabulate_passes`.
    """
    validate_contest(contest)
    if contest.rules.winner_mode is WinnerMode.MULTI_PASS_IRV:
        if contest.seats != 1:
            raise RcvInputError("rules.winnerElectionMode: multiPassIrv is one count per seat (tabulate_passes)")
        contest = replace(contest, rules=replace(contest.rules, winner_mode=WinnerMode.SINGLE_WINNER_MAJORITY))
    with localcontext(EXACT):
        return _Tabulator(contest, ballots).run()


def tabulate_passes(contest: Contest, ballots: Iterable[Ballot]) -> list[Tabulation]:
    """Every count of a contest: one, or for ``multiPassIrv`` one instant-runoff per seat (RCTab's
    TabulatorSession: each pass counts all ballots with one seat, the earlier passes' winners excluded)."""
    if contest.rules.winner_mode is not WinnerMode.MULTI_PASS_IRV:
        return [tabulate(contest, ballots)]
    validate_contest(contest)
    ballots = list(ballots)
    winners: list[str] = []
    passes = []
    for _ in range(contest.seats):
        candidates = tuple(replace(c, excluded=c.excluded or c.name in winners) for c in contest.candidates)
        result = tabulate(replace(contest, candidates=candidates, seats=1), ballots)
        if len(result.winners) != 1:
            raise RcvInputError(f"multiPassIrv: pass {len(passes) + 1} found {len(result.winners)} winners, not one")
        winners.append(result.winners[0])
        passes.append(result)
    return passes


class _Tabulator(BallotTransfers, Decisions):
    def __init__(self, contest: Contest, ballots: Iterable[Ballot]) -> None:
        self.contest = contest
        self.rules = contest.rules
        self.seats = contest.seats
        self.places = Decimal(1).scaleb(-self.rules.decimal_places)
        names = contest.candidate_names
        self.candidate_names = names
        self.excluded = {c.name for c in contest.candidates if c.excluded}
        self.num_candidates = len(names) - len(self.excluded)  # getNumCandidates()
        self.num_declared = len(contest.candidates)
        alias_to_name: dict[str, str] = {}
        for candidate in contest.candidates:
            alias_to_name[candidate.name] = candidate.name
            for alias in candidate.aliases:
                alias_to_name[alias] = candidate.name
        if contest.undeclared_write_ins:
            alias_to_name[UNDECLARED_WRITE_IN] = UNDECLARED_WRITE_IN
        self.alias_to_name = alias_to_name
        self.permutation = [c.name for c in contest.candidates]
        # RCTab's "numberOfWinners > 1" tests; a multi-winner mode with one seat (which RCTab's config check
        # refuses) counts as true one-seat STV here: Droop quota fixed in round 1, surplus transfer.
        self.multi_seat = contest.multi_seat
        self.uses_surpluses = contest.uses_surpluses
        self.cvrs = group_ballots(ballots, alias_to_name, self.rules.max_rankings_allowed)
        self.continuing: set[str] = set()
        self.round_tallies: dict[int, RoundTally] = {}
        self.eliminated_round: dict[str, int] = {}
        self.winner_round: dict[str, int] = {}
        self.decisions: dict[int, list[tuple[str, bool, bool]]] = {}  # round -> (candidate, elected, tiebreak)
        self.transfers: dict[int, dict[str, dict[str, Decimal]]] = {}
        self.current_round = 0
        self.random: JavaRandom | None = None

    # --- the main loop (Tabulator.tabulate) ------------------------------------------------------------------

    def run(self) -> Tabulation:
        self._seed_tiebreaks()
        while self._should_continue():
            self.current_round += 1
            tally = self._compute_tallies()
            self.round_tallies[self.current_round] = tally
            if self._should_recompute_threshold():
                tally.threshold = self._threshold(tally)
            else:
                tally.threshold = self.round_tallies[self.current_round - 1].threshold
            ordered = by_tally(tally, tally.tallies)
            winners = self._identify_winners(tally, ordered)
            if winners:
                self._record(winners, elected=True)
                if self.uses_surpluses:
                    for name, _ in winners:
                        self._transfer_surplus(tally, name)
            elif self._must_eliminate():
                self._record(self._eliminations(tally, ordered), elected=False)
            if self.multi_seat:
                self._update_winner_tallies()
        return self._result()

    def _seed_tiebreaks(self) -> None:
        """The random generator for ties, or (generatePermutation) the candidate order it shuffles once."""
        rules = self.rules
        if not rules.needs_random_seed:
            return
        assert rules.random_seed is not None  # validate_contest
        rng = JavaRandom(rules.random_seed)
        if rules.tiebreak_mode is TiebreakMode.GENERATE_PERMUTATION:
            self.permutation.sort(key=java_string_key)
            rng.shuffle(self.permutation)
        else:
            self.random = rng

    def _should_continue(self) -> bool:
        rules = self.rules
        stop = rules.stop_tabulation_early_after_round
        if stop is not None and self.current_round >= stop:
            return False
        winners = len(self.winner_round)
        if winners == self.num_declared and self.seats > self.num_candidates:
            return False  # more seats than candidates: everyone is elected
        if rules.continue_until_two_candidates_remain:
            return (
                len(self.eliminated_round) + winners + 1 < self.num_candidates
                or self.current_round in self.eliminated_round.values()
            )
        if rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
            return winners == 0
        return winners < self.seats or (self.uses_surpluses and self.current_round in self.winner_round.values())

    def _should_recompute_threshold(self) -> bool:
        if self.multi_seat:
            return self.current_round == 1
        if self.current_round == 1:
            return True
        if self.rules.first_round_determines_threshold:
            return False
        if self.rules.continue_until_two_candidates_remain:
            return not self.winner_round
        return True

    def _threshold(self, tally: RoundTally) -> Decimal:
        rules = self.rules
        votes = tally.active_sum()
        if rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
            assert rules.bottoms_up_percentage_threshold is not None
            return votes * rules.bottoms_up_percentage_threshold
        divisor = Decimal(self.seats if rules.hare_quota else self.seats + 1)
        decimals = rules.decimal_places if rules.non_integer_winning_threshold else 0
        step = Decimal(1).scaleb(-decimals)
        if rules.hare_quota:
            return (votes / divisor).quantize(step, rounding=ROUND_UP)
        return (votes / divisor).quantize(step, rounding=ROUND_DOWN) + step

    # --- the result ------------------------------------------------------------------------------------------

    def _result(self) -> Tabulation:
        rounds = []
        winners: list[str] = []
        for number in range(1, self.current_round + 1):
            tally = self.round_tallies[number]
            decisions = self.decisions.get(number, [])
            moves = self.transfers.get(number + 1, {})
            results = []
            for elected in (True, False):
                chosen = sorted((d for d in decisions if d[1] is elected), key=lambda d: java_string_key(d[0]))
                for name, _, tiebreak in chosen:
                    results.append(TallyResult(name, elected, dict(moves.get(name, {})), tiebreak))
                    if elected:
                        winners.append(name)
            rounds.append(Round(number, dict(tally.tallies), tally.threshold, dict(tally.statuses), tuple(results)))
        if not rounds:
            raise RcvInputError("nothing to count: the contest stopped before its first round")
        first = self.round_tallies[1]
        return Tabulation(
            contest=self.contest,
            rounds=tuple(rounds),
            winners=tuple(winners),
            total_ballots=first.active_sum() + first.inactive_sum(),
            undervotes=int(first.statuses[BallotStatus.DID_NOT_RANK_ANY_CANDIDATES]),
        )
