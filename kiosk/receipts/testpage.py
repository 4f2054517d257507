"""The printer test page: width, accents, big text and a QR code."""

from __future__ import annotations

from datetime import datetime

from kiosk.receipts.blocks import (
    QR,
    BigText,
    Block,
    Heading,
    Line,
    Receipt,
    ReceiptKind,
    Rule,
    check_columns,
    check_language,
)
from kiosk.receipts.charset import printable, safe
from kiosk.receipts.wording import format_when, words


def printer_test_receipt(*, target: str, printed_at: datetime, language: str, columns: int) -> Receipt:
    """A short page to check a printer: width, accents, big text and a QR code."""
    check_language(language)
    check_columns(columns)
    ruler = "".join(str(i % 10) for i in range(1, columns + 1))
    blocks: list[Block] = [
        Heading(words(language, "test_title")),
        Line(printable(format_when(printed_at, language)), align="center"),
        Line(safe(target), align="center"),
        Rule(),
        Line(words(language, "test_ok")),
        Line(words(language, "test_width", columns=columns)),
        Line(ruler),
        Line(words(language, "test_chars")),
        Line(printable("áéíóú ÁÉÍÓÚ ñÑ üÜ ¿? ¡! € ç")),
        BigText(words(language, "test_big")),
        QR("assembly-kiosk printer test", size=4),
    ]
    return Receipt(ReceiptKind.TEST, language, columns, tuple(blocks))
