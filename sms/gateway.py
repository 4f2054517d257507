"""The SMS gateway: inbound texts become RSVPs (or the organizers' inbox), replies and reminders go out through
a queue, and opt-outs are honoured by every backend.

This module is the router and the facade: it stores each inbound text and hands it to the handlers
(``sms.handlers``), runs the daemon's turns, and reports the backend's health. The outbound queue and opt-outs
live in ``sms.outbound``; texts to an audience (invitations, reminders, organizers' texts) in ``sms.reminders``.

Inbound, exactly once: a text is stored under its provider id (unique), read, and acted on (RSVP, opt-out,
name, reply queued) in ONE database transaction; only after that commit is the backend told to forget it
(``acknowledge``: the modem deletes it from the SIM). A gateway killed in between reads the same text again
next time, finds its provider id already stored, and only acknowledges it.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.device_status import set_device_status
from kiosk.errors import InvalidInput
from kiosk.roster import normalize_phone, strip_invisible
from kiosk.schema import sms_inbound
from kiosk.tally import Meeting, MeetingState, Tally
from sms.backends import InboundText, SmsBackend
from sms.handlers import AUTOMATIC_KINDS, Handled, InboundHandlers
from sms.outbound import MAX_ATTEMPTS, OutboundQueue
from sms.reader import Intent, Language, Reading, read_text
from sms.reminders import REMINDER_OFFSETS, Audience, AudienceTexts, Recipients

log = logging.getLogger(__name__)

__all__ = [
    "AUTOMATIC_KINDS",
    "MAX_ATTEMPTS",
    "REMINDER_OFFSETS",
    "Audience",
    "Gateway",
    "Handled",
    "Recipients",
    "reads_clearly",
]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _printable(text: str, keep: str = "") -> str:
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") and ch not in keep else ch for ch in text)


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
    """One SMS gateway over one tally: ``outbox`` (the queue), ``handlers`` (inbound), ``audiences`` (bulk)."""

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
        self.clock = clock
        self.wake = threading.Event()  # set when a text is queued, so the sender sends at once
        self.outbox = OutboundQueue(tally, clock=clock, wake=self.wake)
        self.handlers = InboundHandlers(
            tally, self.outbox, organization=organization, replies_per_hour=replies_per_hour, clock=clock
        )
        self.audiences = AudienceTexts(tally, self.outbox, organization=organization, clock=clock)

    @property
    def replies_per_hour(self) -> int:
        return self.handlers.replies_per_hour

    # --- inbound ------------------------------------------------------------------------------------------

    def receive(self, text: InboundText) -> Handled:
        """Store, read and act on one inbound text in one transaction; returns what was done."""
        try:
            sender = normalize_phone(text.sender, self.tally.region) or ""
        except InvalidInput:
            # kept for the organizers, never answered (the sender itself is not logged: it may be a number)
            log.info("text %s: the sender is not a phone number; stored, not answered", text.provider_id[:40])
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
                conn = uow.connection  # the gateway's own tables; the tally's operations go through uow
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
                handled = self.handlers.act(uow, inbound_id, sender, reading, body)
                if damaged:
                    handled = Handled(handled.intent, handled.guests, handled.meeting, handled.reply, damaged=True)
        except IntegrityError:
            # Another gateway process stored the same text a moment ago.
            return Handled(str(reading.intent), reading.guests, reading.meeting_code, None, duplicate=True)
        if handled.reply:
            self.wake.set()
        return handled

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

    # --- the outbound queue, the audiences (kept here so callers need one object) -----------------------------

    def queue_text(self, phone: str, body: str, *, kind: str = "manual", dedupe_key: str | None = None) -> bool:
        return self.outbox.queue_text(phone, body, kind=kind, dedupe_key=dedupe_key)

    def queue_bulk(self, phones: Iterable[str], body: str, *, kind: str, key_prefix: str) -> int:
        return self.outbox.queue_bulk(phones, body, kind=kind, key_prefix=key_prefix)

    def queue_to_audience(
        self,
        body: str,
        *,
        kind: str,
        audience: Audience | str,
        meeting_code: str | None = None,
        to: str | None = None,
        name: str | None = None,
        render: Callable[[Language], str] | None = None,
    ) -> int:
        """The one path for "queue this text to this audience" (``kiosk sms send`` and the organizer page)."""
        return self.audiences.queue_to_audience(
            body, kind=kind, audience=audience, meeting_code=meeting_code, to=to, name=name, render=render
        )

    def languages_of(self, phones: Iterable[str]) -> dict[str, Language]:
        return self.audiences.languages_of(phones)

    def queue_in_languages(
        self, phones: Iterable[str], render: Callable[[Language], str], *, kind: str, key_prefix: str
    ) -> int:
        return self.audiences.queue_in_languages(phones, render, kind=kind, key_prefix=key_prefix)

    def audience(self, audience: Audience | str, meeting_code: str | None = None, to: str | None = None) -> Recipients:
        return self.audiences.recipients(audience, meeting_code, to)

    def is_opted_out(self, phone: str) -> bool:
        return self.outbox.is_opted_out(phone)

    def recipients(self, phones: Iterable[str]) -> list[str]:
        return self.outbox.recipients(phones)

    def recover_interrupted(self) -> int:
        return self.outbox.recover_interrupted()

    def send_one(self, backend: SmsBackend) -> bool:
        return self.outbox.send_one(backend)

    def next_due_body(self) -> str | None:
        return self.outbox.next_due_body()

    def outbound(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.outbox.outbound(limit)

    def queue_counts(self) -> dict[str, int]:
        return self.outbox.queue_counts()

    def yes_phones(self, code: str) -> list[str]:
        return self.audiences.yes_phones(code)

    def member_phones(self) -> list[str]:
        return self.audiences.member_phones()

    def reminder_text(self, meeting: Meeting, lang: str = "en") -> str:
        return self.audiences.reminder_text(meeting, lang)

    def invitation_text(self, meeting: Meeting, lang: str = "en") -> str:
        return self.audiences.invitation_text(meeting, lang)

    def schedule_reminders(self) -> int:
        return self.audiences.schedule_reminders()

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
        ok = status.ok
        summary = f"{backend.name}: " + ("OK" if ok else str(status.fatal or status.last_error or "not connected"))
        set_device_status(
            self.engine,
            f"sms:{backend.name}",
            ok=ok,
            summary=summary,
            detail={"backend": status.as_dict(), "queue": self.queue_counts()},
            now=self.clock(),
        )
