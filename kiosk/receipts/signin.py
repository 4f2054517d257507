"""The sign-in slip: who signed in, and for eligible attendees their ballot token."""

from __future__ import annotations

from datetime import datetime

from kiosk.receipts.blocks import (
    QR,
    BigText,
    Feed,
    Heading,
    Line,
    Receipt,
    ReceiptKind,
    Rule,
    check_columns,
    check_language,
)
from kiosk.receipts.charset import printable, safe
from kiosk.receipts.wording import format_date, format_time, header, words


def signin_receipt(
    *,
    organization: str,
    meeting_title: str,
    starts_at: datetime,
    display_name: str,
    kind: str,
    token: str | None,
    rsvp_hint: str,
    language: str,
    columns: int,
    reprint: bool = False,
) -> Receipt:
    """The slip handed to someone signing in: who they are, and for eligible attendees their ballot token."""
    check_language(language)
    check_columns(columns)
    if kind not in ("member", "guest", "pending"):
        raise ValueError(f"kind must be member, guest or pending, not {kind!r}")
    blocks = header(organization, meeting_title, language, reprint)
    blocks.append(Line(printable(format_date(starts_at, language)), align="center"))
    blocks.append(Line(printable(format_time(starts_at, language)), bold=True, align="center"))
    blocks.append(Rule())
    name = safe(display_name, limit=60) or "?"
    blocks.append(Heading(words(language, "welcome", name=name)))
    blocks.append(Line(words(language, kind), align="center"))
    if kind == "pending":
        blocks.append(Line(words(language, "pending_note"), align="center"))
    elif kind == "guest" and token is None:
        blocks.append(Line(words(language, "guest_note"), align="center"))
    if token is not None:
        code = safe(token, limit=40)
        if not code:
            raise ValueError("the ballot token is empty")
        blocks += [
            Feed(1),
            Line(words(language, "token_intro"), bold=True, align="center"),
            BigText(code, secret=True),
            QR(code, secret=True),
            Line(words(language, "token_note"), align="center"),
        ]
    blocks.append(Rule())
    hint = safe(rsvp_hint, limit=80)
    if hint:
        blocks.append(Line(words(language, "rsvp"), align="center"))
        blocks.append(Line(hint, bold=True, align="center"))
    if reprint:
        blocks.append(Heading(words(language, "reprint")))
    return Receipt(ReceiptKind.SIGNIN, language, columns, tuple(blocks))
