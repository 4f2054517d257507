"""Ranked-choice contests on a meeting's ballot (endorsements, elections): the values the edges are handed, the
rule for what a ballot may rank, and reading contests and rankings back.

A contest sits after the planks on the ballot. Voters rank its candidates, first choice first; ranking fewer than
all (or none) is allowed. Counting is ``kiosk.rcv``'s job; the tally only stores rankings and, once the meeting
is closed, hands them out in the order of the ballots' random codes (never the order of casting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Connection, and_, select

from kiosk.errors import InvalidInput, NotFound, StateError
from kiosk.plank_texts import PlankTranslation, Shown, shown
from kiosk.schema import ballot_rankings, ballots, contest_candidates, contest_translations, contests
from kiosk.tally.model import MeetingState
from kiosk.tally.storage import TallyBase


class ContestMethod(StrEnum):
    IRV = "irv"  # instant-runoff: one seat
    STV = "stv"  # single transferable vote: several seats (Droop quota, fractional surplus transfer)


@dataclass(frozen=True)
class ContestCandidate:
    id: int
    position: int
    name: str
    no_endorsement: bool = False  # the "No endorsement" option: if it wins, nobody is endorsed


@dataclass(frozen=True)
class Contest:
    id: int
    position: int
    title: str  # the original: the contest's identity for results, exports and the audit log
    seats: int
    method: ContestMethod
    # The meeting's endorsement rule: a winner needs at least this share (percent) of the final round's
    # continuing votes, else "no endorsement". None: no such rule.
    threshold_percent: Decimal | None
    decimal_places: int
    tiebreak_seed: int
    candidates: tuple[ContestCandidate, ...]
    translations: tuple[PlankTranslation, ...] = ()  # the title only (text "")

    def title_in(self, lang: str) -> Shown:
        """The title in ``lang``, or the original (with its own language) when it has no translation."""
        return shown(self.title, self.translations, lang, "title")

    def candidate(self, candidate_id: int) -> ContestCandidate:
        for c in self.candidates:
            if c.id == candidate_id:
                return c
        raise NotFound(f"no candidate {candidate_id} in contest {self.title!r}")


Rankings = Mapping[int, Sequence[int]]


def check_rankings(contest_list: Sequence[Contest], rankings: Rankings | None) -> dict[int, tuple[int, ...]]:
    """The rankings a ballot may store ({contest id: candidate ids, first choice first}; blank ones left out), or
    InvalidInput: an unknown contest or candidate, a candidate ranked twice, more ranks than candidates."""
    by_id = {c.id: c for c in contest_list}
    checked: dict[int, tuple[int, ...]] = {}
    for contest_id, ranking in (rankings or {}).items():
        contest = by_id.get(contest_id)
        if contest is None:
            raise InvalidInput("the ballot names contests that are not on this meeting's ballot")
        if isinstance(ranking, str | bytes):
            raise InvalidInput("a ranking is a list of candidates")
        order = tuple(ranking)
        allowed = {c.id for c in contest.candidates}
        if any(not isinstance(c, int) or isinstance(c, bool) or c not in allowed for c in order):
            raise InvalidInput(f"the ranking of {contest.title!r} names candidates that are not in the contest")
        if len(set(order)) != len(order):
            raise InvalidInput(f"the ranking of {contest.title!r} ranks a candidate twice")
        if len(order) > len(contest.candidates):
            raise InvalidInput(f"the ranking of {contest.title!r} has more ranks than candidates")
        if order:
            checked[contest_id] = order
    return checked


def ranking_names(
    contest_list: Sequence[Contest], ranked: Mapping[int, Sequence[int]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every contest (in ballot order) with the names ranked on one ballot, first choice first (blank: ())."""
    return tuple((c.title, tuple(c.candidate(cid).name for cid in ranked.get(c.id, ()))) for c in contest_list)


def load_contests(conn: Connection, meeting_id: int) -> list[Contest]:
    """A meeting's contests in ballot order, with their candidates and translations."""
    rows = conn.execute(select(contests).where(contests.c.meeting_id == meeting_id).order_by(contests.c.position)).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    candidates: dict[int, list[ContestCandidate]] = {}
    for c in conn.execute(
        select(contest_candidates)
        .where(contest_candidates.c.contest_id.in_(ids))
        .order_by(contest_candidates.c.contest_id, contest_candidates.c.position)
    ):
        candidates.setdefault(c.contest_id, []).append(
            ContestCandidate(c.id, c.position, c.name, bool(c.no_endorsement))
        )
    translations: dict[int, list[PlankTranslation]] = {}
    for t in conn.execute(
        select(contest_translations)
        .where(contest_translations.c.contest_id.in_(ids))
        .order_by(contest_translations.c.language)
    ):
        translations.setdefault(t.contest_id, []).append(PlankTranslation(t.language, t.title, ""))
    return [
        Contest(
            id=r.id,
            position=r.position,
            title=r.title,
            seats=r.seats,
            method=ContestMethod(r.method),
            threshold_percent=Decimal(r.threshold_percent) if r.threshold_percent is not None else None,
            decimal_places=r.decimal_places,
            tiebreak_seed=r.tiebreak_seed,
            candidates=tuple(candidates.get(r.id, ())),
            translations=tuple(translations.get(r.id, ())),
        )
        for r in rows
    ]


def ballot_ranking_ids(conn: Connection, ballot_code: str) -> dict[int, list[int]]:
    """One stored ballot's rankings: {contest id: candidate ids in rank order}."""
    ranked: dict[int, list[int]] = {}
    for r in conn.execute(
        select(ballot_rankings.c.contest_id, ballot_rankings.c.candidate_id)
        .where(ballot_rankings.c.ballot_code == ballot_code)
        .order_by(ballot_rankings.c.contest_id, ballot_rankings.c.rank)
    ):
        ranked.setdefault(r.contest_id, []).append(r.candidate_id)
    return ranked


class ContestsMixin(TallyBase):
    def contests(self, code: str) -> list[Contest]:
        """The meeting's contests in ballot order (after its planks)."""
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            return load_contests(conn, meeting.id)

    def contest_rankings(self, code: str, contest_id: int) -> list[tuple[int, ...]]:
        """Every cast ballot's ranking of one contest as candidate ids (a blank one as ``()``), in the order of the
        ballots' random codes; only once the meeting is closed (before, they would be running figures)."""
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            if meeting.state != MeetingState.CLOSED:
                raise StateError(f"meeting {meeting.code} is not closed: contest rankings are counted after the close")
            found = conn.execute(
                select(contests.c.id).where(and_(contests.c.id == contest_id, contests.c.meeting_id == meeting.id))
            ).first()
            if found is None:
                raise NotFound(f"no contest {contest_id} on meeting {meeting.code}")
            ranked: dict[str, list[int]] = {
                code: []
                for code in conn.execute(
                    select(ballots.c.code).where(ballots.c.meeting_id == meeting.id).order_by(ballots.c.code)
                ).scalars()
            }
            for r in conn.execute(
                select(ballot_rankings.c.ballot_code, ballot_rankings.c.candidate_id)
                .where(ballot_rankings.c.contest_id == contest_id)
                .order_by(ballot_rankings.c.ballot_code, ballot_rankings.c.rank)
            ):
                ranked[r.ballot_code].append(r.candidate_id)
            return [tuple(ids) for ids in ranked.values()]
