"""The platform on paper: every plank in force, in its language, with where it was adopted and its count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kiosk.receipts.blocks import Feed, Heading, Line, Receipt, ReceiptKind, Row, Rule, check_columns, check_language
from kiosk.receipts.charset import safe
from kiosk.receipts.wording import format_day, format_when, header, words
from kiosk.tally.model import PlatformPlank

MAX_TAPE_TEXT = 2000  # a plank's text on paper (the page and the exports keep all of it)


def platform_tape(
    *, organization: str, planks: Sequence[PlatformPlank], printed_at: datetime, language: str, columns: int
) -> Receipt:
    """The planks in force (``Tally.platform()``), each in ``language`` when translated."""
    check_language(language)
    check_columns(columns)
    blocks = header(organization, "", language, reprint=False)
    blocks += [
        Heading(words(language, "platform_title")),
        Line(words(language, "printed_at", when=format_when(printed_at, language)), align="center"),
        Line(
            words(language, "platform_count_one")
            if len(planks) == 1
            else words(language, "platform_count", n=len(planks)),
            align="center",
        ),
        Rule(),
    ]
    if not planks:
        blocks.append(Line(words(language, "platform_empty")))
    for n, plank in enumerate(planks, start=1):
        adopted = plank.adopted
        blocks.append(Line(f"{n}. {safe(plank.title_in(language).text)}", bold=True))
        text = safe(plank.text_in(language).text, limit=MAX_TAPE_TEXT)
        if text:
            blocks.append(Line(text))
        meeting = safe(adopted.meeting_code, limit=40)
        blocks += [
            Line(words(language, "platform_adopted", meeting=meeting, date=format_day(adopted.date, language))),
            Row(words(language, "yes"), str(adopted.yes)),
            Row(words(language, "no"), str(adopted.no)),
            Line(words(language, "threshold", threshold=words(language, adopted.threshold.value))),
            Feed(1),
        ]
    return Receipt(ReceiptKind.PLATFORM, language, columns, tuple(blocks))
