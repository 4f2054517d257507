"""Receipts as values: what a sign-in slip, a ballot receipt and a tally tape say, laid out for a paper width.

This package owns the *content* of every receipt, its English/Spanish wording, the sanitizing of text that came
from users, and the line layout (word wrap at the paper width). It is pure: no printer library, no I/O. The
printer adapter (``hardware.printer``) turns the laid-out lines into ESC/POS commands; :func:`render_text` turns
the very same lines into plain text for the console printer and a preview page, so paper and preview agree.

One module per concept: :mod:`~kiosk.receipts.blocks` (the values), :mod:`~kiosk.receipts.charset` (cleaning user
text and folding it into the code pages' repertoire), :mod:`~kiosk.receipts.layout` (word wrap at the paper width,
plain text), :mod:`~kiosk.receipts.wording` (English and Spanish words, dates), and one builder per receipt:
:mod:`~kiosk.receipts.signin`, :mod:`~kiosk.receipts.ballot`, :mod:`~kiosk.receipts.tape`,
:mod:`~kiosk.receipts.testpage`, :mod:`~kiosk.receipts.platform`. Import from ``kiosk.receipts``; the sign-in
receipt with the settings filled in (as the kiosk and the desk print it) is :mod:`kiosk.signin_receipts`.
"""

from __future__ import annotations

from kiosk.receipts.ballot import ballot_receipt
from kiosk.receipts.blocks import (
    LANGUAGES,
    MAX_COLUMNS,
    MIN_COLUMNS,
    QR,
    BigText,
    Block,
    Feed,
    Heading,
    Line,
    Receipt,
    ReceiptKind,
    Row,
    Rule,
)
from kiosk.receipts.charset import MAX_USER_TEXT, REPERTOIRE, clean, page_repertoire, printable
from kiosk.receipts.layout import LaidLine, layout, render_text, wrap
from kiosk.receipts.platform import platform_tape
from kiosk.receipts.signin import signin_receipt
from kiosk.receipts.tape import tally_tape
from kiosk.receipts.testpage import printer_test_receipt
from kiosk.receipts.wording import format_date, format_time, format_when

__all__ = [
    "LANGUAGES",
    "MAX_COLUMNS",
    "MAX_USER_TEXT",
    "MIN_COLUMNS",
    "QR",
    "REPERTOIRE",
    "BigText",
    "Block",
    "Feed",
    "Heading",
    "LaidLine",
    "Line",
    "Receipt",
    "ReceiptKind",
    "Row",
    "Rule",
    "ballot_receipt",
    "clean",
    "format_date",
    "format_time",
    "format_when",
    "layout",
    "page_repertoire",
    "platform_tape",
    "printable",
    "printer_test_receipt",
    "render_text",
    "signin_receipt",
    "tally_tape",
    "wrap",
]
