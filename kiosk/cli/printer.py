"""``kiosk printer`` (a test page, the printer's state and the print queue) and ``kiosk meeting tally-tape``."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for
from kiosk.config import Settings
from kiosk.errors import KioskError


def _printer(args: argparse.Namespace) -> Any:
    from hardware.printer import open_printer

    p = args.settings.printer
    try:
        return open_printer(
            args.url or p.url, profile=p.profile, columns=p.columns, timeout=p.timeout_s, codepage=p.codepage
        )
    except ValueError as exc:  # a printer URL that is not one: say which forms are allowed
        raise KioskError(str(exc)) from None


def cmd_printer_test(args: argparse.Namespace) -> int:
    from hardware.printer import PrinterError, print_test_page

    printer = _printer(args)
    try:
        print(print_test_page(printer, language=args.language))
    except PrinterError as exc:
        raise KioskError(f"the test page did not print: {exc}") from None
    finally:
        printer.close()
    return 0


def cmd_printer_status(args: argparse.Namespace) -> int:
    from kiosk.print_queue import PrintQueue

    printer = _printer(args)
    status = printer.status()
    queue = PrintQueue(open_tally_for(args).engine)
    print(f"printer {printer.description}: online {status.online}, paper {status.paper}; {status.detail}")
    print(f"print queue: {queue.pending()} waiting")
    for job in queue.jobs(limit=10):
        error = f" ({job.last_error})" if job.last_error else ""
        print(f"  job {job.id} {job.kind}{' reprint' if job.reprint else ''}: {job.state}{error}")
    printer.close()
    return 0


def cmd_tally_tape(args: argparse.Namespace) -> int:
    from kiosk.export import closing_tape
    from kiosk.print_queue import PrintQueue

    tally = open_tally_for(args)
    settings: Settings = args.settings
    key, tape = closing_tape(
        tally,
        args.code,
        organization=settings.organization.name,
        columns=settings.printer.columns,
        printed_at=tally.clock(),
        language=args.language,
    )
    code = tally.meeting(args.code).code
    if PrintQueue(tally.engine).submit("tally", key, tape.to_json(), meeting_code=code):
        print(f"tally tape for {code} queued for the printer (audit head and ballots hash on it)")
    else:
        print("this tally tape is already queued or printed; nothing has changed since")
    return 0


def add_commands(sub: Any, command: CommandAdder, meeting: Any) -> None:
    """``printer test|status``, and ``tally-tape`` on the ``meeting`` subcommands."""
    printer = sub.add_parser("printer", help="the receipt printer").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    for name, func, text in [
        ("test", cmd_printer_test, "print a test page and say what went wrong, in words"),
        ("status", cmd_printer_status, "the printer's state and the print queue"),
    ]:
        p = command(printer, name, func, text)
        p.add_argument("--url", help="a printer URL instead of the configured one (e.g. network:192.168.1.50)")
        p.add_argument("--language", choices=("en", "es"), default="en")
    p = command(meeting, "tally-tape", cmd_tally_tape, "queue the closing tally tape for the printer")
    p.add_argument("code")
    p.add_argument("--language", choices=("en", "es"), default="en")
