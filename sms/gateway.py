"""The SMS gateway: inbound texts become RSVPs (or the organizers' inbox), replies and reminders go out through
a queue, and opt-outs are honoured by every backend.

Inbound, exactly once: a text is stored under its provider id (unique), read, and acted on (RSVP, opt-out,
name, reply queued) in ONE database transaction; only after that commit is the backend told to forget it
(``acknowledge``: the modem deletes it from the SIM). A gateway killed in between reads the same text again
next time, finds its provider id already stored, and only acknowledges it.

Outbound, at most once: a queued text is claimed (``sending``) and committed before the provider is called.
A transient failure puts it back with a backoff; a permanent one marks it failed; Twilio's 21610 (opted out at
the carrier) also records the opt-out. A text found ``sending`` at start-up was cut off mid-send and is marked
failed rather than risk a duplicate. Nothing is ever sent to an opted-out number: checked when queued and
again just before sending.

No loops: one automatic reply per inbound text (its dedupe key is the inbound id), at most
``replies_per_hour`` automatic texts per number (replies and opt-out confirmations alike; only the first
opt-out confirmation a number ever gets goes regardless), and the how-to-RSVP reply to texts we don't understand at
most once a day per number. So two auto-responders cannot text each other forever.

Household phones: a phone shared by several members records the RSVP against the phone (the text cannot say
who is answering) and the reply confirms it for "this number"; each person still signs in at the door.
Numbers not on the roster: the RSVP is recorded against the phone and the reply asks once for a name; the
next text that is not a keyword or an RSVP is taken as that name.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.errors import InvalidInput, KioskError
from kiosk.print_queue import set_device_status
from kiosk.roster import normalize_phone, strip_invisible
from kiosk.schema import members, sms_conversations, sms_inbound, sms_opt_outs, sms_outbound
from kiosk.tally import Meeting, MeetingState, Tally, UnitOfWork
from sms import replies
from sms.backends import InboundText, SendStatus, SmsBackend
from sms.reader import Intent, Language, Reading, read_text

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Texts the gateway sends by itself in answer to a text: they count against ``replies_per_hour`` per number.
# (Invitations, reminders and organizers' texts are sent on purpose to a list, never in answer to anyone.)
AUTOMATIC_KINDS = ("reply", "optout")
REMINDER_OFFSETS = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _printable(text: str, keep: str = "") -> str:
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") and ch not in keep else ch for ch in text)


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


def reads_clearly(reading: Reading, body: str) -> bool:
    """Whether a damaged text (its PDU's user data cut short or too long) may be acted on and answered.

    An opt-out always is. Otherwise only a definite answer or keyword with no unreadable character in it: the
    reply says what was recorded, so a member whose "YES 2" lost its "2" sees it and can correct it. Anything
    else is stored for organizers, marked damaged, without a reply (a how-to reply to half a text helps nobody).
    """
    if reading.intent is Intent.STOP:
        return True
    return reading.intent is not Intent.UNKNOWN and "\ufffd" not in body and bool(body.strip())


class Gateway:
    def __init__(
        self,
        tally: Tally,
        *,
        organization: str,
        replies_per_hour: int = 10,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.tally = tally
        self.engine = tally.engine
        self.organization = organization
        self.replies_per_hour = replies_per_hour
        self.clock = clock
        self.wake = threading.Event()  # set when a text is queued, so the sender sends at once

    # --- inbound ------------------------------------------------------------------------------------------

    def receive(self, text: InboundText) -> Handled:
        """Store, read and act on one inbound text in one transaction; returns what was done."""
        try:
            sender = normalize_phone(text.sender, self.tally.region) or ""
        except InvalidInput:
            sender = ""
        # Control characters are garbage from a modem or a forged webhook, never what a phone meant: shown as
        # U+FFFD in the inbox (PostgreSQL text cannot even hold NUL). Line breaks and tabs are kept.
        body = _printable(text.body[:5000], keep="\n\t\r")
        provider_id = _printable(text.provider_id[:120])
        open_codes = [m.code for m in self.tally.meetings() if m.state is not MeetingState.CLOSED]
        reading = read_text(body, open_codes)
        damaged = text.damage is not None
        acted_on = not damaged or reads_clearly(reading, body)
        if damaged:
            log.warning("damaged text %s (%s): %s", provider_id[:40], "read" if acted_on else "kept", text.damage)
        try:
            with self.tally.unit_of_work() as uow:
                conn = uow.connection
                exists = conn.execute(select(sms_inbound.c.id).where(sms_inbound.c.provider_id == provider_id)).first()
                if exists is not None:
                    return Handled(str(reading.intent), reading.guests, reading.meeting_code, None, duplicate=True)
                result = conn.execute(
                    insert(sms_inbound).values(
                        provider_id=provider_id,
                        sender=(sender or strip_invisible(text.sender[:40]).strip())[:20],
                        body=body,
                        received_at=text.received_at,
                        intent=str(reading.intent) if acted_on else str(Intent.UNKNOWN),
                        meeting_code=reading.meeting_code,
                        kind=str(reading.kind) if reading.kind else "rsvp",
                        processed=True,
                        damaged=damaged,
                    )
                )
                inbound_id = result.inserted_primary_key[0]
                if not sender:
                    return Handled(str(reading.intent), None, None, None, damaged=damaged)  # no number to answer
                if not acted_on:
                    return Handled(str(Intent.UNKNOWN), None, None, None, damaged=True)  # kept for organizers
                handled = self._act(uow, inbound_id, sender, reading, body)
                if damaged:
                    handled = Handled(handled.intent, handled.guests, handled.meeting, handled.reply, damaged=True)
        except IntegrityError:
            # Another gateway process stored the same text a moment ago.
            return Handled(str(reading.intent), reading.guests, reading.meeting_code, None, duplicate=True)
        if handled.reply:
            self.wake.set()
        return handled

    def _act(self, uow: UnitOfWork, inbound_id: int, phone: str, reading: Reading, body: str) -> Handled:
        conn = uow.connection  # the gateway's own tables; the tally's through uow
        conversation = conn.execute(select(sms_conversations).where(sms_conversations.c.phone == phone)).first()
        lang = self._reply_language(conn, phone, reading, conversation.language if conversation else None)
        intent = reading.intent
        meeting_code: str | None = reading.meeting_code
        reply: str | None = None
        awaiting = conversation.awaiting_name_for if conversation else None
        self._set_conversation(conn, phone, language=lang)

        if intent is Intent.STOP:
            if self._opted_out(conn, phone):
                return Handled(str(intent), None, None, None)  # already out: stay silent
            first_confirmation = not self._confirmed_opt_out_before(conn, phone)
            self._set_opt_out(conn, phone, True, "text")
            # The first opt-out confirmation a number ever gets always goes; later ones (STOP, START, STOP, ...)
            # count against the hourly limit like every automatic text, or a texter could make us text them (or
            # a victim whose number they spoof) without end.
            if not first_confirmation and self._replies_last_hour(conn, phone) >= self.replies_per_hour:
                log.warning(
                    "not confirming an opt-out to …%s: %d automatic texts in the last hour",
                    phone[-4:],
                    self.replies_per_hour,
                )
                return Handled(str(intent), None, None, None)
            reply = replies.stop_confirmation(lang, self.organization)
            # The one confirmation allowed after STOP: "optout" is the only kind sent to an opted-out number.
            self._queue(conn, phone, reply, "optout", f"reply:{inbound_id}", bypass_opt_out=True)
            return Handled(str(intent), None, None, reply)
        if intent is Intent.START:
            self._set_opt_out(conn, phone, False, "text")
            reply = replies.start_confirmation(lang, self.organization)
            return self._reply(conn, phone, inbound_id, intent, reading, None, reply)
        if intent is Intent.HELP:
            return self._reply(
                conn, phone, inbound_id, intent, reading, None, replies.help_text(lang, self.organization)
            )
        if intent is Intent.UNKNOWN:
            if awaiting and reading.kind is not None and str(reading.kind) == "other":
                # Without the U+FFFD that stands for control characters in the stored body.
                name = " ".join(strip_invisible(body).replace("\ufffd", " ").split())[:80]
                try:
                    uow.rsvps.name(awaiting, phone, name)
                except KioskError:
                    pass
                else:
                    self._set_conversation(conn, phone, awaiting_name_for=None)
                    return self._reply(
                        conn, phone, inbound_id, intent, reading, awaiting, replies.thanks_for_name(lang, name)
                    )
            day = self.clock().date().isoformat()
            return self._reply(
                conn,
                phone,
                inbound_id,
                intent,
                reading,
                None,
                replies.how_to_rsvp(lang),
                dedupe_key=f"howto:{phone}:{day}",
            )

        # yes / no / maybe
        meeting = self._meeting_for(meeting_code)
        if meeting is None:
            return self._reply(
                conn, phone, inbound_id, intent, reading, None, replies.no_meeting_open(lang, self.organization)
            )
        if reading.guests_out_of_range:
            return self._reply(conn, phone, inbound_id, intent, reading, meeting.code, replies.ask_guest_count(lang))
        guests = (reading.guests or 0) if intent is Intent.YES else 0
        view = uow.rsvps.record(meeting.code, answer=str(intent), guests=guests, source="sms", phone=phone)
        reply = replies.confirmation(lang, meeting.title, meeting.local_start, intent, guests)
        household = view.member_id is None and self._members_on_phone(conn, phone) > 1
        asked = bool(conversation and conversation.asked_name)
        if view.member_id is None and view.name is None and not household and not asked:
            reply = f"{reply} {replies.ask_name(lang, self.organization)}"
            self._set_conversation(conn, phone, awaiting_name_for=meeting.code, asked_name=True)
        return self._reply(conn, phone, inbound_id, intent, reading, meeting.code, reply, guests=guests)

    @staticmethod
    def _reply_language(conn: Connection, phone: str, reading: Reading, conversation: str | None) -> Language:
        """The text's own language when it shows one; otherwise ("NO", "ok", "2") the member's stored language,
        then the language of the conversation so far, then the reader's default."""
        if reading.language_clear:
            return reading.language
        stored = {
            lang
            for lang in conn.execute(select(members.c.language).where(members.c.phone == phone)).scalars()
            if lang in ("en", "es")
        }
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
        queued = self._queue(conn, phone, reply, "reply", dedupe_key or f"reply:{inbound_id}")
        return Handled(str(intent), guests, meeting, reply if queued else None)

    def _meeting_for(self, code: str | None) -> Meeting | None:
        if code:
            meeting = self.tally.meeting(code)
            return None if meeting.state is MeetingState.CLOSED else meeting
        return self.tally.next_meeting()

    @staticmethod
    def _members_on_phone(conn: Connection, phone: str) -> int:
        return conn.execute(select(func.count()).select_from(members).where(members.c.phone == phone)).scalar_one()

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

    # --- opt-outs -----------------------------------------------------------------------------------------

    @staticmethod
    def _opted_out(conn: Connection, phone: str) -> bool:
        return bool(conn.execute(select(sms_opt_outs.c.opted_out).where(sms_opt_outs.c.phone == phone)).scalar())

    def _set_opt_out(self, conn: Connection, phone: str, opted_out: bool, source: str) -> None:
        now = self.clock()
        updated = conn.execute(
            update(sms_opt_outs)
            .where(sms_opt_outs.c.phone == phone)
            .values(opted_out=opted_out, changed_at=now, source=source)
        )
        if updated.rowcount == 0:
            conn.execute(insert(sms_opt_outs).values(phone=phone, opted_out=opted_out, changed_at=now, source=source))
        if opted_out:  # anything still waiting for this number is never sent
            conn.execute(
                update(sms_outbound)
                .where(and_(sms_outbound.c.recipient == phone, sms_outbound.c.state == "queued"))
                .values(state="blocked", last_error="opted out")
            )

    def is_opted_out(self, phone: str) -> bool:
        with db.read_transaction(self.engine) as conn:
            return self._opted_out(conn, normalize_phone(phone, self.tally.region) or phone)

    # --- outbound -----------------------------------------------------------------------------------------

    def _queue(
        self,
        conn: Connection,
        phone: str,
        body: str,
        kind: str,
        dedupe_key: str | None,
        *,
        bypass_opt_out: bool = False,
    ) -> bool:
        if not bypass_opt_out and self._opted_out(conn, phone):
            return False
        now = self.clock()
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(sms_outbound).values(
                        recipient=phone,
                        body=body,
                        kind=kind,
                        dedupe_key=dedupe_key[:120] if dedupe_key else None,
                        state="queued",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False  # queued before (same dedupe key): never twice
        return True

    def queue_text(self, phone: str, body: str, *, kind: str = "manual", dedupe_key: str | None = None) -> bool:
        """Queue one text; False when the number opted out or this dedupe key was queued before."""
        number = normalize_phone(phone, self.tally.region)
        if number is None:
            raise InvalidInput("a text needs a phone number")
        with db.write_transaction(self.engine) as conn:
            queued = self._queue(conn, number, body, kind, dedupe_key)
        if queued:
            self.wake.set()
        return queued

    def recover_interrupted(self) -> int:
        with db.write_transaction(self.engine) as conn:
            return conn.execute(
                update(sms_outbound)
                .where(sms_outbound.c.state == "sending")
                .values(state="failed", last_error="interrupted while sending; not retried to avoid a duplicate")
            ).rowcount

    def send_one(self, backend: SmsBackend) -> bool:
        """Send the oldest due text; False when nothing is due."""
        now = self.clock()
        with db.write_transaction(self.engine) as conn:
            row = conn.execute(
                select(sms_outbound)
                .where(and_(sms_outbound.c.state == "queued", sms_outbound.c.next_attempt_at <= now))
                .order_by(sms_outbound.c.id)
                .limit(1)
            ).first()
            if row is None:
                return False
            if row.kind != "optout" and self._opted_out(conn, row.recipient):
                conn.execute(
                    update(sms_outbound)
                    .where(sms_outbound.c.id == row.id)
                    .values(state="blocked", last_error="opted out")
                )
                return True
            conn.execute(
                update(sms_outbound)
                .where(and_(sms_outbound.c.id == row.id, sms_outbound.c.state == "queued"))
                .values(state="sending", attempts=row.attempts + 1)
            )
        result = backend.send(row.recipient, row.body)
        now = self.clock()
        with db.write_transaction(self.engine) as conn:
            if result.status is SendStatus.SENT:
                values: dict[str, Any] = {
                    "state": "sent",
                    "sent_at": now,
                    "provider_id": result.provider_id,
                    "last_error": None,
                }
            elif result.status is SendStatus.TRANSIENT and row.attempts + 1 < MAX_ATTEMPTS:
                delay = min(600.0, 5.0 * 2**row.attempts)
                values = {
                    "state": "queued",
                    "last_error": result.detail[:500],
                    "next_attempt_at": now + timedelta(seconds=delay),
                }
            else:
                values = {"state": "failed", "last_error": result.detail[:500]}
                if result.status is SendStatus.OPTED_OUT:
                    self._set_opt_out(conn, row.recipient, True, "carrier")
            conn.execute(update(sms_outbound).where(sms_outbound.c.id == row.id).values(**values))
        if result.status is not SendStatus.SENT:
            log.warning("text %s to …%s not sent (%s): %s", row.id, row.recipient[-4:], result.status, result.detail)
        return True

    def next_due_body(self) -> str | None:
        """The text the next ``send_one`` would send, for rate limiting by segments."""
        with db.read_transaction(self.engine) as conn:
            return conn.execute(
                select(sms_outbound.c.body)
                .where(and_(sms_outbound.c.state == "queued", sms_outbound.c.next_attempt_at <= self.clock()))
                .order_by(sms_outbound.c.id)
                .limit(1)
            ).scalar()

    def outbound(self, limit: int = 100) -> list[dict[str, Any]]:
        with db.read_transaction(self.engine) as conn:
            rows = conn.execute(select(sms_outbound).order_by(sms_outbound.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def inbox(self, limit: int = 100) -> list[dict[str, Any]]:
        """Texts that were not RSVPs or keywords, and every damaged text, newest first, for organizers to read."""
        with db.read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(sms_inbound)
                .where(or_(sms_inbound.c.intent == "unknown", sms_inbound.c.damaged.is_(True)))
                .order_by(sms_inbound.c.id.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) for r in rows]

    def queue_counts(self) -> dict[str, int]:
        with db.read_transaction(self.engine) as conn:
            rows = conn.execute(select(sms_outbound.c.state, func.count()).group_by(sms_outbound.c.state)).all()
        return {state: n for state, n in rows}

    # --- invitations and reminders ------------------------------------------------------------------------

    def yes_phones(self, code: str) -> list[str]:
        return sorted({r.phone for r in self.tally.current_rsvps(code) if r.answer == "yes" and r.phone})

    def member_phones(self) -> list[str]:
        with db.read_transaction(self.engine) as conn:
            phones = (
                conn.execute(
                    select(members.c.phone).where(
                        and_(members.c.phone.is_not(None), members.c.status.in_(("member", "pending")))
                    )
                )
                .scalars()
                .all()
            )
        return sorted(set(phones))

    def recipients(self, phones: Iterable[str]) -> list[str]:
        with db.read_transaction(self.engine) as conn:
            return [p for p in phones if not self._opted_out(conn, p)]

    def reminder_text(self, meeting: Meeting, lang: str = "en") -> str:
        titles = [p.title for p in self.tally.planks(meeting.code)]
        return replies.reminder(
            lang,
            self.organization,
            meeting.title,
            meeting.local_start,  # type: ignore[arg-type]
            meeting.place,
            titles,
        )

    def invitation_text(self, meeting: Meeting, lang: str = "en") -> str:
        return replies.invitation(
            lang,
            self.organization,
            meeting.title,
            meeting.local_start,  # type: ignore[arg-type]
            meeting.place,
            meeting.code,
        )

    def queue_bulk(self, phones: Iterable[str], body: str, *, kind: str, key_prefix: str) -> int:
        count = 0
        with db.write_transaction(self.engine) as conn:
            for phone in phones:
                count += self._queue(conn, phone, body, kind, f"{key_prefix}:{phone}")
        if count:
            self.wake.set()
        return count

    def schedule_reminders(self) -> int:
        """Queue due reminders (24 h and 2 h before) to YES RSVPs of every open meeting; each at most once."""
        now = self.clock()
        queued = 0
        for meeting in self.tally.meetings():
            if meeting.state is MeetingState.CLOSED or meeting.starts_at <= now:
                continue
            for label, offset in REMINDER_OFFSETS.items():
                if meeting.starts_at - offset <= now:
                    text = self.reminder_text(meeting)
                    queued += self.queue_bulk(
                        self.yes_phones(meeting.code),
                        text,
                        kind="reminder",
                        key_prefix=f"reminder:{meeting.code}:{label}",
                    )
        return queued

    # --- the daemon ---------------------------------------------------------------------------------------

    def receive_all(self, backend: SmsBackend) -> int:
        """Read and act on every new text, acknowledging each after its commit; returns how many."""
        texts = backend.poll()
        for i, text in enumerate(texts):
            try:
                self.receive(text)
            except BaseException:
                # Not stored (e.g. the database is locked or full): this text and the ones after it stay with
                # the backend, offered again at the next poll rather than after the backend's re-offer delay.
                backend.release([t.provider_id for t in texts[i:]])
                raise
            backend.acknowledge(text.provider_id)
        return len(texts)

    def run_once(self, backend: SmsBackend, *, max_sends: int = 1) -> tuple[int, int]:
        """One turn: read and act on every new text (acknowledging each after commit), then send up to
        ``max_sends`` due texts. Returns (texts received, texts sent)."""
        received = self.receive_all(backend)
        sent = 0
        while sent < max_sends and self.send_one(backend):
            sent += 1
        return received, sent

    def report(self, backend: SmsBackend) -> None:
        status = backend.status()
        # Backends keep their last error after they recover: it counts only if no success came after it.
        last_error, last_success = (
            status.get("last_error_at"),
            status.get("last_success_at") or status.get("last_success"),
        )
        recovered = last_error is None or (last_success is not None and str(last_success) >= str(last_error))
        ok = bool(status.get("connected", True)) and bool(status.get("online", True)) and recovered
        summary = f"{backend.name}: " + ("OK" if ok else str(status.get("last_error") or "not connected"))
        set_device_status(
            self.engine,
            f"sms:{backend.name}",
            ok=ok,
            summary=summary,
            detail={"backend": status, "queue": self.queue_counts()},
            now=self.clock(),
        )
