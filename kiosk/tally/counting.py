"""Counting: a meeting's results (quorum, ballots issued and cast, each plank's yes/no/abstain) and the audit
log's read side."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select

from kiosk import audit
from kiosk.results import MeetingResults, PlankResult, Quorum, quorum_required
from kiosk.schema import ballot_choices, ballot_tokens, ballots, members, planks, signins
from kiosk.tally.storage import TallyBase


class CountingMixin(TallyBase):
    def results(self, code: str) -> MeetingResults:
        with self._read() as conn:
            return self._results(conn, self._meeting_row(conn, code))

    def _results(self, conn: Connection, meeting: Any) -> MeetingResults:
        """The results of the meeting ``meeting`` (its row), read on ``conn`` (the close reads them in its own
        transaction to add what passed to the platform)."""
        plank_list = self._planks(conn, meeting.id)
        counts: dict[tuple[int, str], int] = {
            (r.plank_id, r.choice): r.n
            for r in conn.execute(
                select(ballot_choices.c.plank_id, ballot_choices.c.choice, func.count().label("n"))
                .join(planks, planks.c.id == ballot_choices.c.plank_id)
                .where(planks.c.meeting_id == meeting.id)
                .group_by(ballot_choices.c.plank_id, ballot_choices.c.choice)
            )
        }
        cast = conn.execute(
            select(func.count()).select_from(ballots).where(ballots.c.meeting_id == meeting.id)
        ).scalar_one()
        issued = conn.execute(
            select(func.count())
            .select_from(ballot_tokens)
            .where(and_(ballot_tokens.c.meeting_id == meeting.id, ballot_tokens.c.state != "void"))
        ).scalar_one()
        in_good_standing = conn.execute(
            select(func.count()).select_from(members).where(members.c.status == "member")
        ).scalar_one()
        present = conn.execute(
            select(func.count())
            .select_from(signins)
            .where(and_(signins.c.meeting_id == meeting.id, signins.c.kind == "member", signins.c.eligible.is_(True)))
        ).scalar_one()
        quorum = Quorum(quorum_required(meeting.quorum_kind, meeting.quorum_value, in_good_standing), present)
        return MeetingResults(
            meeting=meeting.code,
            title=meeting.title,
            state=meeting.state,
            quorum=quorum,
            ballots_issued=issued,
            ballots_cast=cast,
            planks=[
                PlankResult(
                    p.position,
                    p.title,
                    p.threshold,
                    counts.get((p.id, "yes"), 0),
                    counts.get((p.id, "no"), 0),
                    counts.get((p.id, "abstain"), 0),
                )
                for p in plank_list
            ],
        )

    # --- audit --------------------------------------------------------------------------------------------

    def audit_verify(self) -> audit.AuditReport:
        with self._read() as conn:
            return audit.verify(conn)

    def audit_entries(self, meeting_code: str | None = None) -> list[audit.AuditEntry]:
        with self._read() as conn:
            return audit.entries(conn, meeting_code)

    def record_event(self, action: str, *, actor: str, meeting_code: str | None = None, **detail: Any) -> None:
        """An audit entry for something decided outside the tally (a reprint, a peek at live results)."""
        with self._write() as conn:
            self._audit(conn, actor, action, meeting_code, **detail)
