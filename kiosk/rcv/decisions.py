"""Who wins and who is eliminated in a round, and how ties are broken (RCTab's Tabulator.java winner and
elimination steps, and Tiebreak.java). A part of the tabulator (``kiosk.rcv.engine._Tabulator``), over its
state.
"""

from __future__ import annotations

import math
from decimal import Decimal

from kiosk.rcv.javarandom import JavaRandom, java_hash_set_order, java_string_key
from kiosk.rcv.model import UNDECLARED_WRITE_IN, RcvInputError, Rules, TiebreakMode, WinnerMode
from kiosk.rcv.rounds import ZERO, RoundTally, by_tally, round_down

# (candidate, whether a tie-break chose them)
Decision = tuple[str, bool]
Ordered = list[tuple[Decimal, list[str]]]  # by_tally's (votes, candidates with those votes), lowest first


class Decisions:
    """Winners, eliminations and tie-breaks (mixed into the tabulator)."""

    rules: Rules
    places: Decimal  # one unit of the last decimal place
    seats: int
    num_candidates: int
    current_round: int
    permutation: list[str]
    random: JavaRandom | None
    round_tallies: dict[int, RoundTally]
    winner_round: dict[str, int]
    eliminated_round: dict[str, int]
    decisions: dict[int, list[tuple[str, bool, bool]]]  # round -> (candidate, elected, tiebreak)

    # --- winners ---------------------------------------------------------------------------------------------

    def _identify_winners(self, tally: RoundTally, ordered: Ordered) -> list[Decision]:
        rules = self.rules
        if tally.tallies.get(UNDECLARED_WRITE_IN, ZERO) != 0:
            return []  # nobody wins while undeclared write-ins still hold votes
        if rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE:
            if all(v > tally.threshold for v in tally.tallies.values()):
                return [(n, False) for n in tally.tallies]
            return []
        unfilled = self.seats - len(self.winner_round)
        names = self._reaching_threshold(tally, ordered, unfilled) if unfilled > 0 else []
        many = len(names) > 1 and (
            rules.winner_mode is WinnerMode.MULTI_WINNER_ONE_PER_ROUND or rules.first_round_determines_threshold
        )
        none_of_two = self.seats == 1 and not names and len(tally.tallies) == 2 and unfilled == 1
        if many or none_of_two:
            top_votes, top = ordered[-1]
            if len(top) > 1:
                return [(self._tiebreak(top, True, top_votes), True)]
            return [(n, False) for n in top]
        return [(n, False) for n in names]

    def _reaching_threshold(self, tally: RoundTally, ordered: Ordered, unfilled: int) -> list[str]:
        """The candidates who win this round's seats by their votes (before any one-per-round rule)."""
        if len(tally.tallies) <= unfilled:
            return list(tally.tallies)
        if self.rules.first_round_determines_threshold and len(tally.tallies) - 1 == self.seats:
            return list(ordered[-1][1])
        if self.rules.winner_mode is WinnerMode.BOTTOMS_UP:
            return []
        return [c for votes, group in ordered if votes >= tally.threshold for c in group if c != UNDECLARED_WRITE_IN]

    def _record(self, decided: list[Decision], *, elected: bool) -> None:
        rounds = self.winner_round if elected else self.eliminated_round
        for name, _ in decided:
            rounds[name] = self.current_round
        self.decisions.setdefault(self.current_round, []).extend((n, elected, t) for n, t in decided)

    # --- eliminations ----------------------------------------------------------------------------------------

    def _must_eliminate(self) -> bool:
        """Whether a round without a winner eliminates someone."""
        rules = self.rules
        return (
            len(self.winner_round) < self.seats
            or (rules.continue_until_two_candidates_remain and len(self.eliminated_round) < self.num_candidates - 2)
            or rules.winner_mode is WinnerMode.BOTTOMS_UP_PERCENTAGE
        )

    def _eliminations(self, tally: RoundTally, ordered: Ordered) -> list[Decision]:
        """RCTab's order: undeclared write-ins, then the cutoff, then a batch, then the lowest candidate."""
        return (
            self._drop_undeclared_write_ins(tally)
            or self._cutoff_elimination(tally)
            or self._batch_elimination(ordered)
            or self._regular_elimination(ordered)
        )

    def _drop_undeclared_write_ins(self, tally: RoundTally) -> list[Decision]:
        if tally.tallies.get(UNDECLARED_WRITE_IN, ZERO) > 0:
            return [(UNDECLARED_WRITE_IN, False)]
        return []

    def _cutoff_elimination(self, tally: RoundTally) -> list[Decision]:
        if not self.rules.cutoff_elimination:
            return []
        return [(c, False) for c, v in tally.tallies.items() if v < tally.threshold]

    def _batch_elimination(self, ordered: Ordered) -> list[Decision]:
        if not self.rules.batch_elimination:
            return []
        running = ZERO
        seen: list[str] = []
        done: set[str] = set()
        eliminations: list[str] = []
        previous: list[str] = []
        for votes, group in ordered:
            new = list(eliminations)
            if running < votes:
                for candidate in seen:
                    if candidate not in done:
                        done.add(candidate)
                        new.append(candidate)
            running += round_down(votes * Decimal(len(group)), self.places)
            seen.extend(group)
            if len(new) > len(eliminations):
                previous, eliminations = eliminations, new
        if (
            self.rules.continue_until_two_candidates_remain
            and len(eliminations) + len(self.eliminated_round) == self.num_candidates - 1
        ):
            eliminations = previous
        return [(c, False) for c in eliminations] if len(eliminations) > 1 else []

    def _regular_elimination(self, ordered: Ordered) -> list[Decision]:
        if not ordered:
            raise RcvInputError(
                f"no candidate left to eliminate in round {self.current_round} with seats still empty "
                "(RCTab stops here too; batch elimination with several seats can cause it)"
            )
        votes, lowest = ordered[0]
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
            groups = by_tally(self.round_tallies[earlier], java_hash_set_order(contention))
            contention = groups[-1][1] if selecting_winner else groups[0][1]
            if len(contention) == 1:
                return contention[0]
        return self._random_pick(contention)

    def _random_pick(self, tied: list[str]) -> str:
        assert self.random is not None
        return tied[math.floor(self.random.next_double() * len(tied))]
