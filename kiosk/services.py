"""The background parts the web process runs next to the pages: the print worker (it owns the printer) and, in
the demo, the SMS gateway on the console backend. ``kiosk serve`` runs the print worker; the SMS gateway runs
as its own daemon (``kiosk sms run``) on a Pi, since it owns the modem's serial port or Twilio polling.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hardware.printer import ReceiptPrinter, open_printer
from kiosk import storage_order
from kiosk.config import Settings, verification_url
from kiosk.device_status import set_device_status
from kiosk.errors import KioskError, describe_storage
from kiosk.print_queue import PrintQueue, PrintWorker, forget_ballot_receipts
from kiosk.receipts import Receipt, ballot_receipt
from kiosk.signin_receipts import signin_receipt_for
from kiosk.tally import Tally

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    tally: Tally
    queue: PrintQueue
    printer: ReceiptPrinter
    worker: PrintWorker
    sms_backend: Any = None
    sms_stop: threading.Event = field(default_factory=threading.Event)
    sms_thread: threading.Thread | None = None
    button_thread: threading.Thread | None = None
    storage_thread: threading.Thread | None = None
    phone_log: list[Any] = field(default_factory=list)  # texts sent from the demo's simulated phone page

    def watch_buttons(self, panel: Any, interval_s: float = 1.0) -> None:
        """Report the button panel's state (presses, stuck buttons) to the organizers' devices page.

        The panel lives in this process; the organizer pages may not, so its state goes through the database,
        written only when it changes (an SD card should not take a write every second for nothing).
        """

        def run() -> None:
            last: Any = None
            while not self.sms_stop.wait(interval_s):
                try:
                    states = panel.status()
                    detail = {
                        str(b.name): ("STUCK (held down)" if b.stuck else f"{b.presses} presses")
                        + (f", last {b.last_press:%H:%M:%S} UTC" if b.last_press else "")
                        for b in states
                    }
                    stuck = [str(b.name) for b in states if b.stuck]
                    summary = (
                        f"Button stuck: {', '.join(stuck)}"
                        if stuck
                        else getattr(panel, "detail", "") or f"{len(states)} buttons OK"
                    )
                    if (detail, summary) != last:
                        set_device_status(
                            self.tally.engine,
                            "buttons",
                            ok=not stuck,
                            summary=summary,
                            detail=detail,
                            now=self.tally.clock(),
                        )
                        last = (detail, summary)
                except Exception:  # reporting must never disturb voting
                    log.exception("button status report failed")

        self.button_thread = threading.Thread(target=run, name="button-status", daemon=True)
        self.button_thread.start()

    def retry_storage_rewrite(self, interval_s: float = 60.0, wait_s: float = 5.0) -> None:
        """Finish a rewrite of the files that a close could not finish (another reader held the database)."""

        def run() -> None:
            while not self.sms_stop.wait(interval_s):
                try:
                    storage_order.finish_if_pending(self.tally.engine, wait_s=wait_s)
                except Exception:  # pragma: no cover - a retry must never end the thread
                    log.exception("retrying the rewrite of the database files failed")

        self.storage_thread = threading.Thread(target=run, name="storage-rewrite", daemon=True)
        self.storage_thread.start()

    def stop(self) -> None:
        self.sms_stop.set()
        if self.button_thread is not None:
            self.button_thread.join(5)
        if self.storage_thread is not None:
            self.storage_thread.join(10)
        self.worker.stop()
        self.printer.close()
        self.sms_stop.set()
        if self.sms_thread is not None:
            self.sms_thread.join(5)

    def printer_ok(self) -> bool:
        from kiosk.device_status import device_statuses

        status = device_statuses(self.tally.engine).get("printer")
        # Printing turned off is a choice, not trouble: the kiosk says nothing about it.
        return status is None or bool(status["ok"]) or status["summary"].startswith("Printing is not possible")

    # --- receipts -----------------------------------------------------------------------------------------

    def signin_receipt_requested(self, request: Any) -> None:
        """The kiosk's receipt hook: queue the sign-in receipt (never prints in the request itself)."""
        meeting = self.tally.meeting(request.meeting_code)
        receipt = signin_receipt_for(
            self.settings,
            meeting,
            display_name=request.display_name,
            kind=getattr(request, "kind", "member"),
            token=request.token,
            language=request.language,
            reprint=request.reprint,
        )
        # One receipt per token (the queue refuses a second job with this key); the key holds only the token's hash.
        key = f"signin:{self.tally.token_hash(request.token)}" if request.token else f"signin:{uuid.uuid4()}"
        if request.reprint:
            key = f"reprint:{key}:{self.tally.clock().timestamp()}:{uuid.uuid4().hex[:8]}"
        self.queue.submit("signin", key, receipt.to_json(), meeting_code=request.meeting_code, reprint=request.reprint)
        if getattr(request, "signin_id", None) is not None:
            try:  # so that a reprint at the desk comes out in this language; the receipt is queued either way
                self.tally.remember_receipt_language(request.signin_id, request.language)
            except KioskError as exc:
                log.warning(
                    "the receipt's language was not kept (a desk reprint will use the member's or English): %s",
                    describe_storage(exc),
                )

    def ballot_receipt_requested(
        self, meeting_code: str, verification_code: str, choices: Any, language: str, rankings: Any = ()
    ) -> None:
        meeting = self.tally.meeting(meeting_code)
        verify_url = verification_url(self.settings, verification_code)
        if meeting.show_choices_on_receipt:
            # The attendee reads the planks and contests in their language; an untranslated one prints as written.
            titles = {p.title: p.title_in(language).text for p in self.tally.planks(meeting_code)}
            choices = [(titles.get(title, title), choice) for title, choice in choices]
            contest_titles = {c.title: c.title_in(language).text for c in self.tally.contests(meeting_code)}
            rankings = [(contest_titles.get(title, title), names) for title, names in rankings]
        receipt = ballot_receipt(
            organization=self.settings.organization.name,
            meeting_title=meeting.title,
            verification_code=verification_code,
            verify_url=verify_url,
            choices=(list(choices) or None) if meeting.show_choices_on_receipt else None,
            rankings=rankings if meeting.show_choices_on_receipt else None,
            language=language,
            columns=self.settings.printer.columns,
        )
        # The key must not hold the code: the row keeps its id and time after the payload is erased.
        self.queue.submit("ballot", f"ballot:{uuid.uuid4()}", receipt.to_json(), meeting_code=meeting_code)


