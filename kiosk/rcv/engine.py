"""The count itself: RCTab's tabulation (Tabulator.java, Tiebreak.java), round by round, in ``decimal``.

A pure function over (contest, ballots) → :class:`~kiosk.rcv.model.Tabulation`. It follows RCTab's order of
operations step for step, because exactness with RCTab is the point: each round every ballot either stays with
a continuing candidate, moves to its next continuing choice, or becomes inactive for a stated reason (overvote,
too many skipped ranks, a repeated candidate, no choices left); winners' surpluses move at a fraction rounded
down to ``decimal_places``; thresholds, batch elimination and tie-breaks are RCTab's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from decimal import ROUND_DOWN, ROUND_UP, Context, Decimal, localcontext

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

ZERO = Decimal(0)
ONE = Decimal(1)
RESIDUAL = "residual surplus"
EXHAUSTED = "exhausted"
UNCOUNTED = "uncounted"
# Wide enough that no sum or product is ever rounded by the context; RCTab's BigDecimal is exact until it
# explicitly rounds down to decimal places, and so is this.
_EXACT = Context(prec=200, rounding=ROUND_DOWN)


class _Cvr:
    """Every ballot with the same rankings, counted together.

    Identical ballots move identically in every round (same choices, same fractions rounded the same way), so
    one record with a ``weight`` adds exactly what RCTab's one-record-per-ballot loop adds: k equal exact
    decimal sums are k times one of them, scale included.
    """

    __slots__ = ("amount", "max_rank", "ranks", "recipient", "status", "value", "weight", "winner_values")

    def __init__(self, ranks: list[tuple[int, tuple[str, ...], tuple[str | None, ...]]], weight: int) -> None:
        self.ranks = ranks  # (rank, raw marks, marks resolved to candidate names; None if unknown/overvote)
        self.max_rank = ranks[-1][0] if ranks else 0
        self.recipient: str | None = None
        self.status = BallotStatus.ACTIVE
        self.winner_values: dict[str, Decimal] = {}
        self.value = ONE  # one ballot's getFractionalTransferValue(): 1 minus what winners keep
        self.weight = Decimal(weight)
        self.amount = self.value * self.weight  # what all these ballots together carry

    def set_value(self, value: Decimal) -> None:
        self.value = value
        self.amount = value * self.weight


class _RoundTally:
    def __init__(self, number: int, candidates: Iterable[str]) -> None:
        self.number = number
        self.tallies: dict[str, Decimal] = dict.fromkeys(candidates, ZERO)
        self.statuses: dict[BallotStatus, Decimal] = dict.fromkeys(BallotStatus, ZERO)
        self.threshold = ZERO

    def add(self, candidate: str, value: Decimal) -> None:
        self.statuses[BallotStatus.ACTIVE] += value
        self.tallies[candidate] += value

    def add_inactive(self, status: BallotStatus, value: Decimal) -> None:
        self.statuses[status] += value

    def active_sum(self) -> Decimal:
        return sum((v for s, v in self.statuses.items() if not s.inactive), ZERO)

    def inactive_sum(self) -> Decimal:
        return sum((v for s, v in self.statuses.items() if s.inactive), ZERO)


def _by_tally(tally: _RoundTally, candidates: Iterable[str]) -> list[tuple[Decimal, list[str]]]:
    """buildTallyToCandidates: (votes, candidates with those votes), lowest first."""
    groups: dict[Decimal, list[str]] = {}
    for candidate in candidates:
        groups.setdefault(tally.tallies[candidate], []).append(candidate)
    return sorted(groups.items(), key=lambda item: item[0])


def tabulate(contest: Contest, ballots: Iterable[Ballot]) -> Tabulation:
    """Count ``ballots`` for ``contest`` by its rules; every round, its decisions and the winners.

    A ``multiPassIrv`` contest is several counts: use :func:`tabulate_passes`.
    """
    validate_contest(contest)
    if contest.rules.winner_mode is WinnerMode.MULTI_PASS_IRV:
        if contest.seats != 1:
            raise RcvInputError("rules.winnerElectionMode: multiPassIrv is one count per seat (tabulate_passes)")
        contest = replace(contest, rules=replace(contest.rules, winner_mode=WinnerMode.SINGLE_WINNER_MAJORITY))
    with localcontext(_EXACT):
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


class _Tabulator:
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
        self.alias_to_name: dict[str, str] = {}
        for candidate in contest.candidates:
            self.alias_to_name[candidate.name] = candidate.name
            for alias in candidate.aliases:
                self.alias_to_name[alias] = candidate.name
        if contest.undeclared_write_ins:
            self.alias_to_name[UNDECLARED_WRITE_IN] = UNDECLARED_WRITE_IN
        self.permutation = [c.name for c in contest.candidates]
        # RCTab's "numberOfWinners > 1" tests; a multi-winner mode with one seat (which RCTab's config check
        # refuses) counts as true one-seat STV here: Droop quota fixed in round 1, surplus transfer.
        self.multi_seat = contest.multi_seat
        self.uses_surpluses = contest.uses_surpluses
        groups: dict[Ballot, list[int]] = {}  # ballot -> [first position, how many]
        for index, ballot in enumerate(ballots, start=1):
            key = ballot if isinstance(ballot, tuple) else tuple((r, tuple(m)) for r, m in ballot)
            group = groups.get(key)
            if group is None:
                groups[key] = [index, 1]
            else:
                group[1] += 1
        self.cvrs = [self._load(ballot, first, count) for ballot, (first, count) in groups.items()]
        self.continuing: set[str] = set()
        self.round_tallies: dict[int, _RoundTally] = {}
        self.eliminated_round: dict[str, int] = {}
        self.winner_round: dict[str, int] = {}
        self.decisions: dict[int, list[tuple[str, bool, bool]]] = {}  # round -> (candidate, elected, tiebreak)
        self.transfers: dict[int, dict[str, dict[str, Decimal]]] = {}
        self.current_round = 0
        self.random: JavaRandom | None = None

    # --- input ----------------------------------------------------------------------------------------------

    def _load(self, ballot: Ballot, index: int, weight: int) -> _Cvr:
        ranks: list[tuple[int, tuple[str, ...], tuple[str | None, ...]]] = []
        last = 0
        for rank, marks in ballot:
            if rank <= last:
                raise RcvInputError(f"ballot {index}: ranks must rise (rank {rank} after rank {last})")
            last = rank
            if not marks:
                continue
            resolved: list[str | None] = []
            for mark in marks:
                if mark == OVERVOTE:
                    resolved.append(None)
                    continue
                name = self.alias_to_name.get(mark)
                if name is None:
                    raise RcvInputError(f"ballot {index}: unknown candidate {mark!r} at rank {rank}")
                resolved.append(name)
            if OVERVOTE in marks and len(marks) != 1:
                raise RcvInputError(f"ballot {index}: an explicit overvote together with other marks at rank {rank}")
            ranks.append((rank, tuple(marks), tuple(resolved)))
        max_rankings = self.rules.max_rankings_allowed
        if ranks and max_rankings is not None and ranks[-1][0] > max_rankings:
            raise RcvInputError(
                f"ballot {index}: has a ranking {ranks[-1][0]} but maxRankingsAllowed is {max_rankings}"
            )
        return _Cvr(ranks, weight)

    # --- arithmetic as ContestConfig.divide/multiply --------------------------------------------------------

    def _divide(self, a: Decimal, b: Decimal) -> Decimal:
        return (a / b).quantize(self.places, rounding=ROUND_DOWN)

    def _multiply(self, a: Decimal, b: Decimal) -> Decimal:
        return (a * b).quantize(self.places, rounding=ROUND_DOWN)

    # --- candidate status ------------------------------------------------------------------------------------

    def _continuing(self, candidate: str | None) -> bool:
        if candidate is None or candidate in self.excluded or candidate in self.eliminated_round:
            return False
        if candidate in self.winner_round:
            return self.rules.continue_until_two_candidates_remain
        return True

    # --- the main loop (Tabulator.tabulate) ------------------------------------------------------------------

    def run(self) -> Tabulation:
        rules = self.rules
        if rules.needs_random_seed:
            assert rules.random_seed is not None  # validate_contest
            rng = JavaRandom(rules.random_seed)
            if rules.tiebreak_mode is TiebreakMode.GENERATE_PERMUTATION:
                self.permutation.sort(key=java_string_key)
                rng.shuffle(self.permutation)
            else:
                self.random = rng
        while self._should_continue():
            self.current_round += 1
            tally = self._compute_tallies()
            self.round_tallies[self.current_round] = tally
            if self._should_recompute_threshold():
                tally.threshold = self._threshold(tally)
            else:
                tally.threshold = self.round_tallies[self.current_round - 1].threshold
            by_tally = _by_tally(tally, tally.tallies)
            winners = self._identify_winners(tally, by_tally)
            if winners:
                for name, _ in winners:
                    self.winner_round[name] = self.current_round
                self.decisions.setdefault(self.current_round, []).extend((n, True, t) for n, t in winners)
                if self.uses_surpluses:
                    for name, _ in winners:
                        votes = tally.tallies[name]
                        extra = votes - tally.threshold
                        fraction = self._divide(extra, votes) if extra > 0 else ZERO
                        for cvr in self.cvrs:
                            if cvr.recipient == name:
                                transfer = self._multiply(cvr.value, fraction)
                                cvr.winner_values[name] = cvr.value - transfer
                                cvr.set_value(ONE - sum(cvr.winner_values.values(), ZERO))
            elif (
                len(self.winner_round) < self.seats
                or (rules.continue_until_two_candidates_remain and len(self.eliminated_round) < self.num_candidates - 2)
                or rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE
            ):
                eliminated = self._drop_undeclared_write_ins(tally)
                if not eliminated:
                    eliminated = self._cutoff_elimination(tally)
                if not eliminated:
                    eliminated = self._batch_elimination(by_tally)
                if not eliminated:
                    eliminated = self._regular_elimination(by_tally)
                for name, _ in eliminated:
                    self.eliminated_round[name] = self.current_round
                self.decisions.setdefault(self.current_round, []).extend((n, False, t) for n, t in eliminated)
            if self.multi_seat:
                self._update_winner_tallies()
        return self._result()

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

    def _threshold(self, tally: _RoundTally) -> Decimal:
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

    # --- one round's tallies (computeTalliesForRound) --------------------------------------------------------

    def _compute_tallies(self) -> _RoundTally:
        tally = _RoundTally(self.current_round, (c for c in self.candidate_names if self._continuing(c)))
        continuing = self.continuing = set(tally.tallies)  # nobody's status changes within a round
        tallies = tally.tallies
        active = ZERO
        final_surplus = self.uses_surpluses and len(self.winner_round) == self.seats
        max_skips = self.rules.max_skipped_ranks_allowed
        duplicates = self.rules.exhaust_on_duplicate_candidate
        for cvr in self.cvrs:
            if cvr.status is not BallotStatus.ACTIVE:
                tally.add_inactive(cvr.status, cvr.amount)
                continue
            if cvr.recipient in continuing:
                tallies[cvr.recipient] += cvr.amount
                active += cvr.amount
                continue
            if not cvr.ranks:
                self._select(cvr, tally, None, BallotStatus.DID_NOT_RANK_ANY_CANDIDATES)
                continue
            last_rank = 0
            seen: set[str] = set()
            selected = None
            for rank, marks, resolved in cvr.ranks:
                if final_surplus:
                    self._select(cvr, tally, None, BallotStatus.FINAL_ROUND_SURPLUS)
                    break
                if max_skips is not None and rank - last_rank > max_skips + 1:
                    self._select(cvr, tally, None, BallotStatus.SKIPPED_RANKING)
                    break
                last_rank = rank
                if duplicates:
                    duplicate = False
                    for mark in marks:
                        if mark in seen:
                            duplicate = True
                            break
                        seen.add(mark)
                    if duplicate:
                        self._select(cvr, tally, None, BallotStatus.REPEATED_RANKING)
                        break
                decision = self._overvote_decision(marks, resolved)
                if decision == "exhaust":
                    self._select(cvr, tally, None, BallotStatus.OVERVOTE)
                    break
                if decision == "skip":
                    if rank == cvr.max_rank:
                        self._select(cvr, tally, None, BallotStatus.EXHAUSTED_CHOICE)
                    continue
                for name in resolved:
                    if name in continuing:
                        selected = name
                        self._select(cvr, tally, name, BallotStatus.ACTIVE)
                        tallies[name] += cvr.amount
                        active += cvr.amount
                        break
                if selected is not None:
                    break
                if rank == cvr.max_rank:
                    self._select(cvr, tally, None, BallotStatus.EXHAUSTED_CHOICE)
        tally.statuses[BallotStatus.ACTIVE] += active
        return tally

    def _overvote_decision(self, marks: tuple[str, ...], resolved: tuple[str | None, ...]) -> str | None:
        rule = self.rules.overvote_rule
        if OVERVOTE in marks:
            if rule is OvervoteRule.EXHAUST_IMMEDIATELY:
                return "exhaust"
            if rule is OvervoteRule.ALWAYS_SKIP_TO_NEXT_RANK:
                return "skip"
            raise RcvInputError(f"overvoteRule {rule.value!r} cannot be used with an explicit overvote label")
        if len(marks) <= 1:
            return None
        if rule is OvervoteRule.EXHAUST_IMMEDIATELY:
            return "exhaust"
        if rule is OvervoteRule.ALWAYS_SKIP_TO_NEXT_RANK:
            return "skip"
        continuing = sum(1 for name in resolved if name in self.continuing)
        return "exhaust" if continuing >= 2 else None

    def _select(self, cvr: _Cvr, tally: _RoundTally, selected: str | None, status: BallotStatus) -> None:
        """recordSelectionForCastVoteRecord: note the transfer, move the ballot, count it inactive if it is."""
        if cvr.value > 0:
            source = cvr.recipient if cvr.recipient is not None else UNCOUNTED
            target = selected if selected is not None else EXHAUSTED
            moves = self.transfers.setdefault(tally.number, {}).setdefault(source, {})
            moves[target] = moves.get(target, ZERO) + cvr.amount
        cvr.recipient = selected
        if selected is None:
            cvr.status = status
        if status is not BallotStatus.ACTIVE:
            tally.add_inactive(status, cvr.amount)

    # --- winners ---------------------------------------------------------------------------------------------

    def _identify_winners(
        self, tally: _RoundTally, by_tally: list[tuple[Decimal, list[str]]]
    ) -> list[tuple[str, bool]]:
        rules = self.rules
        if tally.tallies.get(UNDECLARED_WRITE_IN, ZERO) != 0:
            return []  # nobody wins while undeclared write-ins still hold votes
        names: list[str] = []
        if rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
            if all(v > tally.threshold for v in tally.tallies.values()):
                names = list(tally.tallies)
            return [(n, False) for n in names]
        unfilled = self.seats - len(self.winner_round)
        if unfilled > 0:
            if len(tally.tallies) <= unfilled:
                names = list(tally.tallies)
            elif rules.first_round_determines_threshold and len(tally.tallies) - 1 == self.seats:
                names = list(by_tally[-1][1])
            elif rules.winner_mode is not WinnerMode.BOTTOMS_UP:
                for votes, group in by_tally:
                    if votes >= tally.threshold:
                        names.extend(c for c in group if c != UNDECLARED_WRITE_IN)
        many = len(names) > 1 and (
            rules.winner_mode is WinnerMode.MULTI_WINNER_ONE_PER_ROUND or rules.first_round_determines_threshold
        )
        none_of_two = self.seats == 1 and not names and len(tally.tallies) == 2 and unfilled == 1
        if many or none_of_two:
            top_votes, top = by_tally[-1]
            if len(top) > 1:
                return [(self._tiebreak(top, True, top_votes), True)]
            return [(n, False) for n in top]
        return [(n, False) for n in names]

    # --- eliminations ----------------------------------------------------------------------------------------

    def _drop_undeclared_write_ins(self, tally: _RoundTally) -> list[tuple[str, bool]]:
        if tally.tallies.get(UNDECLARED_WRITE_IN, ZERO) > 0:
            return [(UNDECLARED_WRITE_IN, False)]
        return []

    def _cutoff_elimination(self, tally: _RoundTally) -> list[tuple[str, bool]]:
        if not self.rules.cutoff_elimination:
            return []
        return [(c, False) for c, v in tally.tallies.items() if v < tally.threshold]

    def _batch_elimination(self, by_tally: list[tuple[Decimal, list[str]]]) -> list[tuple[str, bool]]:
        if not self.rules.batch_elimination:
            return []
        running = ZERO
        seen: list[str] = []
        done: set[str] = set()
        eliminations: list[str] = []
        previous: list[str] = []
        for votes, group in by_tally:
            new = list(eliminations)
            if running < votes:
                for candidate in seen:
                    if candidate not in done:
                        done.add(candidate)
                        new.append(candidate)
            running += self._multiply(votes, Decimal(len(group)))
            seen.extend(group)
            if len(new) > len(eliminations):
                previous, eliminations = eliminations, new
        if (
            self.rules.continue_until_two_candidates_remain
            and len(eliminations) + len(self.eliminated_round) == self.num_candidates - 1
        ):
            eliminations = previous
        return [(c, False) for c in eliminations] if len(eliminations) > 1 else []

    def _regular_elimination(self, by_tally: list[tuple[Decimal, list[str]]]) -> list[tuple[str, bool]]:
        if not by_tally:
            raise RcvInputError(
                f"no candidate left to eliminate in round {self.current_round} with seats still empty "
                "(RCTab stops here too; batch elimination with several seats can cause it)"
            )
        votes, lowest = by_tally[0]
        if len(lowest) > 1:
            return [(self._tiebreak(lowest, False, votes), True)]
        return [(lowest[0], False)]

    # --- ties (Tiebreak.java) --------------------------------------------------------------------------------

    def _tiebreak(self, tied: list[str], selecting_winner: bool, votes: Decimal) -> str:
        tied = sorted(tied, key=java_string_key)
        mode = self.rules.tiebreak_mode
        if mode is TiebreakMode.RANDOM:
            return self._random_pick(tied)
        if mode in (TiebreakMode.USE_CANDIDATE_ORDER, TiebreakMode.GENERATE_PERMUTATION):
            order = self.permutation if selecting_winner else list(reversed(self.permutation))
            wanted = set(tied)
            for candidate in order:
                if candidate in wanted:
                    return candidate
            raise RcvInputError(f"a tie among {tied} cannot be broken by candidate order")
        contention = tied
        for earlier in range(self.current_round - 1, 0, -1):
            # RCTab groups the candidates of a HashSet here, so a list left tied comes out in Java's
            # HashSet order, and the random fallback below indexes into that order
            groups = _by_tally(self.round_tallies[earlier], java_hash_set_order(contention))
            contention = groups[-1][1] if selecting_winner else groups[0][1]
            if len(contention) == 1:
                return contention[0]
        return self._random_pick(contention)

    def _random_pick(self, tied: list[str]) -> str:
        assert self.random is not None
        return tied[math.floor(self.random.next_double() * len(tied))]

    # --- multi-seat: winners' kept value (updateWinnerTallies) -----------------------------------------------

    def _update_winner_tallies(self) -> None:
        tally = self.round_tallies[self.current_round]
        previous = self.round_tallies.get(self.current_round - 1)
        process = [w for w, r in self.winner_round.items() if r != self.current_round]
        compute = {w for w, r in self.winner_round.items() if r == self.current_round - 1}
        for winner in process:
            assert previous is not None
            tally.tallies[winner] = ZERO if winner in compute else previous.tallies[winner]
        if not compute:
            return
        for cvr in self.cvrs:
            for winner, kept in cvr.winner_values.items():
                if winner in compute:
                    tally.tallies[winner] += kept * cvr.weight
        for winner in sorted(compute, key=java_string_key):
            residual = tally.tallies[winner] - tally.threshold
            if residual > 0:
                tally.tallies[winner] = tally.threshold
                moves = self.transfers.setdefault(self.current_round, {}).setdefault(winner, {})
                moves[RESIDUAL] = moves.get(RESIDUAL, ZERO) + residual

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
