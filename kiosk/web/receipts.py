"""The hook between the kiosk pages and the receipt printer: ``request_receipt``.

``kiosk serve`` and ``kiosk demo`` pass ``receipt_hook=`` (``kiosk.services``: the print queue) to
``create_app``. Without one (a bare app in tests), ``request_receipt`` only logs that a receipt was asked for
(never the name or the token: the receipt is the token's only copy); the kiosk shows the receipt on screen.
The hook runs inside the sign-in request: it should only enqueue (a slow or failing printer must not hold up
the screen). An exception from it is logged and the sign-in stands; the receipt is on screen anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceiptRequest:
    meeting_code: str
    meeting_title: str
    display_name: str  # first name and last initial
    # The ballot token as issued (``ACD3-4EFG``); None for an attendee who may not vote. Never in a repr.
    token: str | None = field(repr=False)
    language: str  # "en" or "es"
    station: str
    reprint: bool  # True when the attendee asked for it again (a new token voided the old one)
    kind: str = "member"  # member, guest or pending, as printed on the receipt
    signin_id: int | None = None  # the sign-in it is for (its receipt language is kept for reprints at the desk)


def request_receipt(receipt: ReceiptRequest) -> None:
    """Ask for a receipt to be printed. Stand-in: logs that one was asked for (no name, no token: a name logged
    next to a ballot would link them); the print queue replaces this."""
    reprint = ", reprint" if receipt.reprint else ""
    log.info("receipt requested at %s (%s%s)", receipt.meeting_code, receipt.station, reprint)
