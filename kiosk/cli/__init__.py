"""The ``kiosk`` command. Errors are one clear line on stderr and a non-zero exit, never a traceback.

One module per command group (``meetings``, ``contests``, ``roster``, ``audit``, ``organizer``, ``sms``,
``printer``, ``serve``, ``pi``, ``platform``, ``ledger``; ``kiosk.rcv.command`` for ``rcv``), each with its handlers and
an ``add_commands`` that registers them; this module assembles the parser and runs a command.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from typing import Any

from kiosk import __version__, log_redaction
from kiosk.cli import audio, audit, contests, ledger, meetings, organizer, pi, platform, printer, roster, serve, sms
from kiosk.cli.common import EXIT_ERROR, Handler
from kiosk.config import load_settings
from kiosk.errors import KioskError
from kiosk.rcv.command import add_rcv_commands

log = logging.getLogger("kiosk")

# Commands that live as long as the process: they turn the garbage collector back on themselves, once their
# start-up objects are frozen (kiosk.server.freeze_startup_objects; kiosk.entry says why it was off).
LONG_RUNNING: frozenset[Handler] = frozenset({serve.cmd_serve, serve.cmd_demo, sms.cmd_sms_run})


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="configuration file (default: $KIOSK_CONFIG, else built-in defaults)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

    parser = argparse.ArgumentParser(
        prog="kiosk",
        parents=[common],
        description="Assembly Kiosk: meeting sign-in, secret ballots, receipts and RSVPs by text.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(subparsers: Any, name: str, func: Handler, help: str) -> Any:
        p = subparsers.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    # The order here is the order `kiosk --help` lists the commands in.
    serve.add_init_command(sub, command)
    roster.add_commands(sub, command)
    meeting = meetings.add_meeting_commands(sub, command)
    contests.add_commands(sub, command)
    roster.add_people_command(sub, command)
    meetings.add_results_commands(sub, command)
    platform.add_commands(sub, command)
    ledger.add_commands(sub, command)
    audio.add_commands(sub, command)
    audit.add_commands(sub, command)
    organizer.add_commands(sub, command)
    meetings.add_token_commands(sub, command)
    sms.add_commands(sub, command)
    printer.add_commands(sub, command, meeting)
    serve.add_commands(sub, command)
    pi.add_commands(sub, command)
    add_rcv_commands(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func not in LONG_RUNNING:
        gc.enable()
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log_redaction.install()  # a second line of defence: nothing token- or code-shaped reaches the log or journal
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        # doctor reports a bad configuration itself, with the fix
        args.settings = None if args.func is pi.cmd_doctor else load_settings(getattr(args, "config", None))
        return int(args.func(args))
    except KioskError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the promise is one line, never a traceback; -v shows it for bug reports
        if verbose:
            raise
        print(f"kiosk: unexpected error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
