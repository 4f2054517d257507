"""The scorecard's arithmetic, over plain values (the tally reads them from the database).

Each recorded vote puts the official **for** the platform plank (a yes where a yes means for, a no where a yes
means against), **against** it (the other two), **abstained** or **absent**. An official's **alignment** is
for / (for + against), kept exact as a ``Fraction``; it is None ("no record") when both are 0, since abstaining
or being absent is not a vote either way. Shown as a share, it is rounded **down** (``floor``): 199 of 200
shows 99%, never 100%, so a scorecard never overstates anyone's record (``alignment_shown`` to 3 decimals for
JSON, ``alignment_percent`` to a whole percent for pages).

A **broken pledge** is a plank the official pledged ``yes`` to and then voted against: every vote against it
on or after the pledge's date (all of them when the pledge has no date). A ``no`` pledge is reported as such
(``pledged_no``), never as broken: they said so.

>>> counts = Counts(for_=2, against=1)
>>> counts.alignment, alignment_shown(counts.alignment), alignment_percent(counts.alignment)
(Fraction(2, 3), Decimal('0.666'), 66)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from kiosk.ledger.model import PledgeAnswer, Position, VoteCast, YesMeans, position
from kiosk.roster import fold


@dataclass(frozen=True)
class RecordedVote:
    official: str
    plank: str
    voted_on: date
    body: str
    matter: str
    vote: VoteCast
    yes_means: YesMeans

    @property
    def position(self) -> Position:
        return position(self.vote, self.yes_means)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.voted_on.isoformat(),
            "body": self.body,
            "matter": self.matter,
            "vote": self.vote.value,
            "yes_means": self.yes_means.value,
            "position": self.position.value,
        }


@dataclass(frozen=True)
class Pledge:
    official: str
    plank: str
    answer: PledgeAnswer
    pledged_on: date | None


def alignment_shown(value: Fraction | None) -> Decimal | None:
    """The alignment to 3 decimals, rounded down (``Decimal``; None stays None)."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)


def alignment_percent(value: Fraction | None) -> int | None:
    """The alignment as a whole percent, rounded down."""
    return None if value is None else int(value * 100 // 1)


@dataclass
class Counts:
    for_: int = 0
    against: int = 0
    abstain: int = 0
    absent: int = 0

    def add(self, where: Position) -> None:
        name = "for_" if where is Position.FOR else where.value
        setattr(self, name, getattr(self, name) + 1)

    @property
    def alignment(self) -> Fraction | None:
        decided = self.for_ + self.against
        return Fraction(self.for_, decided) if decided else None

    def as_dict(self) -> dict[str, Any]:
        shown = alignment_shown(self.alignment)
        decided = self.for_ + self.against
        return {
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "absent": self.absent,
            "alignment": None if shown is None else float(shown),
            "alignment_exact": f"{self.for_}/{decided}" if decided else None,  # for/(for+against), unreduced
        }


@dataclass
class PlankScore:
    plank: str
    counts: Counts = field(default_factory=Counts)
    pledge: Pledge | None = None
    votes: list[RecordedVote] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plank": self.plank,
            **self.counts.as_dict(),
            "pledge": None if self.pledge is None else self.pledge.answer.value,
            "votes": [v.as_dict() for v in self.votes],
        }


@dataclass(frozen=True)
class BrokenPledge:
    plank: str
    pledged_on: date | None
    votes_against: tuple[RecordedVote, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "plank": self.plank,
            "pledge": "yes",
            "pledged_on": None if self.pledged_on is None else self.pledged_on.isoformat(),
            "votes_against": [v.as_dict() for v in self.votes_against],
        }


@dataclass
class OfficialScore:
    name: str
    office: str = ""
    body: str = ""
    endorsed: bool = False
    counts: Counts = field(default_factory=Counts)
    planks: list[PlankScore] = field(default_factory=list)
    broken_pledges: list[BrokenPledge] = field(default_factory=list)
    pledged_no: list[Pledge] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "office": self.office,
            "body": self.body,
            "endorsed": self.endorsed,
            **self.counts.as_dict(),
            "planks": [p.as_dict() for p in self.planks],
            "broken_pledges": [b.as_dict() for b in self.broken_pledges],
            "pledged_no": [
                {"plank": p.plank, "pledged_on": None if p.pledged_on is None else p.pledged_on.isoformat()}
                for p in self.pledged_no
            ],
        }


def _broken(pledge: Pledge, votes: list[RecordedVote]) -> BrokenPledge | None:
    against = tuple(
        v
        for v in votes
        if v.position is Position.AGAINST and (pledge.pledged_on is None or v.voted_on >= pledge.pledged_on)
    )
    return BrokenPledge(pledge.plank, pledge.pledged_on, against) if against else None


def score_official(
    official: OfficialScore, planks: list[str], votes: Iterable[RecordedVote], pledges: Iterable[Pledge]
) -> OfficialScore:
    """Fill ``official``'s counts, per-plank scores (in the order of ``planks``, only those with a vote or a
    pledge), broken pledges and ``no`` pledges from their votes and pledges."""
    by_plank: dict[str, PlankScore] = {}
    for vote in sorted(votes, key=lambda v: (v.voted_on, fold(v.body), fold(v.matter))):
        score = by_plank.setdefault(vote.plank, PlankScore(vote.plank))
        score.counts.add(vote.position)
        score.votes.append(vote)
        official.counts.add(vote.position)
    for pledge in pledges:
        score = by_plank.setdefault(pledge.plank, PlankScore(pledge.plank))
        score.pledge = pledge
        if pledge.answer is PledgeAnswer.NO:
            official.pledged_no.append(pledge)
            continue
        broken = _broken(pledge, score.votes)
        if broken is not None:
            official.broken_pledges.append(broken)
    order = {title: i for i, title in enumerate(planks)}
    official.planks = sorted(by_plank.values(), key=lambda s: (order.get(s.plank, len(order)), s.plank))
    official.broken_pledges.sort(key=lambda b: order.get(b.plank, len(order)))
    official.pledged_no.sort(key=lambda p: order.get(p.plank, len(order)))
    return official


@dataclass
class PlankRecord:
    """Browse by plank: each official's record on one platform plank."""

    plank: str
    officials: list[tuple[str, PlankScore]] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        total = Counts()
        for _name, score in self.officials:
            for vote in score.votes:
                total.add(vote.position)
        return total


def by_plank(planks: list[str], scores: list[OfficialScore]) -> list[PlankRecord]:
    """The same scores turned around: per platform plank, every official with a vote or a pledge on it."""
    records = {title: PlankRecord(title) for title in planks}
    for official in scores:
        for score in official.planks:
            records.setdefault(score.plank, PlankRecord(score.plank)).officials.append((official.name, score))
    return list(records.values())
