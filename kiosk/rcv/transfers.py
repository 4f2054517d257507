"""Where each ballot goes in a round (RCTab's computeTalliesForRound and recordSelectionForCastVoteRecord).

Every round each ballot either stays with its continuing candidate, moves to its next continuing choice, or
becomes inactive for a stated reason: an overvote, too many skipped ranks, a repeated candidate, no choices
left. Also the winners' kept value in a multi-seat count (updateWinnerTallies). A part of the tabulator
(``kiosk.rcv.engine._Tabulator``), over its state.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from kiosk.rcv.javarandom import java_string_key
from kiosk.rcv.model import OVERVOTE, BallotStatus, OvervoteRule, RcvInputError, Rules
from kiosk.rcv.rounds import EXHAUSTED, ONE, RESIDUAL, UNCOUNTED, ZERO, BallotGroup, RoundTally, round_down

OvervoteDecision = Literal["exhaust", "skip"] | None


def _repeats(marks: tuple[str, ...], seen: set[str]) -> bool:
    """Whether ``marks`` name a candidate already ranked (``seen`` grows with each mark up to the repeat)."""
    for mark in marks:
        if mark in seen:
            return True
        seen.add(mark)
    return False


class BallotTransfers:
    """Moving ballots between candidates, round by round (mixed into the tabulator)."""

    rules: Rules
    seats: int
    uses_surpluses: bool
    cvrs: list[BallotGroup]
    continuing: set[str]
    candidate_names: list[str]
    places: Decimal  # one unit of the last decimal place
    current_round: int
    winner_round: dict[str, int]
    round_tallies: dict[int, RoundTally]
    transfers: dict[int, dict[str, dict[str, Decimal]]]

    excluded: set[str]
    eliminated_round: dict[str, int]

    def _continuing(self, candidate: str | None) -> bool:
        if candidate is None or candidate in self.excluded or candidate in self.eliminated_round:
            return False
        if candidate in self.winner_round:
            return self.rules.continue_until_two_candidates_remain
        return True

    def _compute_tallies(self) -> RoundTally:
        tally = RoundTally(self.current_round, (c for c in self.candidate_names if self._continuing(c)))
        continuing = self.continuing = set(tally.tallies)  # nobody's status changes within a round
        tallies = tally.tallies
        active = ZERO
        final_surplus = self.uses_surpluses and len(self.winner_round) == self.seats
        for cvr in self.cvrs:
            # the two common cases inline: this loop runs once per distinct ballot per round
            if cvr.status is not BallotStatus.ACTIVE:
                tally.add_inactive(cvr.status, cvr.amount)
                continue
            if cvr.recipient in continuing:
                tallies[cvr.recipient] += cvr.amount
                active += cvr.amount
                continue
            selected = self._next_choice(cvr, tally, final_surplus)
            if selected is not None:
                tallies[selected] += cvr.amount
                active += cvr.amount
        tally.statuses[BallotStatus.ACTIVE] += active
        return tally

    def _next_choice(self, cvr: BallotGroup, tally: RoundTally, final_surplus: bool) -> str | None:
        """Move a ballot whose candidate is gone to its next continuing choice (returned), or make it inactive."""
        if not cvr.ranks:
            return self._select(cvr, tally, None, BallotStatus.DID_NOT_RANK_ANY_CANDIDATES)
        if final_surplus:
            return self._select(cvr, tally, None, BallotStatus.FINAL_ROUND_SURPLUS)
        max_skips = self.rules.max_skipped_ranks_allowed
        duplicates = self.rules.exhaust_on_duplicate_candidate
        last_rank = 0
        seen: set[str] = set()
        for rank, marks, resolved in cvr.ranks:
            if max_skips is not None and rank - last_rank > max_skips + 1:
                return self._select(cvr, tally, None, BallotStatus.SKIPPED_RANKING)
            last_rank = rank
            if duplicates and _repeats(marks, seen):
                return self._select(cvr, tally, None, BallotStatus.REPEATED_RANKING)
            decision = self._overvote_decision(marks, resolved)
            if decision == "exhaust":
                return self._select(cvr, tally, None, BallotStatus.OVERVOTE)
            if decision != "skip":
                for name in resolved:
                    if name in self.continuing:
                        return self._select(cvr, tally, name, BallotStatus.ACTIVE)
        # the last rank has no continuing candidate either
        return self._select(cvr, tally, None, BallotStatus.EXHAUSTED_CHOICE)

    def _overvote_decision(self, marks: tuple[str, ...], resolved: tuple[str | None, ...]) -> OvervoteDecision:
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

    def _select(self, cvr: BallotGroup, tally: RoundTally, selected: str | None, status: BallotStatus) -> str | None:
        """recordSelectionForCastVoteRecord: note the transfer, move the ballot, count it inactive if it is.

        Returns ``selected``, so a caller can hand on where the ballot went."""
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
        return selected

    def _transfer_surplus(self, tally: RoundTally, winner: str) -> None:
        """A winner's votes above the threshold move on at a fraction rounded down; the rest stays with them."""
        votes = tally.tallies[winner]
        extra = votes - tally.threshold
        fraction = round_down(extra / votes, self.places) if extra > 0 else ZERO
        for cvr in self.cvrs:
            if cvr.recipient == winner:
                transfer = round_down(cvr.value * fraction, self.places)
                cvr.winner_values[winner] = cvr.value - transfer
                cvr.set_value(ONE - sum(cvr.winner_values.values(), ZERO))

    def _update_winner_tallies(self) -> None:
        """Multi-seat: each earlier winner keeps exactly the threshold; what is above it is a residual surplus."""
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
