"""A meeting's ranked-choice contests, counted: a :class:`kiosk.tally.Contest` and its rankings through kiosk.rcv.

This module is the one place that turns a contest set up in a meeting into the counting engine's terms
(:mod:`kiosk.rcv`), so the dashboard, the projector, the tally tape, ``kiosk results``, the meeting bundle, its
verification and the RCTab export all count the same way:

* **Method.** One seat with ``irv``: RCTab's ``singleWinnerMajority`` (instant-runoff). ``stv``, or more than one
  seat: ``multiWinnerAllowMultipleWinnersPerRound`` (Droop quota, fractional surplus transfer rounded down to the
  contest's decimal places).
* **Ties** are broken by ``previousRoundCountsThenRandom`` seeded with the contest's ``tiebreak_seed``: the
  candidate who had fewer votes in the latest earlier round that separates them is eliminated (more votes wins a
  seat); only when no earlier round separates them is RCTab's seeded draw used. The seed is fixed when the contest
  is created, so any recount (``kiosk audit verify``, RCTab itself on the export) draws the same.
* **The kiosk cannot make overvotes, skipped ranks or duplicates** (the cast refuses them), so those RCTab rules
  never apply; a blank ranking is an undervote and counts for no one.
* **Endorsements** (the meeting's rules, applied on top of the rounds as ``kiosk.rcv.model.Tabulation.endorsed``):
  a winner below the contest's ``threshold_percent`` of the final round's continuing votes is no endorsement, and
  the "No endorsement" candidate winning is no endorsement.
* **Nobody ranked anyone**: no winner at all (the engine would otherwise "elect" by tie-break on zero votes).

Results are only ever counted from ``Tally.contest_rankings``, which answers only once the meeting is closed; the
count of a closed meeting never changes, so it is kept per tally (:func:`counted_contests`) for the dashboard's
once-a-second refresh.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk.rcv.model import (
    INACTIVE_REPORTED,
    Ballot,
    Candidate,
    Round,
    Rules,
    Tabulation,
    TiebreakMode,
    WinnerMode,
    ballot_from_order,
)
from kiosk.rcv.model import Contest as RcvContest

if TYPE_CHECKING:
    from kiosk.tally import Contest, Tally

TIEBREAK_MODE = TiebreakMode.PREVIOUS_ROUND_COUNTS_THEN_RANDOM


class Outcome(StrEnum):
    ELECTED = "elected"  # the winners stand (no endorsement rule, or they meet it)
    NO_ENDORSEMENT = "no_endorsement"  # the "No endorsement" candidate won
    BELOW_THRESHOLD = "below_threshold"  # a winner had less than the final-round threshold
    NO_VOTES = "no_votes"  # no ballot ranked anyone


class ContestInputError(ValueError):
    """A ranking names a candidate the contest does not have (a damaged bundle, never a kiosk cast)."""


def method_name(contest: Contest) -> str:
    return str(getattr(contest.method, "value", contest.method))


def rules_for(contest: Contest) -> Rules:
    """The RCTab rules a meeting's contest is counted by (see the module docstring)."""
    single = contest.seats == 1 and method_name(contest) == "irv"
    return Rules(
        winner_mode=WinnerMode.SINGLE_WINNER_MAJORITY if single else WinnerMode.MULTI_WINNER_MANY_PER_ROUND,
        tiebreak_mode=TIEBREAK_MODE,
        random_seed=contest.tiebreak_seed,
        decimal_places=contest.decimal_places,
    )


def no_endorsement_name(contest: Contest) -> str | None:
    return next((c.name for c in contest.candidates if c.no_endorsement), None)


def rcv_contest(contest: Contest, *, date: str = "", jurisdiction: str = "") -> RcvContest:
    """The engine's contest: candidates in ballot order (that order names them in the CDF export too)."""
    threshold = contest.threshold_percent
    return RcvContest(
        candidates=tuple(Candidate(c.name) for c in sorted(contest.candidates, key=lambda c: c.position)),
        seats=contest.seats,
        rules=rules_for(contest),
        endorsement_threshold=None if threshold is None else Decimal(threshold) / 100,
        no_endorsement=no_endorsement_name(contest),
        title=contest.title,
        date=date,
        jurisdiction=jurisdiction,
        office=contest.title,
    )


