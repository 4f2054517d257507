"""The scorecard's arithmetic (issue 17), table-driven: positions, counts, alignment (exact, and rounded down
when shown), per plank, broken pledges and "pledged no". Pure values, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from kiosk.ledger.model import PledgeAnswer, Position, VoteCast, YesMeans, position
from kiosk.ledger.scorecard import (
    Counts,
    OfficialScore,
    Pledge,
    RecordedVote,
    alignment_percent,
    alignment_shown,
    by_plank,
    score_official,
)

Y, N, AB, AS = VoteCast.YES, VoteCast.NO, VoteCast.ABSTAIN, VoteCast.ABSENT
FOR, AGAINST = YesMeans.FOR, YesMeans.AGAINST


@pytest.mark.parametrize(
    ("vote", "yes_means", "expected"),
    [
        (Y, FOR, Position.FOR),
        (N, FOR, Position.AGAINST),
        (Y, AGAINST, Position.AGAINST),
        (N, AGAINST, Position.FOR),
        (AB, FOR, Position.ABSTAIN),
        (AB, AGAINST, Position.ABSTAIN),
        (AS, FOR, Position.ABSENT),
        (AS, AGAINST, Position.ABSENT),
    ],
)
def test_position(vote: VoteCast, yes_means: YesMeans, expected: Position) -> None:
    assert position(vote, yes_means) is expected


# for, against, abstain, absent -> exact alignment, shown to 3 decimals (down), whole percent (down)
ALIGNMENT_TABLE = [
    (0, 0, 0, 0, None, None, None),
    (0, 0, 3, 2, None, None, None),  # abstaining and absence are not votes either way
    (1, 0, 0, 0, Fraction(1), Decimal("1.000"), 100),
    (0, 1, 0, 0, Fraction(0), Decimal("0.000"), 0),
    (1, 1, 5, 5, Fraction(1, 2), Decimal("0.500"), 50),
    (2, 1, 0, 0, Fraction(2, 3), Decimal("0.666"), 66),  # down, not 0.667 / 67
    (1, 2, 0, 0, Fraction(1, 3), Decimal("0.333"), 33),
    (199, 1, 0, 0, Fraction(199, 200), Decimal("0.995"), 99),  # never shown as 100% unless perfect
    (1999, 1, 0, 0, Fraction(1999, 2000), Decimal("0.999"), 99),
    (3, 4, 1, 0, Fraction(3, 7), Decimal("0.428"), 42),
]


@pytest.mark.parametrize(("f", "a", "ab", "ab2", "exact", "shown", "percent"), ALIGNMENT_TABLE)
def test_alignment(
    f: int, a: int, ab: int, ab2: int, exact: Fraction | None, shown: Decimal | None, percent: int | None
) -> None:
    counts = Counts(f, a, ab, ab2)
    assert counts.alignment == exact
    assert alignment_shown(counts.alignment) == shown
    assert alignment_percent(counts.alignment) == percent
    as_json = counts.as_dict()
    assert as_json["alignment"] == (None if shown is None else float(shown))
    assert as_json["alignment_exact"] == (None if exact is None else f"{f}/{f + a}")


def vote(plank: str, day: int, cast: VoteCast, means: YesMeans, matter: str = "M") -> RecordedVote:
    return RecordedVote("Ana", plank, date(2026, 1, day), "Council", f"{matter}{day}", cast, means)


# votes, pledges -> (for, against, abstain, absent), broken pledge planks with the days voted against, pledged no
SCORE_TABLE = [
    pytest.param([], [], (0, 0, 0, 0), [], [], id="no record"),
    pytest.param(
        [vote("Rent", 1, Y, FOR), vote("Rent", 2, N, AGAINST), vote("Bank", 3, AB, FOR), vote("Bank", 4, AS, FOR)],
        [],
        (2, 0, 1, 1),
        [],
        [],
        id="all four positions",
    ),
    pytest.param(
        [vote("Rent", 1, N, FOR), vote("Rent", 5, Y, AGAINST), vote("Rent", 6, Y, FOR)],
        [Pledge("Ana", "Rent", PledgeAnswer.YES, None)],
        (1, 2, 0, 0),
        [("Rent", [1, 5])],
        [],
        id="pledged yes without a date: every vote against breaks it",
    ),
    pytest.param(
        [vote("Rent", 1, N, FOR), vote("Rent", 5, N, FOR), vote("Rent", 9, N, FOR)],
        [Pledge("Ana", "Rent", PledgeAnswer.YES, date(2026, 1, 5))],
        (0, 3, 0, 0),
        [("Rent", [5, 9])],
        [],
        id="only votes on or after the pledge break it",
    ),
    pytest.param(
        [vote("Rent", 1, N, FOR)],
        [Pledge("Ana", "Rent", PledgeAnswer.YES, date(2026, 1, 2))],
        (0, 1, 0, 0),
        [],
        [],
        id="a vote before the pledge breaks nothing",
    ),
    pytest.param(
        [vote("Rent", 1, AB, FOR), vote("Rent", 2, AS, FOR)],
        [Pledge("Ana", "Rent", PledgeAnswer.YES, None)],
        (0, 0, 1, 1),
        [],
        [],
        id="abstaining or being absent is not breaking a pledge",
    ),
    pytest.param(
        [vote("Bank", 1, N, FOR)],
        [Pledge("Ana", "Bank", PledgeAnswer.NO, date(2025, 9, 1)), Pledge("Ana", "Rent", PledgeAnswer.YES, None)],
        (0, 1, 0, 0),
        [],
        ["Bank"],
        id="pledged no is reported as such, never broken",
    ),
]


@pytest.mark.parametrize(("votes", "pledges", "counts", "broken", "pledged_no"), SCORE_TABLE)
def test_score_official(
    votes: list[RecordedVote],
    pledges: list[Pledge],
    counts: tuple[int, int, int, int],
    broken: list[tuple[str, list[int]]],
    pledged_no: list[str],
) -> None:
    score = score_official(OfficialScore("Ana"), ["Rent", "Bank"], votes, pledges)
    c = score.counts
    assert (c.for_, c.against, c.abstain, c.absent) == counts
    assert [(b.plank, [v.voted_on.day for v in b.votes_against]) for b in score.broken_pledges] == broken
    assert [p.plank for p in score.pledged_no] == pledged_no
    # the per-plank counts add up to the official's
    total = Counts()
    for plank in score.planks:
        for v in plank.votes:
            total.add(v.position)
    assert total == c
    as_json = score.as_dict()
    assert set(as_json) >= {"name", "for", "against", "abstain", "absent", "alignment", "planks", "broken_pledges"}


def test_planks_follow_the_platform_order_and_by_plank_turns_it_around() -> None:
    ana = score_official(OfficialScore("Ana"), ["Rent", "Bank"], [vote("Bank", 1, Y, FOR), vote("Rent", 2, Y, FOR)], [])
    ben = score_official(
        OfficialScore("Ben"),
        ["Rent", "Bank"],
        [vote("Rent", 3, N, FOR)],
        [Pledge("Ben", "Bank", PledgeAnswer.NO, None)],
    )
    assert [p.plank for p in ana.planks] == ["Rent", "Bank"]
    records = by_plank(["Rent", "Bank", "Parks"], [ana, ben])
    assert [(r.plank, [name for name, _ in r.officials]) for r in records] == [
        ("Rent", ["Ana", "Ben"]),
        ("Bank", ["Ana", "Ben"]),
        ("Parks", []),
    ]
    rent = records[0].counts
    assert (rent.for_, rent.against, rent.alignment) == (1, 1, Fraction(1, 2))
