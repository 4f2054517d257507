"""The ledger's choices and the rows its files are read into (frozen values; see ``kiosk.ledger``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from kiosk.import_report import ImportReport


class VoteCast(StrEnum):
    """How an official voted on a matter, as the body recorded it."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    ABSENT = "absent"


class YesMeans(StrEnum):
    """Whether a yes on a matter is for or against the platform plank it touches."""

    FOR = "for"
    AGAINST = "against"


class PledgeAnswer(StrEnum):
    """A candidate's answer to the questionnaire: yes, they will support the plank, or no."""

    YES = "yes"
    NO = "no"


class Position(StrEnum):
    """Where a recorded vote puts the official relative to the platform."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    ABSENT = "absent"


def position(vote: VoteCast, yes_means: YesMeans) -> Position:
    """A vote's position on the platform: a yes counts as ``yes_means``, a no as its opposite.

    >>> position(VoteCast.NO, YesMeans.AGAINST), position(VoteCast.ABSENT, YesMeans.FOR)
    (<Position.FOR: 'for'>, <Position.ABSENT: 'absent'>)
    """
    if vote is VoteCast.ABSTAIN:
        return Position.ABSTAIN
    if vote is VoteCast.ABSENT:
        return Position.ABSENT
    with_plank = (vote is VoteCast.YES) == (yes_means is YesMeans.FOR)
    return Position.FOR if with_plank else Position.AGAINST


@dataclass(frozen=True)
class Refusal:
    """A line of a file that was not imported, and why (``line 0``: the file as a whole, e.g. one OCD file)."""

    line: int
    reason: str
    source: str = ""  # the file a line belongs to, when an import reads several (OCD)
    unit: str = "line"  # what ``line`` counts: a CSV's lines, an OCD VoteEvent's votes

    def __str__(self) -> str:
        where = f"{self.source} " if self.source else ""
        if not self.line:
            return f"{where}{self.reason}" if not where else f"{where.strip()}: {self.reason}"
        return f"{where}{self.unit} {self.line}: {self.reason}"


@dataclass(frozen=True)
class OfficialRow:
    line: int
    name: str
    office: str
    body: str
    term_start: date | None
    term_end: date | None
    endorsed: bool
    endorsed_by: str | None  # the code of the meeting that endorsed them, checked by the tally


@dataclass(frozen=True)
class PledgeRow:
    line: int
    official: str
    plank: str
    pledge: PledgeAnswer
    pledged_on: date | None


@dataclass(frozen=True)
class VoteRow:
    line: int
    voted_on: date
    body: str
    matter: str
    official: str
    vote: VoteCast
    plank: str
    yes_means: YesMeans
    source: str = ""  # the OCD file the vote came from


@dataclass
class LedgerReport(ImportReport):
    """What a ledger import did: the roster's report, less its walk-in merges (the ledger has none, so its JSON
    has no ``merged`` key)."""

    def as_dict(self) -> dict[str, Any]:
        counts = super().as_dict()
        del counts["merged"]
        return counts
