"""The background parts the web process runs next to the pages: the print worker (it owns the printer) and, in
the demo, the SMS gateway on the console backend. ``kiosk serve`` runs the print worker; the SMS gateway runs
as its own daemon (``kiosk sms run``) on a Pi, since it owns the modem's serial port or Twilio polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hardware.printer import ReceiptPrinter, open_printer
from kiosk.config import Settings
from kiosk.print_queue import PrintQueue, PrintWorker
from kiosk.receipts import Receipt, ballot_receipt, signin_receipt
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

    def stop(self) -> None:
        self.worker.stop()
        self.printer.close()
        self.sms_stop.set()
        if self.sms_thread is not None:
            self.sms_thread.join(5)

    # --- receipts -----------------------------------------------------------------------------------------

    def rsvp_hint(self, language: str) -> str:
        number = self.settings.organization.sms_number
        if not number:
            return ""
        return f"Texto SI al {number} para confirmar" if language == "es" else f"Text YES to {number} to RSVP"

    def signin_receipt_requested(self, request: Any) -> None:
        """The kiosk's receipt hook: queue the sign-in receipt (never prints in the request itself)."""
        meeting = self.tally.meeting(request.meeting_code)
        receipt = signin_receipt(
            organization=self.settings.organization.name,
            meeting_title=meeting.title,
            starts_at=meeting.local_start,
            display_name=request.display_name,
            kind=getattr(request, "kind", "member"),
            token=request.token,
            rsvp_hint=self.rsvp_hint(request.language),
            language=request.language,
            columns=self.settings.printer.columns,
            reprint=request.reprint,
        )
        key = f"signin:{request.meeting_code}:{request.token or request.display_name}"
        if request.reprint:
            key = f"reprint:{key}:{datetime.now(UTC).timestamp()}"
        self.queue.submit("signin", key, receipt.to_json(), meeting_code=request.meeting_code, reprint=request.reprint)

    def ballot_receipt_requested(self, meeting_code: str, verification_code: str, choices: Any, language: str) -> None:
        meeting = self.tally.meeting(meeting_code)
        verify_url = f"{self.settings.kiosk.public_url.rstrip('/')}/verify/{verification_code}"
        receipt = ballot_receipt(
            organization=self.settings.organization.name,
            meeting_title=meeting.title,
            verification_code=verification_code,
            verify_url=verify_url,
            choices=choices if meeting.show_choices_on_receipt else None,
            language=language,
            columns=self.settings.printer.columns,
        )
        self.queue.submit("ballot", f"ballot:{verification_code}", receipt.to_json(), meeting_code=meeting_code)


def start_services(
    settings: Settings, tally: Tally, *, simulated: bool, sms_backend_factory: Callable[[], Any] | None = None
) -> Services:
    p = settings.printer
    printer = open_printer(p.url, profile=p.profile, columns=p.columns, timeout=p.timeout_s)
    queue = PrintQueue(tally.engine)
    worker = PrintWorker(queue, printer, Receipt.from_json)
    worker.start()
    services = Services(settings, tally, queue, printer, worker)
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
    return services
