"""The receipt printer adapter: turns :mod:`kiosk.receipts` values into ESC/POS bytes and gets them onto paper.

The package's public face; each concept has its own module:

- :mod:`~hardware.printer.port`: the :class:`ReceiptPrinter` port, :class:`PrinterStatus`, and the printer
  exceptions (root :class:`PrinterError`, whose ``maybe_printed`` says whether any byte had gone out);
- :mod:`~hardware.printer.urls`: the printer URL, read by :func:`open_printer` with one parser per scheme;
- :mod:`~hardware.printer.escpos_printer`: a real printer, connected per job, asking the paper sensor before
  and after each job; :mod:`~hardware.printer.transports`: its network, serial, file and USB connections;
- :mod:`~hardware.printer.render`: a receipt to ESC/POS bytes, in memory, before any connection is opened;
- :mod:`~hardware.printer.console`: the printers without paper (``console``: the demo's preview; ``none``:
  printing turned off, which raises :class:`PrintingDisabled` on every job so nothing is dropped silently);
- :mod:`~hardware.printer.escpos_lib`: python-escpos, imported lazily and once, its import side effects (a root
  logging handler, a temporary folder) undone;
- :mod:`~hardware.printer.testpage`: the test page.
"""

from __future__ import annotations

from hardware.printer.console import ConsolePrinter, DisabledPrinter
from hardware.printer.escpos_lib import escpos_modules, known_profiles
from hardware.printer.escpos_printer import EscposPrinter
from hardware.printer.port import (
    PaperOut,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    PrinterUnavailable,
    PrintingDisabled,
    ReceiptPrinter,
)
from hardware.printer.render import TEAR_OFF_LINES, has_cutter, render_escpos
from hardware.printer.testpage import print_test_page
from hardware.printer.urls import URL_FORMS, open_printer

__all__ = [
    "TEAR_OFF_LINES",
    "URL_FORMS",
    "ConsolePrinter",
    "DisabledPrinter",
    "EscposPrinter",
    "PaperOut",
    "PrinterError",
    "PrinterStatus",
    "PrinterTimeout",
    "PrinterUnavailable",
    "PrintingDisabled",
    "ReceiptPrinter",
    "escpos_modules",
    "has_cutter",
    "known_profiles",
    "open_printer",
    "print_test_page",
    "render_escpos",
]