def names_from_ids(contest: Contest, rankings: Iterable[Sequence[int]]) -> list[tuple[str, ...]]:
    """Rankings as candidate ids (``Tally.contest_rankings``) into candidate names, first choice first."""
    name_of = {c.id: c.name for c in contest.candidates}
    named: dict[tuple[int, ...], tuple[str, ...]] = {}  # a meeting's ballots repeat a few orders many times
    out = []
    for ranking in rankings:
        key = tuple(ranking)
        names = named.get(key)
        if names is None:
            try:
                names = named[key] = tuple(name_of[i] for i in key)
            except KeyError as exc:
                raise ContestInputError(
                    f"contest {contest.title!r}: a ranking names candidate id {exc.args[0]}"
                ) from None
        out.append(names)
    return out


def ballots_from_names(contest: Contest, rankings: Iterable[Sequence[str]]) -> list[Ballot]:
    """The engine's ballots; a name the contest does not have, or a candidate ranked twice, is refused."""
    known = {c.name for c in contest.candidates}
    built: dict[tuple[str, ...], Ballot] = {}  # each distinct order checked and built once
    ballots = []
    for number, ranking in enumerate(rankings, start=1):
        key = tuple(ranking)
        ballot = built.get(key)
        if ballot is None:
            unknown = [name for name in key if name not in known]
            if unknown:
                raise ContestInputError(
                    f"contest {contest.title!r}: ranking {number} names {unknown[0]!r}, not a candidate"
                )
            if len(set(key)) != len(key):
                raise ContestInputError(f"contest {contest.title!r}: ranking {number} ranks a candidate twice")
            ballot = built[key] = ballot_from_order(key)
        ballots.append(ballot)
    return ballots


def exhausted(rnd: Round) -> Decimal:
    """Ballot value that stopped counting by this round, blank rankings apart (they never counted: RCTab reports
    them as undervotes, not as inactive ballots)."""
    return sum((rnd.inactive[status] for status in INACTIVE_REPORTED), Decimal(0))


@dataclass(frozen=True)
class Cell:
    """One candidate in one round, as the round-by-round table shows it."""

    votes: str  # "" once the candidate is out of the count
    mark: str = ""  # "elected" / "eliminated" in the round it happened, else ""


@dataclass(frozen=True)
class GridRow:
    name: str
    cells: tuple[Cell, ...]
    won: bool


