"""A real ESC/POS printer behind one transport, connected per job.

How a job goes: the receipt is rendered to bytes first (:mod:`hardware.printer.render`); then a connection is
opened *for this job only*, the paper sensor is asked (``DLE EOT 4``) where the transport can answer, the bytes are
sent, the paper sensor is asked once more (this also notices a printer that dropped the connection mid-job), and the
connection is closed. Jobs on one printer object run one at a time. Every failure is a
:class:`~hardware.printer.port.PrinterError` whose ``maybe_printed`` says whether any byte of the receipt had been
sent (a queue may retry freely when it is False).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from hardware.printer.escpos_lib import escpos_modules
from hardware.printer.port import (
    Paper,
    PaperOut,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    PrinterUnavailable,
)
from hardware.printer.render import render_escpos
from hardware.printer.transports import Link
from kiosk.receipts import Receipt

DLE_EOT_ONLINE = b"\x10\x04\x01"
DLE_EOT_PAPER = b"\x10\x04\x04"

log = logging.getLogger(__name__)


def paper_from(byte: int) -> Paper:
    # Bits of the DLE EOT 4 answer: 2-3 paper near end, 5-6 paper end (python-escpos's masks agree).
    if byte & 0x60:
        return "out"
    if byte & 0x0C:
        return "low"
    return "ok"


class EscposPrinter:
    """A real ESC/POS printer behind one transport; connects per job."""

    def __init__(
        self,
        description: str,
        connect: Callable[[], Link],
        *,
        profile: str,
        columns: int,
        timeout: float,
        query: bool,
        codepage: str = "auto",
    ) -> None:
        self._description = description
        self._connect = connect
        self.profile = profile
        self.codepage = codepage
        self._columns = columns
        self.timeout = timeout
        self.query_status = query
        # One job at a time per printer: many printers take a single connection, and jobs must not interleave.
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._description

    @property
    def columns(self) -> int:
        return self._columns

    def __repr__(self) -> str:
        return f"<EscposPrinter {self._description} profile={self.profile} columns={self._columns}>"

    @contextmanager
    def _plain_errors(self, doing: str, seconds: float | None = None) -> Iterator[None]:
        where = self._description
        try:
            yield
        except PrinterError:
            raise
        except Exception as exc:
            raise self._translate(exc, doing, where, self.timeout if seconds is None else seconds) from exc

    def _translate(self, exc: Exception, doing: str, where: str, seconds: float) -> PrinterError:
        t = f"{seconds:g}"
        name = type(exc).__name__
        if name == "SerialTimeoutException" or isinstance(exc, TimeoutError):
            return PrinterTimeout(f"The printer at {where} did not respond within {t} s while {doing}.")
        if isinstance(exc, ConnectionRefusedError):
            return PrinterUnavailable(
                f"The printer at {where} refused the connection. Is it switched on, and is the address right?"
            )
        if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return PrinterUnavailable(
                f"The connection to the printer at {where} dropped while {doing}; the receipt may be incomplete."
            )
        if name == "SerialException" or isinstance(exc, OSError):
            reason = getattr(exc, "strerror", None) or str(exc) or name
            return PrinterUnavailable(f"Cannot reach the printer at {where} ({reason}).")
        es_errors = escpos_modules().exceptions
        if isinstance(exc, es_errors.DeviceNotFoundError):
            return PrinterUnavailable(f"Cannot find the printer at {where}. Is it plugged in and switched on?")
        return PrinterError(f"The printer at {where} failed while {doing}: {exc}")

    def _paper(self, link: Link, wait: float | None = None) -> Paper:
        return paper_from(link.query(DLE_EOT_PAPER, wait)[0])

    def print_receipt(self, receipt: Receipt) -> None:
        try:
            data = render_escpos(receipt, profile=self.profile, columns=self._columns, codepage=self.codepage)
        except escpos_modules().exceptions.Error as exc:
            raise PrinterError(f"The receipt cannot be prepared for a {self.profile} printer: {exc}") from exc
        with self._lock:
            self._print(receipt, data)

    def _print(self, receipt: Receipt, data: bytes) -> None:
        with self._plain_errors("connecting"):
            link = self._connect()
        try:
            check = self.query_status and link.can_query
            if check:
                with self._plain_errors("checking the paper"):
                    paper = self._paper(link)
                if paper == "out":
                    raise PaperOut(f"The printer at {self._description} is out of paper. Load a new roll.")
                if paper == "low":
                    log.warning("printer %s: paper is running low", self._description)
            try:
                with self._plain_errors("printing"):
                    link.send(data)
                if check:
                    self._confirm(link)
            except PrinterError as exc:
                exc.maybe_printed = True
                raise
        finally:
            try:
                link.close()
            except OSError as exc:
                log.debug("closing printer %s: %s", self._description, exc)
        log.info("printed a %s receipt (%d bytes) on %s", receipt.kind, len(data), self._description)

    def _confirm(self, link: Link) -> None:
        """Ask for the paper once more: notices paper running out mid-job and a connection that dropped."""
        # The answer can queue behind data still in the printer's buffer: allow a few seconds of paper.
        wait = max(3 * self.timeout, 5.0)
        with self._plain_errors("printing", wait):
            paper = self._paper(link, wait)
        if paper == "out":
            raise PaperOut(
                f"The printer at {self._description} ran out of paper while printing; "
                "the receipt may be incomplete. Load a new roll and reprint."
            )

    def status(self) -> PrinterStatus:
        """Never raises for printer trouble: an unreachable printer is ``online=False`` with the reason."""
        with self._lock:
            return self._status()

    def _status(self) -> PrinterStatus:
        try:
            with self._plain_errors("connecting"):
                link = self._connect()
        except PrinterError as exc:
            return PrinterStatus(False, "unknown", str(exc))
        try:
            if not (self.query_status and link.can_query):
                return PrinterStatus(
                    None, "unknown", f"{self._description}: reachable; paper status is not available on this connection"
                )
            with self._plain_errors("answering a status query"):
                online_byte = link.query(DLE_EOT_ONLINE)[0]
                paper = self._paper(link)
            online = not online_byte & 0x08
            detail = {"ok": "paper ok", "low": "paper running low", "out": "out of paper"}[paper]
            return PrinterStatus(online, paper, f"{self._description}: {'online' if online else 'offline'}, {detail}")
        except PrinterError as exc:
            return PrinterStatus(False, "unknown", str(exc))
        finally:
            with suppress(OSError):
                link.close()

    def close(self) -> None:
        """Nothing stays open between jobs."""
