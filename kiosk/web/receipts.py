"""The hook between the kiosk pages and the receipt printer: ``request_receipt``.

The print queue is another issue. Until it is connected, ``request_receipt`` only logs that a receipt was
asked for (never the token: the receipt is its only copy) and the kiosk shows the receipt on screen. The lead
connects the print queue by passing ``receipt_hook=`` to ``create_app`` (or replacing this function's body).
The hook runs inside the sign-in request: it should only enqueue (a slow or failing printer must not hold up
the screen). An exception from it is logged and the sign-in stands; the receipt is on screen anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceiptRequest:
    meeting_code: str
    meeting_title: str
    display_name: str  # first name and last initial
    token: str  # the ballot token as issued (``ACD3-4EFG``)
    language: str  # "en" or "es"
    station: str
    reprint: bool  # True when the attendee asked for it again (a new token voided the old one)


def request_receipt(receipt: ReceiptRequest) -> None:
    """Ask for a receipt to be printed. Stand-in: logs it; the print queue replaces this."""
    log.info(
        "receipt requested for %s at %s (%s%s)",
        receipt.display_name,
        receipt.meeting_code,
        receipt.station,
        ", reprint" if receipt.reprint else "",
    )
