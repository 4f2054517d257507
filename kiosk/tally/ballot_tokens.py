"""Ballot tokens: issued at sign-in (only their keyed hash is stored), checked before a ballot is shown, voided and
reissued for a lost receipt. Spending one is part of casting (``kiosk.tally.ballots``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import NotFound, StateError, TokenRejected
from kiosk.schema import ballot_tokens, signins
from kiosk.tally.model import MeetingState, Plank
from kiosk.tally.storage import TallyBase
from kiosk.tokens import legacy_token_hash, new_token, token_hash


class BallotTokensMixin(TallyBase):
    def token_hash(self, token: str) -> str:
        """What is stored of a token: keyed with this kiosk's token key (kiosk.token_key)."""
        return token_hash(token, self.token_key)

    def _token_hashes(self, token: str) -> tuple[str, str]:
        # A token issued before the token key existed is stored unkeyed; it still votes (a meeting open across
        # the upgrade goes on), and no new token is ever stored that way.
        return self.token_hash(token), legacy_token_hash(token)

    def _issue_token(self, conn: Connection, meeting: Any, signin_id: int, actor: str) -> str:
        while True:
            token = new_token()
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(ballot_tokens).values(
                            meeting_id=meeting.id,
                            signin_id=signin_id,
                            token_hash=self.token_hash(token),
                            state="issued",
                            issued_at=self.clock(),
                        )
                    )
                break
            except IntegrityError:
                # A second live token for this sign-in is refused by the database; a hash collision is retried.
                live = conn.execute(
                    select(ballot_tokens.c.id).where(
                        and_(ballot_tokens.c.signin_id == signin_id, ballot_tokens.c.state != "void")
                    )
                ).first()
                if live is not None:
                    raise StateError("this sign-in already has a ballot token") from None
        self._audit(conn, actor, "token_issued", meeting.code, signin=signin_id)
        return token

    def reissue_token(
        self, code: str, signin_id: int, *, actor: str = "organizer", reason: str = "lost receipt"
    ) -> str:
        """Void the sign-in's unspent token and issue a new one (a lost receipt, or a reprint)."""
        with self._write() as conn:
            meeting = self._meeting_row(conn, code)
            signin = conn.execute(
                select(signins).where(and_(signins.c.id == signin_id, signins.c.meeting_id == meeting.id))
            ).first()
            if signin is None:
                raise NotFound(f"no sign-in {signin_id} at meeting {meeting.code}")
            if not signin.eligible:
                raise StateError("this attendee is not eligible to vote")
            if meeting.state == MeetingState.CLOSED:
                raise StateError(f"meeting {meeting.code} is closed")
            live = conn.execute(
                select(ballot_tokens).where(
                    and_(ballot_tokens.c.signin_id == signin_id, ballot_tokens.c.state != "void")
                )
            ).first()
            if live is not None and live.state == "spent":
                raise StateError("this attendee has already voted; a spent token cannot be replaced")
            if live is not None:
                voided = conn.execute(
                    update(ballot_tokens)
                    .where(and_(ballot_tokens.c.id == live.id, ballot_tokens.c.state == "issued"))
                    .values(state="void")
                )
                if voided.rowcount != 1:
                    raise StateError("this attendee has just voted; the token can no longer be replaced")
                self._audit(conn, actor, "token_voided", meeting.code, signin=signin_id, reason=reason[:200])
            return self._issue_token(conn, meeting, signin_id, actor)

    def check_token(self, code: str, token: str) -> list[Plank]:
        """The planks a token may vote on; raises TokenRejected (unknown, spent, void, other meeting, closed)."""
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            self._token_row(conn, meeting, token, for_update=False)
            return self._planks(conn, meeting.id)

    def _token_row(self, conn: Connection, meeting: Any, token: str, *, for_update: bool) -> Any:
        query = select(ballot_tokens).where(ballot_tokens.c.token_hash.in_(self._token_hashes(token)))
        if for_update:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise TokenRejected("unknown", "this ballot code is not known; check it against your receipt")
        if row.meeting_id != meeting.id:
            raise TokenRejected("other_meeting", "this ballot code is for a different meeting")
        if row.state == "spent":
            raise TokenRejected("spent", "this ballot code has already been used to vote")
        if row.state == "void":
            raise TokenRejected("void", "this ballot code was cancelled; ask an organizer for help")
        if meeting.state == MeetingState.CLOSED:
            raise TokenRejected("closed", "voting has closed for this meeting")
        if meeting.state != MeetingState.VOTING_OPEN:
            raise TokenRejected("not_open", "voting has not opened yet; please come back when it does")
        return row
