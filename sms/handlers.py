"""What the gateway does with one inbound text it has stored: the handlers for STOP, START, HELP, the name we
asked for, a text we cannot read, and yes/no/maybe, each queuing at most one automatic reply.

No loops: one automatic reply per inbound text (its dedupe key is the inbound id), at most
``replies_per_hour`` automatic texts per number (replies and opt-out confirmations alike; only the first
opt-out confirmation a number ever gets goes regardless), and the how-to-RSVP reply to texts we don't
understand at most once a day per number. So two auto-responders cannot text each other forever.

Household phones: a phone shared by several members records the RSVP against the phone (the text cannot say
who is answering) and the reply confirms it for "this number"; each person still signs in at the door.
Numbers not on the roster: the RSVP is recorded against the phone and the reply asks once for a name; the
next text that is not a keyword or an RSVP is taken as that name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from kiosk.errors import KioskError
from kiosk.roster import strip_invisible
from kiosk.schema import sms_conversations, sms_outbound
from kiosk.tally import Meeting, MeetingState, Tally, UnitOfWork
from sms import replies
from sms.outbound import OutboundQueue
from sms.reader import Intent, Language, Reading

log = logging.getLogger(__name__)

__all__ = ["AUTOMATIC_KINDS", "Handled", "InboundHandlers"]

# Texts the gateway sends by itself in answer to a text: they count against ``replies_per_hour`` per number.
# (Invitations, reminders and organizers' texts are sent on purpose to a list, never in answer to anyone.)
AUTOMATIC_KINDS = ("reply", "optout")


@dataclass(frozen=True)
class Handled:
    """What one inbound text did: for `kiosk sms receive --json` and the transcript tests."""

    intent: str
    guests: int | None
    meeting: str | None
    reply: str | None
    duplicate: bool = False
    damaged: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent": self.intent,
            "guests": self.guests,
            "meeting": self.meeting,
            "reply": self.reply,
        }
        if self.damaged:
            out["damaged"] = True
        return out


@dataclass(frozen=True)
class _Turn:
    """One inbound text being acted on, inside its storing transaction."""

    uow: UnitOfWork  # the storing transaction: the tally's operations go through it
    conn: Connection  # the same transaction, for the gateway's own tables
    inbound_id: int
    phone: str
    reading: Reading
    lang: Language


class InboundHandlers:
    """Acts on one stored inbound text inside its storing transaction (``act``)."""

    def __init__(
        self,
        tally: Tally,
        queue: OutboundQueue,
        *,
        organization: str,
        replies_per_hour: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.tally = tally
        self.queue = queue
        self.organization = organization
        self.replies_per_hour = replies_per_hour
        self.clock = clock

    def act(self, uow: UnitOfWork, inbound_id: int, phone: str, reading: Reading, body: str) -> Handled:
        conn = uow.connection
        conversation = conn.execute(select(sms_conversations).where(sms_conversations.c.phone == phone)).first()
        lang = self._reply_language(uow, phone, reading, conversation.language if conversation else None)
        self._set_conversation(conn, phone, language=lang)
        if reading.language_clear:
            # The language a member last wrote in is the one their invitations and reminders go in (the tally's
            # rule: not on a household's shared phone).
            uow.people.note_text_language(phone, lang)
        turn = _Turn(uow, conn, inbound_id, phone, reading, lang)
        intent = reading.intent
        if intent is Intent.STOP:
            return self._on_stop(turn)
        if intent is Intent.START:
            self.queue.set_opt_out(conn, phone, False, "text")
            return self._answer(turn, None, replies.start_confirmation(lang, self.organization))
        if intent is Intent.HELP:
            return self._answer(turn, None, replies.help_text(lang, self.organization))
        if intent is Intent.UNKNOWN:
            awaiting = conversation.awaiting_name_for if conversation else None
            return self._on_unreadable(turn, awaiting, body)
        return self._on_rsvp(turn, bool(conversation and conversation.asked_name))

    def _answer(self, turn: _Turn, meeting: str | None, reply: str, **kwargs: Any) -> Handled:
        t = turn
        return self._reply(t.conn, t.phone, t.inbound_id, t.reading.intent, t.reading, meeting, reply, **kwargs)

    def _on_stop(self, turn: _Turn) -> Handled:
        conn, phone = turn.conn, turn.phone
        if self.queue.opted_out(conn, phone):
            return Handled(str(Intent.STOP), None, None, None)  # already out: stay silent
        first_confirmation = not self._confirmed_opt_out_before(conn, phone)
        self.queue.set_opt_out(conn, phone, True, "text")
        # The first opt-out confirmation a number ever gets always goes; later ones (STOP, START, STOP, ...)
        # count against the hourly limit like every automatic text, or a texter could make us text them (or
        # a victim whose number they spoof) without end.
        if not first_confirmation and self._replies_last_hour(conn, phone) >= self.replies_per_hour:
            log.warning(
                "not confirming an opt-out to …%s: %d automatic texts in the last hour",
                phone[-4:],
                self.replies_per_hour,
            )
            return Handled(str(Intent.STOP), None, None, None)
        reply = replies.stop_confirmation(turn.lang, self.organization)
        # The one confirmation allowed after STOP: "optout" is the only kind sent to an opted-out number.
        self.queue.queue(conn, phone, reply, "optout", f"reply:{turn.inbound_id}", bypass_opt_out=True)
        return Handled(str(Intent.STOP), None, None, reply)

    def _on_unreadable(self, turn: _Turn, awaiting: str | None, body: str) -> Handled:
        """A text the reader could not take as an answer: the name we asked for, or how to RSVP."""
        reading = turn.reading
        if awaiting and reading.kind is not None and str(reading.kind) == "other":
            # Without the U+FFFD that stands for control characters in the stored body.
            name = " ".join(strip_invisible(body).replace("\ufffd", " ").split())[:80]
            try:
                turn.uow.rsvps.name(awaiting, turn.phone, name)
            except KioskError as exc:
                # Not a name we can store (empty, or the RSVP is gone): answered like any unreadable text.
                log.info("text from …%s not stored as the name asked for: %s", turn.phone[-4:], exc)
            else:
                self._set_conversation(turn.conn, turn.phone, awaiting_name_for=None)
                return self._answer(turn, awaiting, replies.thanks_for_name(turn.lang, name))
        day = self.clock().date().isoformat()
        return self._answer(turn, None, replies.how_to_rsvp(turn.lang), dedupe_key=f"howto:{turn.phone}:{day}")

    def _on_rsvp(self, turn: _Turn, asked_name: bool) -> Handled:
        """Yes, no or maybe to the open meeting (named, or the only one)."""
        conn, phone, reading, lang, intent = turn.conn, turn.phone, turn.reading, turn.lang, turn.reading.intent
        meeting = self._meeting_for(reading.meeting_code)
        if meeting is None:
            return self._answer(turn, None, replies.no_meeting_open(lang, self.organization))
        if reading.guests_out_of_range:
            return self._answer(turn, meeting.code, replies.ask_guest_count(lang))
        guests = (reading.guests or 0) if intent is Intent.YES else 0
        view = turn.uow.rsvps.record(meeting.code, answer=str(intent), guests=guests, source="sms", phone=phone)
        reply = replies.confirmation(lang, meeting.title, meeting.local_start, intent, guests)
        household = view.member_id is None and turn.uow.people.members_on_phone(phone) > 1
        if view.member_id is None and view.name is None and not household and not asked_name:
            reply = f"{reply} {replies.ask_name(lang, self.organization)}"
            self._set_conversation(conn, phone, awaiting_name_for=meeting.code, asked_name=True)
        return self._answer(turn, meeting.code, reply, guests=guests)

    @staticmethod
    def _reply_language(uow: UnitOfWork, phone: str, reading: Reading, conversation: str | None) -> Language:
        """The text's own language when it shows one; otherwise ("NO", "ok", "2") the member's stored language,
        then the language of the conversation so far, then the reader's default."""
        if reading.language_clear:
            return reading.language
        stored = uow.people.languages_on_phone(phone)
        if len(stored) == 1:  # a phone shared by members of different languages says nothing
            return "es" if stored == {"es"} else "en"
        if conversation in ("en", "es"):
            return "es" if conversation == "es" else "en"
        return reading.language

    def _reply(
        self,
        conn: Connection,
        phone: str,
        inbound_id: int,
        intent: Intent,
        reading: Reading,
        meeting: str | None,
        reply: str,
        *,
        guests: int | None = None,
        dedupe_key: str | None = None,
    ) -> Handled:
        guests = reading.guests if guests is None else guests
        if self._replies_last_hour(conn, phone) >= self.replies_per_hour:
            log.warning("not replying to %s: %d automatic replies in the last hour", phone[-4:], self.replies_per_hour)
            return Handled(str(intent), guests, meeting, None)
        queued = self.queue.queue(conn, phone, reply, "reply", dedupe_key or f"reply:{inbound_id}")
        return Handled(str(intent), guests, meeting, reply if queued else None)

    def _meeting_for(self, code: str | None) -> Meeting | None:
        if code:
            meeting = self.tally.meeting(code)
            return None if meeting.state is MeetingState.CLOSED else meeting
        return self.tally.next_meeting()

    def _replies_last_hour(self, conn: Connection, phone: str) -> int:
        """Automatic texts (replies and opt-out confirmations) queued to ``phone`` in the last hour, whether
        they were sent or not (a START reply blocked by the next STOP still counts)."""
        since = self.clock() - timedelta(hours=1)
        return conn.execute(
            select(func.count())
            .select_from(sms_outbound)
            .where(
                and_(
                    sms_outbound.c.recipient == phone,
                    sms_outbound.c.kind.in_(AUTOMATIC_KINDS),
                    sms_outbound.c.created_at >= since,
                )
            )
        ).scalar_one()

    @staticmethod
    def _confirmed_opt_out_before(conn: Connection, phone: str) -> bool:
        query = select(sms_outbound.c.id).where(
            and_(sms_outbound.c.recipient == phone, sms_outbound.c.kind == "optout")
        )
        return conn.execute(query.limit(1)).first() is not None

    def _set_conversation(self, conn: Connection, phone: str, **values: Any) -> None:
        values["updated_at"] = self.clock()
        updated = conn.execute(update(sms_conversations).where(sms_conversations.c.phone == phone).values(**values))
        if updated.rowcount == 0:
            conn.execute(insert(sms_conversations).values(phone=phone, **values))
