"""Casting and verifying ballots. Casting spends the token and stores the ballot (under a random verification
code, with its choices and nothing else) in one transaction: no column, token, ordering or timestamp links the
two. It is the hot path of a meeting, so its statements run on the driver (see ``kiosk.db.DriverStatement``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.errors import InvalidInput, NotFound, TokenRejected
from kiosk.results import Choice
from kiosk.schema import ballot_choices, ballot_rankings, ballot_tokens, ballots, meetings, planks
from kiosk.tally.ballot_tokens import BallotTokensMixin
from kiosk.tally.contests import Contest, Rankings, ballot_ranking_ids, check_rankings, load_contests, ranking_names
from kiosk.tally.model import CastBallot, MeetingState, Plank
from kiosk.tally.storage import found, meeting_key
from kiosk.tokens import new_verification_code, normalize_code


class _CastMeeting(NamedTuple):
    """What casting needs of a meeting row."""

    id: int
    code: str
    state: str


# Casting is the hot path of a meeting (one durable commit per ballot), so its statements run on the driver
# directly (see ``kiosk.db.DriverStatement``); refusals and everything else go through plain Core.
_CAST = db.DriverStatements(
    # Shared lock on PostgreSQL: closing waits for this ballot (or this ballot sees the meeting closed), since
    # a ballot committed after the close would miss the rewrite that unlinks ballots from tokens.
    meeting=select(meetings.c.id, meetings.c.code, meetings.c.state)
    .where(meetings.c.code == bindparam("code_in"))
    .with_for_update(read=True),
    # The database decides: exactly one transaction can move a token from issued to spent.
    spend=update(ballot_tokens)
    .where(
        and_(
            ballot_tokens.c.token_hash.in_([bindparam("hash_in"), bindparam("legacy_in")]),
            ballot_tokens.c.meeting_id == bindparam("meeting_in"),
            ballot_tokens.c.state == "issued",
        )
    )
    .values(state="spent"),
    add_ballot=insert(ballots),
    add_choices=insert(ballot_choices),
    add_rankings=insert(ballot_rankings),
)


class BallotsMixin(BallotTokensMixin):
    def cast_ballot(
        self,
        code: str,
        token: str,
        choices: Mapping[int, Choice | str | None],
        rankings: Rankings | None = None,
    ) -> CastBallot:
        """Spend the token and store the ballot, in one transaction. Planks without a choice count as abstain.

        ``choices`` maps plank id to a choice; every key must be a plank of this meeting. ``rankings`` maps
        contest id to candidate ids, first choice first; a contest left out (or an empty list) is a blank
        ranking. Anything the ballot cannot hold (see ``contests.check_rankings``) is InvalidInput, and then
        nothing is stored and the token stays unspent.
        """
        for attempt in range(3):
            try:
                return self._cast(code, token, choices, rankings)
            except IntegrityError:
                # Only a verification-code collision (about 1 in 10^13) gets here: the whole transaction rolled
                # back, token included, so casting again with a new code is safe.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _cast(
        self, code: str, token: str, choices: Mapping[int, Choice | str | None], rankings: Rankings | None
    ) -> CastBallot:
        with self._write() as conn:
            hot = _CAST.on(conn)
            key = meeting_key(code)
            meeting = _CastMeeting(*found(hot["meeting"].execute(conn, {"code_in": key}).fetchone(), key))
            plank_list = self._frozen_planks(conn, meeting)
            known = {p.id for p in plank_list}
            unknown = set(choices) - known
            if unknown:
                raise InvalidInput("the ballot names planks that are not on this meeting's ballot")
            final: dict[int, Choice] = {}
            for plank in plank_list:
                value = choices.get(plank.id)
                try:
                    final[plank.id] = Choice(value) if value else Choice.ABSTAIN
                except ValueError:
                    raise InvalidInput(f"{value!r} is not a choice (yes, no, abstain)") from None
            contest_list = self._frozen_contests(conn, meeting)
            ranked = check_rankings(contest_list, rankings)
            # The happy path is this one statement; only a refusal reads the token to say why.
            spent = 0
            if meeting.state == MeetingState.VOTING_OPEN:
                keyed, legacy = self._token_hashes(token)
                spent = (
                    hot["spend"]
                    .execute(conn, {"hash_in": keyed, "legacy_in": legacy, "meeting_in": meeting.id})
                    .rowcount
                )
            if spent != 1:
                self._token_row(conn, meeting, token, for_update=True)  # raises TokenRejected with the reason
                raise TokenRejected("spent", "this ballot code has already been used to vote")
            verification = new_verification_code()
            stored = normalize_code(verification)
            hot["add_ballot"].execute(conn, {"code": stored, "meeting_id": meeting.id})
            if final:
                hot["add_choices"].execute_many(
                    conn, [{"ballot_code": stored, "plank_id": pid, "choice": str(c)} for pid, c in final.items()]
                )
            if ranked:
                hot["add_rankings"].execute_many(conn, _ranking_rows(stored, ranked))
            self._audit(conn, "kiosk", "ballot_cast", meeting.code)
        by_id = {p.id: p.title for p in plank_list}
        return CastBallot(
            verification,
            meeting.code,
            tuple((by_id[pid], c) for pid, c in final.items()),
            ranking_names(contest_list, ranked),
        )

    def _frozen_planks(self, conn: Connection, meeting: Any) -> list[Plank]:
        """A meeting's planks, cached once voting is open: from then on they cannot change (see import_planks)."""
        if meeting.state != MeetingState.VOTING_OPEN:
            return self._planks(conn, meeting.id)
        cached = self._plank_cache.get(meeting.id)
        if cached is None:
            cached = self._plank_cache[meeting.id] = self._planks(conn, meeting.id)
        return cached

    def _frozen_contests(self, conn: Connection, meeting: Any) -> list[Contest]:
        """A meeting's contests, cached once voting is open: from then on they cannot change (see import_contests)."""
        if meeting.state != MeetingState.VOTING_OPEN:
            return load_contests(conn, meeting.id)
        cached = self._contest_cache.get(meeting.id)
        if cached is None:
            cached = self._contest_cache[meeting.id] = load_contests(conn, meeting.id)
        return cached

    def lookup_ballot(self, verification_code: str) -> CastBallot:
        code = normalize_code(verification_code)
        with self._read() as conn:
            ballot = conn.execute(select(ballots).where(ballots.c.code == code)).first()
            if ballot is None:
                raise NotFound("no ballot has that verification code")
            meeting = conn.execute(select(meetings.c.code).where(meetings.c.id == ballot.meeting_id)).scalar_one()
            rows = conn.execute(
                select(planks.c.title, ballot_choices.c.choice)
                .join(planks, planks.c.id == ballot_choices.c.plank_id)
                .where(ballot_choices.c.ballot_code == code)
                .order_by(planks.c.position)
            ).all()
            rankings = ranking_names(load_contests(conn, ballot.meeting_id), ballot_ranking_ids(conn, code))
            shown = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
            return CastBallot(shown, meeting, tuple((r.title, Choice(r.choice)) for r in rows), rankings)


def _ranking_rows(ballot_code: str, ranked: Mapping[int, Sequence[int]]) -> list[dict[str, Any]]:
    return [
        {"ballot_code": ballot_code, "contest_id": contest_id, "rank": rank, "candidate_id": candidate_id}
        for contest_id, order in ranked.items()
        for rank, candidate_id in enumerate(order, start=1)
    ]
