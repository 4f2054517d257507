"""Printers without paper: the demo's :class:`ConsolePrinter` and the :class:`DisabledPrinter` of printer URL
``none``, which *raises* :class:`~hardware.printer.port.PrintingDisabled` on every job (so a queue never marks a
receipt printed that was not) and reports ``online=False``, detail "printing is turned off".
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime

from hardware.printer.port import PrinterStatus, PrintingDisabled
from kiosk.receipts import Receipt, render_text

log = logging.getLogger(__name__)


class ConsolePrinter:
    """No paper: receipts are kept in memory for the demo's on-screen preview page, and never logged.

    A receipt holds a ballot token or a verification code, and the sign-in receipt before it names the attendee:
    logged, the two together would link a name to a ballot (issue 12). So the log says only that a receipt was
    made. ``preview=False`` (``kiosk serve``, which has no preview page) keeps nothing either: with no printer
    configured the receipt exists only on the kiosk screen.
    """

    KEEP = 50

    def __init__(self, columns: int = 48, *, preview: bool = True) -> None:
        self._columns = columns
        self._preview = preview
        self._recent: deque[tuple[datetime, str]] = deque(maxlen=self.KEEP if preview else 0)
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return "console"

    @property
    def columns(self) -> int:
        return self._columns

    def print_receipt(self, receipt: Receipt) -> None:
        if self._preview:
            text = render_text(receipt, self._columns)
            with self._lock:
                self._recent.append((datetime.now(UTC), text))
        log.debug("a %s receipt was made (no printer: shown on screen only, never logged)", receipt.kind)

    def recent(self) -> list[tuple[datetime, str]]:
        """The last 50 receipts as (UTC time, text), oldest first (none without the preview)."""
        with self._lock:
            return list(self._recent)

    def status(self) -> PrinterStatus:
        where = "the on-screen preview page" if self._preview else "the kiosk screen only (no printer configured)"
        return PrinterStatus(True, "ok", f"console printer: receipts go to {where}, never to the log")

    def close(self) -> None:
        pass


class DisabledPrinter:
    """Printing turned off: every job raises :class:`PrintingDisabled`, so nothing is dropped silently."""

    MESSAGE = "printing is turned off"

    def __init__(self, columns: int = 48) -> None:
        self._columns = columns

    @property
    def description(self) -> str:
        return "none"

    @property
    def columns(self) -> int:
        return self._columns

    def print_receipt(self, receipt: Receipt) -> None:
        raise PrintingDisabled(f"Cannot print the {receipt.kind} receipt: {self.MESSAGE} (printer URL 'none').")

    def status(self) -> PrinterStatus:
        return PrinterStatus(False, "unknown", self.MESSAGE)

    def close(self) -> None:
        pass