def start_services(
    settings: Settings,
    tally: Tally,
    *,
    simulated: bool,
    sms_backend_factory: Callable[[], Any] | None = None,
    storage_retry_s: float = 60.0,
) -> Services:
    p = settings.printer
    # Only the demo has a preview page for the console printer; `kiosk serve` keeps no receipt anywhere but on screen.
    printer = open_printer(
        p.url, profile=p.profile, columns=p.columns, timeout=p.timeout_s, codepage=p.codepage, preview=simulated
    )
    queue = PrintQueue(tally.engine)
    tally.on_close(forget_ballot_receipts)  # as open_tally does; also for a tally built by hand (tests, benches)
    worker = PrintWorker(queue, printer, Receipt.from_json)
    worker.start()
    services = Services(settings, tally, queue, printer, worker)
    services.retry_storage_rewrite(storage_retry_s)
    if simulated:
        from sms.backends import ConsoleBackend
        from sms.daemon import run_gateway

        backend = sms_backend_factory() if sms_backend_factory else ConsoleBackend()
        services.sms_backend = backend
        services.sms_thread = threading.Thread(
            target=run_gateway,
            args=(settings, tally, backend),
            kwargs={"stop": services.sms_stop, "poll_interval": 0.5},
            name="sms-gateway",
            daemon=True,
        )
        services.sms_thread.start()
    log.info("print worker started (%s)", printer.description)
    if printer.description == "console" and not simulated:
        log.warning("no receipt printer is configured ([printer] url = console): receipts appear on the screen only")
    return services
