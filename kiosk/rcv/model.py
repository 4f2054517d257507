"""What a ranked-choice count takes and gives: candidates, seats, rules, ballots as rankings; rounds and winners.

The names of the rules follow RCTab's contest configuration (``config_file_documentation.txt`` in
BrightSpots/rcv), so an RCTab config maps onto :class:`Rules` key for key, and a meeting's contest can be
written back out as one (:mod:`kiosk.rcv.export`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class RcvInputError(ValueError):
    """A contest, config or cast vote record that cannot be counted; the message names the file, line or key."""


# Labels RCTab gives special meaning (Tabulator.java).
UNDECLARED_WRITE_IN = "Undeclared Write-ins"
OVERVOTE = "overvote"  # an explicit overvote mark in a cast vote record, normalised to this label


class WinnerMode(Enum):
    SINGLE_WINNER_MAJORITY = "singleWinnerMajority"
    MULTI_WINNER_ONE_PER_ROUND = "multiWinnerAllowOnlyOneWinnerPerRound"
    MULTI_WINNER_MANY_PER_ROUND = "multiWinnerAllowMultipleWinnersPerRound"
    BOTTOMS_UP = "bottomsUp"
    BOTTOMS_UP_PERCENTAGE = "bottomsUpUsingPercentageThreshold"
    # Sequential winner-takes-all: one instant-runoff per seat, each excluding the earlier winners
    # (kiosk.rcv.engine.tabulate_passes; each pass is its own Tabulation and report).
    MULTI_PASS_IRV = "multiPassIrv"


UNSUPPORTED_WINNER_MODES: dict[str, str] = {}


class OvervoteRule(Enum):
    ALWAYS_SKIP_TO_NEXT_RANK = "alwaysSkipToNextRank"
    EXHAUST_IMMEDIATELY = "exhaustImmediately"
    EXHAUST_IF_MULTIPLE_CONTINUING = "exhaustIfMultipleContinuing"


class TiebreakMode(Enum):
    RANDOM = "random"
    PREVIOUS_ROUND_COUNTS_THEN_RANDOM = "previousRoundCountsThenRandom"
    USE_CANDIDATE_ORDER = "useCandidateOrder"
    GENERATE_PERMUTATION = "generatePermutation"


# Modes that stop and ask an operator mid-count; a kiosk count never waits on a person.
UNSUPPORTED_TIEBREAK_MODES = {
    "stopCountingAndAsk": "interactive tie-breaks are not supported (choose random with a seed, or candidate order)",
    "previousRoundCountsThenAsk": "interactive tie-breaks are not supported (use previousRoundCountsThenRandom)",
}


class BallotStatus(Enum):
    """Why a ballot is where it is in a round (RCTab's StatusForRound); the value is the JSON key."""

    ACTIVE = "active"
    DID_NOT_RANK_ANY_CANDIDATES = "didNotRankAnyCandidates"
    EXHAUSTED_CHOICE = "exhaustedChoices"
    OVERVOTE = "overvotes"
    SKIPPED_RANKING = "skippedRankings"
    REPEATED_RANKING = "repeatedRankings"
    FINAL_ROUND_SURPLUS = "finalRoundSurplus"

    __hash__ = object.__hash__  # members are singletons compared by identity; Enum's own hash is slow in a count

    @property
    def inactive(self) -> bool:
        return self not in (BallotStatus.ACTIVE, BallotStatus.FINAL_ROUND_SURPLUS)


INACTIVE_REPORTED = (
    BallotStatus.OVERVOTE,
    BallotStatus.SKIPPED_RANKING,
    BallotStatus.EXHAUSTED_CHOICE,
    BallotStatus.REPEATED_RANKING,
)


@dataclass(frozen=True)
class Rules:
    """The counting rules, as RCTab names them (defaults: a plain instant-runoff a meeting would use)."""

    winner_mode: WinnerMode = WinnerMode.SINGLE_WINNER_MAJORITY
    overvote_rule: OvervoteRule = OvervoteRule.EXHAUST_IMMEDIATELY
    tiebreak_mode: TiebreakMode = TiebreakMode.USE_CANDIDATE_ORDER
    random_seed: int | None = None
    max_rankings_allowed: int | None = None  # None: "max" (as many as there are candidates)
    max_skipped_ranks_allowed: int | None = 1  # None: "unlimited"
    decimal_places: int = 4  # decimalPlacesForVoteArithmetic
    exhaust_on_duplicate_candidate: bool = False
    batch_elimination: bool = False
    continue_until_two_candidates_remain: bool = False
    first_round_determines_threshold: bool = False
    hare_quota: bool = False
    non_integer_winning_threshold: bool = False
    cutoff_elimination: bool = False
    stop_tabulation_early_after_round: int | None = None
    bottoms_up_percentage_threshold: Decimal | None = None  # a fraction, e.g. Decimal("0.15")

    @property
    def needs_random_seed(self) -> bool:
        return self.tiebreak_mode in (
            TiebreakMode.RANDOM,
            TiebreakMode.PREVIOUS_ROUND_COUNTS_THEN_RANDOM,
            TiebreakMode.GENERATE_PERMUTATION,
        )


@dataclass(frozen=True)
class Candidate:
    name: str
    aliases: tuple[str, ...] = ()
    excluded: bool = False


@dataclass(frozen=True)
class Contest:
    """One ranked contest: candidates in ballot order (that order breaks ties in ``useCandidateOrder``).

    ``endorsement_threshold`` and ``no_endorsement`` are the meeting's own additions (not RCTab rules): a
    single-seat endorsement needs at least that share (a fraction) of the final round's continuing votes, and a
    candidate with the ``no_endorsement`` name is a real option that, when it wins, means no endorsement.
    """

    candidates: tuple[Candidate, ...]
    seats: int = 1
    rules: Rules = field(default_factory=Rules)
    undeclared_write_ins: bool = False  # count write-ins for undeclared people as one "candidate"
    endorsement_threshold: Decimal | None = None
    no_endorsement: str | None = None
    title: str = ""
    date: str = ""
    jurisdiction: str = ""
    office: str = ""

    @staticmethod
    def of(names: Sequence[str], seats: int = 1, rules: Rules | None = None, **kwargs: object) -> Contest:
        return Contest(tuple(Candidate(n) for n in names), seats, rules or Rules(), **kwargs)  # type: ignore[arg-type]

    @property
    def multi_seat(self) -> bool:
        """Counted as multi-seat: more than one seat, or a multi-winner (STV) mode even for one seat."""
        return self.seats > 1 or self.rules.winner_mode in (
            WinnerMode.MULTI_WINNER_MANY_PER_ROUND,
            WinnerMode.MULTI_WINNER_ONE_PER_ROUND,
        )

    @property
    def uses_surpluses(self) -> bool:
        """Winners' surpluses transfer (every multi-seat mode except bottoms-up)."""
        return self.multi_seat and self.rules.winner_mode is not WinnerMode.BOTTOMS_UP

    @property
    def candidate_names(self) -> list[str]:
        """Every name the count tallies, in config order (plus the write-in label when write-ins count)."""
        names = [c.name for c in self.candidates]
        if self.undeclared_write_ins:
            names.append(UNDECLARED_WRITE_IN)
        return names


# A ballot: (rank, candidates marked at that rank) pairs in rank order; ranks are positive and may skip.
# More than one candidate at a rank is an overvote. Build one from a plain order with ballot_from_order().
Ballot = tuple[tuple[int, tuple[str, ...]], ...]


def ballot_from_order(names: Iterable[str]) -> Ballot:
    """The ballot of a voter who ranked ``names`` first, second, … (no skips, no overvotes)."""
    return tuple((rank, (name,)) for rank, name in enumerate(names, start=1))


def ballot_from_marks(marks: Iterable[tuple[int, str]]) -> Ballot:
    """Group (rank, candidate) marks as a CVR lists them into a :data:`Ballot` (rank order, marks kept in order)."""
    by_rank: dict[int, list[str]] = {}
    for rank, name in marks:
        if rank < 1:
            raise RcvInputError(f"rank {rank} is not a positive integer")
        by_rank.setdefault(rank, []).append(name)
    return tuple((rank, tuple(by_rank[rank])) for rank in sorted(by_rank))


@dataclass(frozen=True)
class TallyResult:
    """One decision in a round: who was elected or eliminated and where that candidate's ballots went next."""

    candidate: str
    elected: bool
    transfers: dict[str, Decimal]  # to candidate / "exhausted" / "residual surplus"
    tiebreak: bool = False


@dataclass(frozen=True)
class Round:
    number: int
    tally: dict[str, Decimal]
    threshold: Decimal
    inactive: dict[BallotStatus, Decimal]  # every status, including ACTIVE and FINAL_ROUND_SURPLUS
    results: tuple[TallyResult, ...]

    @property
    def elected(self) -> list[str]:
        return [r.candidate for r in self.results if r.elected]

    @property
    def eliminated(self) -> list[str]:
        return [r.candidate for r in self.results if not r.elected]

    @property
    def exhausted(self) -> Decimal:
        """Ballot value no longer counting for anyone (every inactive reason together)."""
        return sum((v for s, v in self.inactive.items() if s.inactive), Decimal(0))


@dataclass(frozen=True)
class Tabulation:
    contest: Contest
    rounds: tuple[Round, ...]
    winners: tuple[str, ...]  # in the order elected (within a round: Java name order, as RCTab reports)
    total_ballots: Decimal
    undervotes: int

    @property
    def endorsed(self) -> tuple[str, ...]:
        """Winners that stand as endorsements under the meeting's rules (see :class:`Contest`)."""
        winners = tuple(w for w in self.winners if w != self.contest.no_endorsement)
        threshold = self.contest.endorsement_threshold
        if threshold is None or not winners or not self.rounds:
            return winners
        final = self.rounds[-1]
        continuing = sum(final.tally.values(), Decimal(0))
        if continuing == 0:
            return ()
        return tuple(w for w in winners if final.tally.get(w, Decimal(0)) / continuing >= threshold)


def validate_contest(contest: Contest) -> None:
    """RCTab's rule combinations check (ContestConfig.validateRules); the message starts with the config key.

    One deliberate difference: a multi-winner mode with one seat is allowed, and counts as one-seat STV.
    """
    rules = contest.rules
    if not contest.candidates:
        raise RcvInputError("candidates: at least one candidate is needed")
    if all(c.excluded for c in contest.candidates):
        raise RcvInputError("candidates: every candidate is excluded")
    _check_seats(contest)
    if rules.winner_mode not in _STV_MODES:
        if rules.non_integer_winning_threshold:
            raise _rule_error(
                "nonIntegerWinningThreshold", f"only for the multi-winner modes, not {rules.winner_mode.value}"
            )
        if rules.hare_quota:
            raise _rule_error("hareQuota", f"only for the multi-winner modes, not {rules.winner_mode.value}")
    if rules.non_integer_winning_threshold and rules.hare_quota:
        raise _rule_error("hareQuota", "cannot be used with nonIntegerWinningThreshold")
    if not 1 <= rules.decimal_places <= 20:
        raise _rule_error("decimalPlacesForVoteArithmetic", "must be from 1 to 20")
    if rules.needs_random_seed and rules.random_seed is None:
        raise _rule_error("randomSeed", f"tiebreakMode {rules.tiebreak_mode.value} needs a random seed")


_STV_MODES = (WinnerMode.MULTI_WINNER_MANY_PER_ROUND, WinnerMode.MULTI_WINNER_ONE_PER_ROUND)


def _rule_error(key: str, message: str) -> RcvInputError:
    return RcvInputError(f"rules.{key}: {message}")


def _check_seats(contest: Contest) -> None:
    """numberOfWinners against the winner mode, and the rules that one seat or several rule out."""
    rules = contest.rules
    mode = rules.winner_mode
    sequential = mode is WinnerMode.MULTI_PASS_IRV
    if mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
        if contest.seats != 0:
            raise _rule_error("numberOfWinners", "must be 0 with bottomsUpUsingPercentageThreshold")
        threshold = rules.bottoms_up_percentage_threshold
        if threshold is None or not 0 < threshold <= 1:
            raise _rule_error("multiSeatBottomsUpPercentageThreshold", "must be above 0 and at most 100")
        if rules.batch_elimination:
            raise _rule_error("batchElimination", "cannot be used with bottomsUpUsingPercentageThreshold")
    elif contest.seats < 1:
        raise _rule_error("numberOfWinners", "must be at least 1")
    elif contest.seats == 1 and mode not in (WinnerMode.SINGLE_WINNER_MAJORITY, *_STV_MODES) and not sequential:
        raise _rule_error("winnerElectionMode", f"{mode.value} needs more than one winner")
    elif contest.seats > 1:
        _check_several_seats(rules, sequential)


def _check_several_seats(rules: Rules, sequential: bool) -> None:
    if rules.winner_mode is WinnerMode.SINGLE_WINNER_MAJORITY:
        raise _rule_error("winnerElectionMode", "singleWinnerMajority needs numberOfWinners 1")
    if rules.continue_until_two_candidates_remain and not sequential:
        raise _rule_error("continueUntilTwoCandidatesRemain", "cannot be used with several seats")
    if rules.batch_elimination and not sequential:
        raise _rule_error("batchElimination", "cannot be used with several seats")
    if rules.first_round_determines_threshold:
        raise _rule_error("doesFirstRoundDetermineThreshold", "cannot be used with several seats")
