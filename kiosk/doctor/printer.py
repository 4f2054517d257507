"""Check: the receipt printer answers (or prints a test page with ``--print-test``), and what the running kiosk's
print worker last reported."""

from __future__ import annotations

import logging

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status

log = logging.getLogger(__name__)

FIX = (
    "Check that the printer is switched on, its cable is in, its cover is closed and it has paper; "
    "then check [printer] url. `kiosk printer test` prints a test page."
)


def check(env: Environment, settings: Settings) -> list[Finding]:
    return [*_probe(env, settings), *_print_queue_report(settings)]


def _print_queue_report(settings: Settings) -> list[Finding]:
    """What the running kiosk's print worker last said: a printer that answers the doctor's status query
    can still have dropped mid-receipt, and receipts may be waiting."""
    from kiosk import db
    from kiosk.backup import sqlite_path
    from kiosk.device_status import device_statuses
    from kiosk.print_queue import PrintQueue

    path = sqlite_path(settings)
    if settings.printer.url == "none" or (path is not None and not path.exists()):
        return []
    engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
    try:
        status = device_statuses(engine).get("printer")
        waiting = PrintQueue(engine).pending()
    except Exception as exc:  # no tables yet, an old schema: the database check says so
        log.debug("print queue report unavailable: %s", exc)
        return []
    finally:
        engine.dispose()
    if status is None or status["ok"]:
        return []
    return [
        Finding(
            "print queue",
            Status.FAIL,
            f"the kiosk's print worker reports: {status['summary']} ({waiting} receipt(s) waiting, "
            f"as of {status['updated_at']:%H:%M:%S} UTC)",
            "Fix the printer (power, cable, paper, cover); waiting receipts then print by themselves, in order, "
            "each once. Receipts cut off by a restart are listed on the organizer devices page for reprinting.",
        )
    ]


def _probe(env: Environment, settings: Settings) -> list[Finding]:
    from hardware.printer import PrinterError, open_printer, print_test_page

    p = settings.printer
    if p.url == "none":
        return [Finding("printer", Status.WARN, "printing is turned off ([printer] url = none)", "")]
    if p.url == "console":
        return [
            Finding(
                "printer",
                Status.WARN,
                "receipts are shown on screen only ([printer] url = console)",
                "Set [printer] url to your printer (e.g. usb:04b8:0202 or network:192.168.1.50).",
            )
        ]
    try:
        printer = open_printer(p.url, profile=p.profile, columns=p.columns, timeout=p.timeout_s, codepage=p.codepage)
    except (ValueError, PrinterError) as exc:
        return [Finding("printer", Status.FAIL, str(exc), "Correct [printer] url in the configuration.")]
    try:
        if env.options.print_test:
            try:
                summary = print_test_page(printer)
            except PrinterError as exc:
                return [Finding("printer", Status.FAIL, f"the test page did not print: {exc}", FIX)]
            return [Finding("printer", Status.OK, summary)]
        status = printer.status()
    finally:
        printer.close()
    if status.online is False:
        return [Finding("printer", Status.FAIL, status.detail, FIX)]
    if status.paper == "out":
        return [Finding("printer", Status.FAIL, status.detail, "Load a new paper roll.")]
    if status.paper == "low":
        return [Finding("printer", Status.WARN, status.detail, "Have a spare paper roll ready.")]
    return [Finding("printer", Status.OK, f"{status.detail} (add --print-test to print a test page)")]
