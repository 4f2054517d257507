"""What a count keeps per round: ballots grouped by their rankings, and one round's tallies.

The arithmetic constants live here too, because every step of the count (``kiosk.rcv.engine``,
``kiosk.rcv.transfers``, ``kiosk.rcv.decisions``) adds and compares these values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Context, Decimal

from kiosk.rcv.model import OVERVOTE, Ballot, BallotStatus, RcvInputError

ZERO = Decimal(0)
ONE = Decimal(1)
RESIDUAL = "residual surplus"
EXHAUSTED = "exhausted"
UNCOUNTED = "uncounted"
# Wide enough that no sum or product is ever rounded by the context; RCTab's BigDecimal is exact until it
# explicitly rounds down to decimal places, and so is this.
EXACT = Context(prec=200, rounding=ROUND_DOWN)


def round_down(value: Decimal, places: Decimal) -> Decimal:
    """RCTab's ContestConfig.divide/multiply rounding: down to ``places`` (a unit such as ``Decimal("0.0001")``)."""
    return value.quantize(places, rounding=ROUND_DOWN)


# One rank of a ballot: (rank, raw marks, marks resolved to candidate names; None if unknown/overvote)
Rank = tuple[int, tuple[str, ...], tuple[str | None, ...]]


class BallotGroup:
    """Every ballot with the same rankings, counted together.

    Identical ballots move identically in every round (same choices, same fractions rounded the same way), so
    one record with a ``weight`` adds exactly what RCTab's one-record-per-ballot loop adds: k equal exact
    decimal sums are k times one of them, scale included.
    """

    __slots__ = ("amount", "max_rank", "ranks", "recipient", "status", "value", "weight", "winner_values")

    def __init__(self, ranks: list[Rank], weight: int) -> None:
        self.ranks = ranks
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


class RoundTally:
    """One round's votes per continuing candidate, ballots per status, and the winning threshold."""

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


def by_tally(tally: RoundTally, candidates: Iterable[str]) -> list[tuple[Decimal, list[str]]]:
    """buildTallyToCandidates: (votes, candidates with those votes), lowest first."""
    groups: dict[Decimal, list[str]] = {}
    for candidate in candidates:
        groups.setdefault(tally.tallies[candidate], []).append(candidate)
    return sorted(groups.items(), key=lambda item: item[0])


def group_ballots(
    ballots: Iterable[Ballot], alias_to_name: Mapping[str, str], max_rankings: int | None
) -> list[BallotGroup]:
    """The ballots checked and grouped by identical rankings (numbered from 1 in complaints, first seen)."""
    groups: dict[Ballot, list[int]] = {}  # ballot -> [first position, how many]
    for index, ballot in enumerate(ballots, start=1):
        key = ballot if isinstance(ballot, tuple) else tuple((r, tuple(m)) for r, m in ballot)
        group = groups.get(key)
        if group is None:
            groups[key] = [index, 1]
        else:
            group[1] += 1
    return [
        BallotGroup(_ranks(ballot, first, alias_to_name, max_rankings), count)
        for ballot, (first, count) in groups.items()
    ]


def _ranks(ballot: Ballot, index: int, alias_to_name: Mapping[str, str], max_rankings: int | None) -> list[Rank]:
    ranks: list[Rank] = []
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
            name = alias_to_name.get(mark)
            if name is None:
                raise RcvInputError(f"ballot {index}: unknown candidate {mark!r} at rank {rank}")
            resolved.append(name)
        if OVERVOTE in marks and len(marks) != 1:
            raise RcvInputError(f"ballot {index}: an explicit overvote together with other marks at rank {rank}")
        ranks.append((rank, tuple(marks), tuple(resolved)))
    if ranks and max_rankings is not None and ranks[-1][0] > max_rankings:
        raise RcvInputError(f"ballot {index}: has a ranking {ranks[-1][0]} but maxRankingsAllowed is {max_rankings}")
    return ranks
