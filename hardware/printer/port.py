"""What every receipt printer offers (:class:`ReceiptPrinter`, :class:`PrinterStatus`) and how printing fails
(the :class:`PrinterError` family, whose messages are meant for an organizer to read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from kiosk.receipts import Receipt

Paper = Literal["ok", "low", "out", "unknown"]


class PrinterError(Exception):
    """Anything that kept a receipt from printing; the message is meant for an organizer to read.

    ``maybe_printed`` is False when the failure came before any byte of the receipt was sent (retrying cannot
    print it twice) and True when bytes had gone out (part or all of the receipt may be on paper).
    """

    maybe_printed: bool = False


class PrinterUnavailable(PrinterError, ConnectionError):
    """The printer cannot be reached, refused the connection, or went away during a job."""


class PrinterTimeout(PrinterError, TimeoutError):
    """The printer did not answer or accept data in time."""


class PaperOut(PrinterError):
    """The printer reports no paper."""


class PrintingDisabled(PrinterError):
    """Printing is turned off in the configuration (printer URL ``none``)."""

    # Retrying cannot help: the print queue fails such jobs at once instead of backing off forever.
    permanent = True


@dataclass(frozen=True)
class PrinterStatus:
    online: bool | None
    paper: Paper
    detail: str


@runtime_checkable
class ReceiptPrinter(Protocol):
    @property
    def description(self) -> str: ...

    @property
    def columns(self) -> int: ...

    def print_receipt(self, receipt: Receipt) -> None: ...

    def status(self) -> PrinterStatus: ...

    def close(self) -> None: ...
