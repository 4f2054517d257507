"""The sign-in receipt as the kiosk prints it, built in one place for the kiosk and for the organizer's reissue at
the desk (which used to build its own, in English and with a bare number for the RSVP line). The language it was
printed in is kept with the sign-in by the tally (``Tally.remember_receipt_language``, ``receipt_language``), so a
reprint at the desk comes out in the attendee's language.

Core: it reads the settings and the tally's values and knows nothing of the web, the printer or the SMS gateway.
"""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.receipts import Receipt, signin_receipt
from kiosk.tally import Meeting


def rsvp_hint(settings: Settings, language: str) -> str:
    """The sign-in receipt's "Next time, RSVP by text" line: the number to text, or nothing at all when no number
    is configured ([organization] sms_number): a receipt must not send people to ask for one."""
    number = settings.organization.sms_number.strip()
    if not number:
        return ""
    return f"Envíe SÍ al {number} para confirmar" if language == "es" else f"Text YES to {number} to RSVP"


def signin_receipt_for(
    settings: Settings,
    meeting: Meeting,
    *,
    display_name: str,
    kind: str,
    token: str | None,
    language: str,
    reprint: bool,
) -> Receipt:
    """The sign-in receipt for the attendee shown as ``display_name`` (first name and last initial, as the tally's
    sign-ins and :func:`kiosk.roster.display_name` give it)."""
    return signin_receipt(
        organization=settings.organization.name,
        meeting_title=meeting.title,
        starts_at=meeting.local_start,
        display_name=display_name,
        kind=kind,
        token=token,
        rsvp_hint=rsvp_hint(settings, language),
        language=language,
        columns=settings.printer.columns,
        reprint=reprint,
    )
