"""Vote counting rules: thresholds, plank outcomes and quorum, as pure functions over counts.

Abstentions are not votes cast. A plank passes when ``yes / (yes + no)`` reaches its threshold:

* ``majority`` means *strictly more than half*: 10-10 fails, 11-10 passes.
* ``three-fifths``, ``two-thirds`` and ``three-quarters`` mean *at least* that fraction:
  6-4 passes three-fifths, 20-10 passes two-thirds, 15-5 passes three-quarters.

A plank with no yes or no votes at all fails (nothing was decided).

>>> passes(Threshold.MAJORITY, yes=10, no=10)
False
>>> passes(Threshold.MAJORITY, yes=11, no=10)
True
>>> passes(Threshold.TWO_THIRDS, yes=20, no=10)
True
>>> passes(Threshold.THREE_FIFTHS, yes=6, no=4)
True
>>> passes(Threshold.THREE_QUARTERS, yes=14, no=5)
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class Threshold(StrEnum):
    MAJORITY = "majority"
    THREE_FIFTHS = "three-fifths"
    TWO_THIRDS = "two-thirds"
    THREE_QUARTERS = "three-quarters"

    @property
    def fraction(self) -> Fraction:
        return _FRACTIONS[self]

    @property
    def strict(self) -> bool:
        """Majority must be exceeded; the super-majorities need only be reached."""
        return self is Threshold.MAJORITY


_FRACTIONS = {
    Threshold.MAJORITY: Fraction(1, 2),
    Threshold.THREE_FIFTHS: Fraction(3, 5),
    Threshold.TWO_THIRDS: Fraction(2, 3),
    Threshold.THREE_QUARTERS: Fraction(3, 4),
}


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


def passes(threshold: Threshold, *, yes: int, no: int) -> bool:
    """Whether a plank with these counts passes; exact rational arithmetic, no float rounding."""
    cast = yes + no
    if cast == 0:
        return False
    share = Fraction(yes, cast)
    return share > threshold.fraction if threshold.strict else share >= threshold.fraction


def yes_share(yes: int, no: int) -> float | None:
    """Yes as a percentage of votes cast (abstentions excluded), or None when nobody voted yes or no."""
    cast = yes + no
    return None if cast == 0 else round(100 * yes / cast, 1)


def quorum_required(kind: str, value: int, members_in_good_standing: int) -> int:
    """Quorum as a head count: ``count`` is taken as is, ``percent`` rounds up (20% of 31 is 7)."""
    if kind == "count":
        return value
    return -(-value * members_in_good_standing // 100)


@dataclass(frozen=True)
class PlankResult:
    position: int
    title: str
    threshold: Threshold
    yes: int
    no: int
    abstain: int

    @property
    def passed(self) -> bool:
        return passes(self.threshold, yes=self.yes, no=self.no)

    @property
    def yes_percent(self) -> float | None:
        return yes_share(self.yes, self.no)

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "threshold": str(self.threshold),
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "yes_percent": self.yes_percent,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Quorum:
    required: int
    present: int

    @property
    def met(self) -> bool:
        return self.present >= self.required

    def as_dict(self) -> dict[str, object]:
        return {"required": self.required, "present": self.present, "met": self.met}


@dataclass(frozen=True)
class MeetingResults:
    meeting: str
    title: str
    state: str
    quorum: Quorum
    ballots_issued: int
    ballots_cast: int
    planks: list[PlankResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "meeting": self.meeting,
            "title": self.title,
            "state": self.state,
            "quorum": self.quorum.as_dict(),
            "ballots_issued": self.ballots_issued,
            "ballots_cast": self.ballots_cast,
            "planks": [p.as_dict() for p in self.planks],
        }
