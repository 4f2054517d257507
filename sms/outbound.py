"""The outbound queue: every text the gateway sends waits in ``sms_outbound`` first, and opt-outs are kept here.

At most once: a queued text is claimed (``sending``) and committed before the provider is called. A transient
failure puts it back with a backoff; a permanent one marks it failed; Twilio's 21610 (opted out at the
carrier) also records the opt-out. A text found ``sending`` at start-up was cut off mid-send and is marked
failed rather than risk a duplicate. Nothing is ever sent to an opted-out number: checked when queued and
again just before sending. A dedupe key, unique in the table, makes queueing the same text twice a no-op.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import db
from kiosk.errors import InvalidInput
from kiosk.roster import normalize_phone
from kiosk.schema import sms_opt_outs, sms_outbound
from kiosk.tally import Tally
from sms.backends import SendStatus, SmsBackend

log = logging.getLogger(__name__)

__all__ = ["MAX_ATTEMPTS", "OutboundQueue", "audience_key"]

MAX_ATTEMPTS = 8
DEDUPE_KEY_CHARS = 120  # the column's width


def audience_key(meeting_code: str | None, audience: str, body: str, name: str | None = None) -> str:
    """The dedupe prefix of one text to one audience (each recipient's key adds ``:<phone>``).

    The text is known by a hash of its body, or of the ``name`` given to this send: so the same text to the same
    audience is queued once however often it is asked for, and a different text (even one of the same length)
    is a new send. Hashed so that a long name cannot push the phone past the key's width.

    >>> audience_key("GA12", "yes", "See you tonight")
    'org:GA12:yes:09b7358ed47b'
    >>> audience_key("GA12", "yes", "See you tonight") != audience_key("GA12", "yes", "See you tomorro")
    True
    """
    identity = name if name else body
    return f"org:{meeting_code or 'none'}:{audience}:{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:12]}"


class OutboundQueue:
    """Queue, send and opt-outs over the ``sms_outbound`` and ``sms_opt_outs`` tables."""

    def __init__(self, tally: Tally, *, clock: Callable[[], datetime], wake: threading.Event) -> None:
        self.tally = tally
        self.engine: Engine = tally.engine
        self.clock = clock
        self.wake = wake  # set when a text is queued, so the sender sends at once

    # --- opt-outs -----------------------------------------------------------------------------------------

    @staticmethod
    def opted_out(conn: Connection, phone: str) -> bool:
        return bool(conn.execute(select(sms_opt_outs.c.opted_out).where(sms_opt_outs.c.phone == phone)).scalar())

    def set_opt_out(self, conn: Connection, phone: str, opted_out: bool, source: str) -> None:
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
            return self.opted_out(conn, normalize_phone(phone, self.tally.region) or phone)

    def recipients(self, phones: Iterable[str]) -> list[str]:
        """``phones`` without the opted-out ones."""
        with db.read_transaction(self.engine) as conn:
            return [p for p in phones if not self.opted_out(conn, p)]

    # --- queueing -----------------------------------------------------------------------------------------

    def queue(
        self,
        conn: Connection,
        phone: str,
        body: str,
        kind: str,
        dedupe_key: str | None,
        *,
        bypass_opt_out: bool = False,
    ) -> bool:
        """Queue one text inside the caller's transaction; False when opted out or this key was queued before."""
        if not bypass_opt_out and self.opted_out(conn, phone):
            return False
        now = self.clock()
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(sms_outbound).values(
                        recipient=phone,
                        body=body,
                        kind=kind,
                        dedupe_key=dedupe_key[:DEDUPE_KEY_CHARS] if dedupe_key else None,
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
            queued = self.queue(conn, number, body, kind, dedupe_key)
        if queued:
            self.wake.set()
        return queued

    def queue_bulk(self, phones: Iterable[str], body: str, *, kind: str, key_prefix: str) -> int:
        """Queue ``body`` to each of ``phones`` under ``<key_prefix>:<phone>``; returns how many were new."""
        count = 0
        with db.write_transaction(self.engine) as conn:
            for phone in phones:
                count += self.queue(conn, phone, body, kind, f"{key_prefix}:{phone}")
        if count:
            self.wake.set()
        return count

    # --- sending ------------------------------------------------------------------------------------------

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
            if row.kind != "optout" and self.opted_out(conn, row.recipient):
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
                    self.set_opt_out(conn, row.recipient, True, "carrier")
            conn.execute(update(sms_outbound).where(sms_outbound.c.id == row.id).values(**values))
        if result.status is not SendStatus.SENT:
            log.warning("text %s to …%s not sent (%s): %s", row.id, row.recipient[-4:], result.status, result.detail)
        return True

    # --- reading ------------------------------------------------------------------------------------------

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

    def queue_counts(self) -> dict[str, int]:
        with db.read_transaction(self.engine) as conn:
            rows = conn.execute(select(sms_outbound.c.state, func.count()).group_by(sms_outbound.c.state)).all()
        return {state: n for state, n in rows}
