"""The test page (``kiosk printer test``, the doctor)."""

from __future__ import annotations

from datetime import datetime

from hardware.printer.port import PrinterError, ReceiptPrinter
from kiosk.receipts import printer_test_receipt


def print_test_page(printer: ReceiptPrinter, *, language: str = "en") -> str:
    """Print a short test page; return a plain-words summary. Raises :class:`PrinterError` on failure."""
    receipt = printer_test_receipt(
        target=printer.description, printed_at=datetime.now().astimezone(), language=language, columns=printer.columns
    )
    try:
        printer.print_receipt(receipt)
    except PrinterError:
        raise
    except Exception as exc:  # a bug or an unexpected library error still gets plain words
        raise PrinterError(f"The test page could not be printed on {printer.description}: {exc}") from exc
    state = printer.status()
    return f"Printed a test page on {printer.description} ({printer.columns} columns). Status: {state.detail}."