@dataclass(frozen=True)
class ContestResult:
    """A contest's count: every round (``tabulation``), the winners and whether they stand as endorsements."""

    contest: Contest
    tabulation: Tabulation
    ballots: int  # ballots cast in the meeting (each one a ranking of this contest, blank or not)
    blank: int  # of those, rankings that ranked nobody

    @property
    def no_votes(self) -> bool:
        return self.blank == self.ballots

    @property
    def winners(self) -> tuple[str, ...]:
        return () if self.no_votes else self.tabulation.winners

    @property
    def endorsed(self) -> tuple[str, ...]:
        return () if self.no_votes else self.tabulation.endorsed

    @property
    def outcome(self) -> Outcome:
        if self.no_votes:
            return Outcome.NO_VOTES
        if no_endorsement_name(self.contest) in self.winners:
            return Outcome.NO_ENDORSEMENT
        if len(self.endorsed) < len(self.winners):
            return Outcome.BELOW_THRESHOLD
        return Outcome.ELECTED

    @property
    def final_shares(self) -> dict[str, str]:
        """Each winner's share of the final round's continuing votes, in percent to two places."""
        if self.no_votes:
            return {}
        final = self.tabulation.rounds[-1].tally
        continuing = sum(final.values(), Decimal(0))
        if not continuing:
            return {}
        return {w: f"{(final.get(w, Decimal(0)) * 100 / continuing):.2f}" for w in self.winners}

    @property
    def candidate_names(self) -> list[str]:
        return [c.name for c in sorted(self.contest.candidates, key=lambda c: c.position)]

    @property
    def longest_figure(self) -> int:
        """Characters in the longest figure of any round (the projector sizes its columns by it)."""
        figures = [str(v) for rnd in self.tabulation.rounds for v in (*rnd.tally.values(), rnd.threshold)]
        return max((len(f) for f in figures + self.exhausted_per_round), default=1)

    @property
    def exhausted_per_round(self) -> list[str]:
        return [str(exhausted(rnd)) for rnd in self.tabulation.rounds]

    def grid(self) -> list[GridRow]:
        """Candidates (ballot order) by rounds: votes while counted, the round they were elected or eliminated."""
        rounds = self.tabulation.rounds
        rows = []
        for name in self.candidate_names:
            cells = []
            for rnd in rounds:
                mark = next(
                    (("elected" if a.elected else "eliminated") for a in rnd.results if a.candidate == name), ""
                )
                votes = rnd.tally.get(name)
                cells.append(Cell("" if votes is None else str(votes), mark))
            rows.append(GridRow(name, tuple(cells), name in self.winners))
        return rows

    def rounds_as_dicts(self) -> list[dict[str, Any]]:
        out = []
        for rnd in self.tabulation.rounds:
            out.append(
                {
                    "round": rnd.number,
                    "threshold": str(rnd.threshold),
                    "tally": {name: str(rnd.tally[name]) for name in self.candidate_names if name in rnd.tally},
                    "elected": rnd.elected,
                    "eliminated": rnd.eliminated,
                    "tiebreak": [a.candidate for a in rnd.results if a.tiebreak],
                    "transfers": {a.candidate: {t: str(v) for t, v in a.transfers.items()} for a in rnd.results},
                    "exhausted": str(exhausted(rnd)),
                    "inactive": {status.value: str(rnd.inactive[status]) for status in INACTIVE_REPORTED},
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        """The count as ``kiosk results --json`` and the meeting bundle state it (and the bundle check recomputes)."""
        contest = self.contest
        threshold = contest.threshold_percent
        return {
            "position": contest.position,
            "title": contest.title,
            "seats": contest.seats,
            "method": method_name(contest),
            "threshold_percent": None if threshold is None else str(threshold),
            "decimal_places": contest.decimal_places,
            "tiebreak": {"mode": TIEBREAK_MODE.value, "seed": contest.tiebreak_seed},
            "candidates": self.candidate_names,
            "no_endorsement_candidate": no_endorsement_name(contest),
            "ballots": self.ballots,
            "blank": self.blank,
            "rounds": [] if self.no_votes else self.rounds_as_dicts(),
            "winners": list(self.winners),
            "endorsed": list(self.endorsed),
            "outcome": str(self.outcome),
            "final_shares": self.final_shares,
        }


def count_names(contest: Contest, rankings: Sequence[Sequence[str]]) -> ContestResult:
    """Count rankings given as candidate names (a bundle's), first choice first; ``()`` is a blank ranking."""
    from kiosk.rcv.engine import tabulate

    ballots = ballots_from_names(contest, rankings)
    tabulation = tabulate(rcv_contest(contest), ballots)
    blank = sum(1 for ranking in rankings if not ranking)
    return ContestResult(contest, tabulation, len(rankings), blank)


def count_contest(contest: Contest, rankings: Sequence[Sequence[int]]) -> ContestResult:
    """Count rankings given as candidate ids, as ``Tally.contest_rankings`` returns them."""
    return count_names(contest, names_from_ids(contest, rankings))


# --- a closed meeting's counts, kept ---------------------------------------------------------------------------

_counted: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, tuple[ContestResult, ...]]]] = weakref.WeakKeyDictionary()
_counting = threading.Lock()


def counted_contests(tally: Tally, code: str, ballots_cast: int) -> tuple[ContestResult, ...]:
    """Every contest of closed meeting ``code`` counted (ballot order); ``Tally.contest_rankings`` refuses
    (StateError) before the close.

    Kept per tally and meeting: a closed meeting's ballots never change, and the dashboard and projector ask every
    second. ``ballots_cast`` (read with the closed state) is part of the key all the same, so a count is never
    reused for a different set of ballots. One count at a time: a second caller waits and reuses it.
    """
    with _counting:
        kept = _counted.setdefault(tally, {}).get(code)
        if kept is not None and kept[0] == ballots_cast:
            return kept[1]
        results = tuple(count_contest(c, tally.contest_rankings(code, c.id)) for c in tally.contests(code))
        _counted[tally][code] = (ballots_cast, results)
        return results


def results_as_dicts(results: Iterable[ContestResult]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in results]


def describe_contest(contest: Contest) -> dict[str, Any]:
    """A contest's set-up as the figure paths may state it before the close: no figure, and not even the
    candidates' names (a figure path names a candidate only with the count)."""
    threshold = contest.threshold_percent
    return {
        "position": contest.position,
        "title": contest.title,
        "seats": contest.seats,
        "method": method_name(contest),
        "threshold_percent": None if threshold is None else str(threshold),
        "candidates_count": len(contest.candidates),
    }


def mapping_differences(stated: Mapping[str, Any], recomputed: Mapping[str, Any], where: str) -> list[str]:
    """The keys whose stated value differs from the recomputed one, one line each (for the bundle check)."""
    problems = []
    for key in sorted(set(stated) | set(recomputed)):
        if stated.get(key) != recomputed.get(key):
            problems.append(f"{where}: {key} stated {stated.get(key)!r}, the rankings give {recomputed.get(key)!r}")
    return problems
