"""The ``kiosk`` command. Errors are one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from kiosk import __version__, log_redaction
from kiosk.config import Settings, load_settings
from kiosk.errors import KioskError, StateError
from kiosk.rcv.command import add_rcv_commands
from kiosk.tally import MeetingState, Tally

log = logging.getLogger("kiosk")

EXIT_ERROR = 1


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KioskError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise KioskError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise KioskError(f"{path}: cannot read: {exc.strerror}") from None


def _tally(args: argparse.Namespace) -> Tally:
    from kiosk.runtime import open_tally

    return open_tally(args.settings)


# --- commands ---------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    _tally(args)
    print(f"database ready: {args.settings.database_display}")
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    report = _tally(args).import_roster(_read_file(args.file), actor="cli")
    if args.json:
        _print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_meeting_create(args: argparse.Namespace) -> int:
    meeting = _tally(args).create_meeting(
        code=args.code,
        title=args.title,
        starts=args.starts,
        place=args.place or "",
        quorum=args.quorum,
        min_membership_days=args.min_days,
        guests_may_vote=args.guests_may_vote,
        show_choices_on_receipt=args.show_choices,
    )
    print(f"created meeting {meeting.code}: {meeting.title}, {meeting.local_start:%a %b %d %Y %H:%M %Z}")
    return 0


def cmd_meeting_list(args: argparse.Namespace) -> int:
    meetings = _tally(args).meetings()
    if args.json:
        _print_json([m.as_dict() for m in meetings])
    for m in [] if args.json else meetings:
        print(f"{m.code:8} {m.state:12} {m.local_start:%Y-%m-%d %H:%M}  {m.title}")
    if not meetings and not args.json:
        print("no meetings yet")
    return 0


def cmd_meeting_show(args: argparse.Namespace) -> int:
    tally = _tally(args)
    meeting = tally.meeting(args.code)
    info = meeting.as_dict() | {
        "planks": [{"title": p.title, "threshold": str(p.threshold)} for p in tally.planks(args.code)]
    }
    if args.json:
        _print_json(info)
    else:
        for key, value in info.items():
            if key != "planks":
                print(f"{key}: {value}")
        for i, plank in enumerate(info["planks"], start=1):
            print(f"plank {i}: {plank['title']} ({plank['threshold']})")
    return 0


def _state_command(state: MeetingState) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        tally = _tally(args)
        meeting = tally.set_state(args.code, state, actor="cli")
        print(f"meeting {meeting.code} is now {meeting.state}")
        owed = tally.storage_order_pending() if state is MeetingState.CLOSED else None
        if owed:
            print(
                f"kiosk: error: voting is closed, but the database files STILL KEEP THE ORDER BALLOTS WERE CAST IN: "
                f"{owed}. Close the other program (a backup, a sqlite3 shell, a long query), then run "
                f"`kiosk meeting close {meeting.code}` again; a running kiosk also finishes it within a minute, and "
                "any kiosk command finishes it at its start. `kiosk doctor` shows whether it is still owed.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        return 0

    return run


def cmd_planks_import(args: argparse.Namespace) -> int:
    report = _tally(args).import_planks(args.code, _read_file(args.file), actor="cli")
    if args.json:
        _print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_rsvps(args: argparse.Namespace) -> int:
    tally = _tally(args)
    rsvps = tally.current_rsvps(args.code)
    what = "rsvps (json)" if args.json else "rsvps"
    tally.record_event("exported", actor="cli", meeting_code=tally.meeting(args.code).code, file=what)
    if args.json:
        _print_json([r.as_dict() for r in rsvps])
    else:
        for r in rsvps:
            guests = f" +{r.guests}" if r.guests else ""
            print(f"{r.answer:5}{guests:4} {r.name or '(no name)'} {r.phone or ''} via {r.source}")
        if not rsvps:
            print("no RSVPs yet")
    return 0


def _results_rows(results: Any) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            "meeting",
            "plank",
            "threshold",
            "yes",
            "no",
            "abstain",
            "yes_percent",
            "passed",
            "quorum_required",
            "quorum_present",
            "quorum_met",
            "ballots_issued",
            "ballots_cast",
        ]
    ]
    for p in results.planks:
        rows.append(
            [
                results.meeting,
                p.title,
                str(p.threshold),
                p.yes,
                p.no,
                p.abstain,
                p.yes_percent,
                p.passed,
                results.quorum.required,
                results.quorum.present,
                results.quorum.met,
                results.ballots_issued,
                results.ballots_cast,
            ]
        )
    return rows


def _print_results(results: Any, args: argparse.Namespace, released: Any = None) -> None:
    """Print results (a test deck's), or the figures ``released`` by ``kiosk.live_figures`` for a real meeting."""
    if released is not None:
        results = released.results
    if args.json:
        _print_json(released.as_dict() if released is not None else results.as_dict())
    elif args.csv:
        rows = _results_rows(results)
        if released is not None:
            rows[0] += ["figures", "ballots_counted"]
            for row in rows[1:]:
                row += [str(released.release), released.counted]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows(rows)
    else:
        q = results.quorum
        print(f"{results.meeting} {results.title} ({results.state})")
        print(
            f"quorum {q.present}/{q.required} {'met' if q.met else 'NOT met'}; "
            f"ballots issued {results.ballots_issued}, cast {results.ballots_cast}"
        )
        for p in results.planks:
            outcome = "PASSES" if p.passed else "fails"
            print(f"  {p.title}: yes {p.yes}, no {p.no}, abstain {p.abstain} ({p.threshold}) {outcome}")
        if released is not None and str(released.release) == "stepped":
            print(
                f"live figures: {released.counted} of {results.ballots_cast} ballots counted; they move in steps "
                f"of at least {released.step} ballots until voting closes"
            )


def cmd_results(args: argparse.Namespace) -> int:
    """The figures every path shows (kiosk.live_figures): stepped by [organizer] live_step until the close."""
    from kiosk.live_figures import release_figures

    tally = _tally(args)
    settings: Settings = args.settings
    released = release_figures(tally, args.code, step=settings.organizer.live_step)
    if released.withheld:
        raise StateError(f"meeting {released.results.meeting} hides results until voting closes")
    fmt = "json" if args.json else "csv" if args.csv else "text"
    tally.record_event(
        "exported",
        actor="cli",
        meeting_code=released.results.meeting,
        file=f"results ({fmt})",
        figures=str(released.release),
        counted=released.counted,
    )
    _print_results(None, args, released)
    return 0


def cmd_people(args: argparse.Namespace) -> int:
    from kiosk.people import current_meeting, roster_people

    tally = _tally(args)
    meeting = tally.meeting(args.meeting) if args.meeting else current_meeting(tally)
    people = roster_people(tally, meeting)
    if args.json:
        _print_json({"meeting": meeting.code if meeting else None, "people": [p.as_dict() for p in people]})
        return 0
    if not people:
        print("nobody on the roster yet: `kiosk roster import FILE.csv` adds people")
        return 0
    width = max(len(p.name) for p in people)
    for p in people:
        signed = "" if p.signed_in is None else "  signed in" if p.signed_in else "  not signed in"
        print(f"{p.name:{width}}  {p.masked_phone or '(no phone)':13}  {p.status:8}{signed}".rstrip())
    where = f"; signed in at {meeting.code}: {sum(1 for p in people if p.signed_in)}" if meeting else ""
    print(f"{len(people)} on the roster{where}")
    return 0


# --- organizer accounts and meeting bundles (organizer pages) ----------------------------------------------


def _verify_bundle(path: str, tape_head: str | None = None, ballots_hash: str | None = None) -> int:
    """Check a meeting bundle on its own, with no database: audit chain, ballots hash, results."""
    from kiosk.export import verify_bundle

    report = verify_bundle(_read_file(path), tape_head=tape_head, tape_ballots_hash=ballots_hash)
    if report.ok:
        compared = [name for name, given in (("tape head", tape_head), ("ballots hash", ballots_hash)) if given]
        print(
            f"bundle OK: meeting {report.meeting}, {report.ballots} ballots, {report.entries} audit entries\n"
            f"  audit head   {report.audit_head}\n  ballots hash {report.ballots_hash}\n"
            + (
                f"The tally tape's {' and '.join(compared)} match."
                if compared
                else "Compare both with the closing tally tape (or pass --tape-head and --ballots-hash)."
            )
        )
        return 0
    print(f"bundle FAILED: {len(report.problems)} problems", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_ERROR


_TAPE_HASH = re.compile(r"[0-9a-f]{64}")


def _tape_hash(value: str | None, option: str) -> str | None:
    """A hash copied from the tally tape: the full 64 hex digits, or the verification refuses to run (a short or
    mistyped value must never be 'checked' by matching nothing, or by being ignored)."""
    if value is None:
        return None
    text = "".join(value.split()).lower()
    if not _TAPE_HASH.fullmatch(text):
        raise KioskError(f"{option} must be the 64-character hash printed on the tally tape, not {value!r}")
    return text


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Every value given is compared; a verification with nothing it can compare refuses to run."""
    tape_head = _tape_hash(args.tape_head, "--tape-head")
    ballots_hash = _tape_hash(args.ballots_hash, "--ballots-hash")
    if getattr(args, "bundle", None):
        return _verify_bundle(args.bundle, tape_head, ballots_hash)
    from kiosk.runtime import open_tally

    # Never create or upgrade a database to verify it: a wrong path must fail, not check an empty log.
    tally = open_tally(args.settings, migrate=False)
    report = tally.audit_verify()
    problems = list(report.problems)
    if tape_head is not None and tape_head not in {e.hash for e in tally.audit_entries()}:
        problems.append("the tally tape's audit hash is not an entry of this database's audit log")
    if ballots_hash is not None:
        from kiosk.export import ballots_hash as hash_of
        from kiosk.export import meeting_ballots

        closed = [m.code for m in tally.meetings() if m.state is MeetingState.CLOSED]
        if ballots_hash not in {hash_of(meeting_ballots(tally, code)) for code in closed}:
            problems.append("the tally tape's ballots hash is not that of any closed meeting in this database")
    if not problems:
        print(f"audit log OK: {report.entries} entries, head {report.head}")
        for name, given in (("audit hash", tape_head), ("ballots hash", ballots_hash)):
            if given:
                print(f"  the tally tape's {name} matches")
        return 0
    print(f"audit log FAILED: {len(problems)} problems in {report.entries} entries", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_ERROR


def cmd_organizer_add(args: argparse.Namespace) -> int:
    import getpass

    from kiosk.accounts import add_organizer, check_name

    name = check_name(args.name)
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise KioskError(
                "no password on stdin: pipe one line, e.g. `kiosk organizer add NAME --password-stdin < file`"
            )
        password = line.rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(f"Password for {name}: ")
            again = getpass.getpass("Again: ")
        except EOFError:  # no terminal and nothing piped in
            raise KioskError(
                "no password was typed (the input ended); run it in a terminal, or pipe one line with "
                "--password-stdin. Nothing was changed"
            ) from None
        if again != password:
            raise KioskError("the two passwords differ; nothing was changed")
    created = add_organizer(_tally(args).engine, name, password)
    print(f"organizer {name} {'added' if created else 'now has a new password'}")
    return 0


def cmd_organizer_list(args: argparse.Namespace) -> int:
    from kiosk.accounts import list_organizers

    found = list_organizers(_tally(args).engine)
    if args.json:
        _print_json([{"name": o.name, "created_at": o.created_at.isoformat(), "sessions": o.sessions} for o in found])
        return 0
    if not found:
        print("no organizers yet: add one with `kiosk organizer add NAME`")
    for o in found:
        print(f"{o.name}\tadded {o.created_at:%Y-%m-%d}\t{o.sessions} session(s) logged in")
    return 0


def cmd_organizer_remove(args: argparse.Namespace) -> int:
    from kiosk.accounts import remove_organizer

    ended = remove_organizer(_tally(args).engine, args.name)
    print(f"organizer {args.name} removed; {ended} logged-in session(s) ended")
    return 0


def cmd_test_deck(args: argparse.Namespace) -> int:
    from kiosk.testdeck import run_test_deck

    results = run_test_deck(_tally(args), args.code, _read_file(args.deck))
    _print_results(results, args)
    return 0


def cmd_token_reissue(args: argparse.Namespace) -> int:
    token = _tally(args).reissue_token(args.code, args.signin, actor="cli", reason=args.reason)
    print(f"new ballot token for sign-in {args.signin}: {token} (the old one is void)")
    return 0


def _gateway(args: argparse.Namespace) -> Any:
    from sms.gateway import Gateway

    settings: Settings = args.settings
    return Gateway(
        _tally(args), organization=settings.organization.name, replies_per_hour=settings.sms.replies_per_hour
    )


def cmd_sms_receive(args: argparse.Namespace) -> int:
    import uuid

    from sms.backends import InboundText

    gateway = _gateway(args)
    received_at = gateway.tally.clock()  # the tally's clock, like every other moment it records
    handled = gateway.receive(InboundText(f"cli-{uuid.uuid4()}", args.sender, args.text, received_at))
    if args.json:
        _print_json(handled.as_dict())
    else:
        print(handled.reply or "(no reply)")
    return 0


def cmd_sms_send(args: argparse.Namespace) -> int:
    from sms.segments import segment_count

    gateway = _gateway(args)
    tally = gateway.tally
    if args.text is None and args.meeting is None:
        raise KioskError("give --text, or --meeting CODE with --invite or --reminder")
    meeting = tally.meeting(args.meeting) if args.meeting else None
    if meeting is not None and args.text is None and meeting.state is MeetingState.CLOSED:
        raise StateError(
            f"meeting {meeting.code} is closed: its invitation and reminder can no longer be sent "
            "(--text sends a text of your own)"
        )
    if args.text is not None:
        body = args.text
    elif meeting is not None and args.reminder:
        body = gateway.reminder_text(meeting)
    elif meeting is not None:
        body = gateway.invitation_text(meeting)
    audience = "to" if args.to else args.audience
    if audience == "yes" and meeting is None:
        raise KioskError("--audience yes needs --meeting CODE")
    code = meeting.code if meeting else None
    who = gateway.audience(audience, code, to=args.to)
    phones, recipients = who.phones, who.texted
    segments = segment_count(body)
    print(body)
    print(
        f"{len(recipients)} recipients × {segments.segments} segment(s) ({segments.encoding}) = "
        f"{len(recipients) * segments.segments} segments; {len(phones) - len(recipients)} opted out and skipped"
    )
    if not args.yes:
        print("nothing sent: add --yes to queue these texts")
        return 0
    kind = "reminder" if args.reminder else "invitation" if meeting is not None else "manual"
    # the same path as the organizer page: the same text (or --key) to the same audience is queued once; the
    # meeting's own invitation or reminder goes to each member in their language
    render = None
    if args.text is None and meeting is not None:
        render = partial(gateway.reminder_text if args.reminder else gateway.invitation_text, meeting)
    queued = gateway.queue_to_audience(
        body, kind=kind, audience=audience, meeting_code=code, to=args.to, name=args.key, render=render
    )
    print(f"queued {queued} texts (already-queued ones are never sent twice)")
    return 0


def cmd_sms_status(args: argparse.Namespace) -> int:
    from kiosk.device_status import device_statuses

    gateway = _gateway(args)
    info = {
        "backend": args.settings.sms.backend,
        "queue": gateway.queue_counts(),
        "devices": {k: v["summary"] for k, v in device_statuses(gateway.engine).items() if k.startswith("sms")},
        "inbox": len(gateway.inbox()),
    }
    if args.json:
        _print_json(info)
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def cmd_sms_run(args: argparse.Namespace) -> int:
    import threading

    from sms.daemon import install_signal_handlers, run_gateway
    from sms.factory import open_backend

    stop = threading.Event()
    install_signal_handlers(stop)
    from kiosk.backup import sqlite_path
    from kiosk.db_inuse import holding

    backend = open_backend(args.settings)
    with holding(sqlite_path(args.settings)):  # so `kiosk restore` refuses while the gateway runs
        print(f"SMS gateway running with the {backend.name} backend", flush=True)
        from kiosk.server import freeze_startup_objects

        freeze_startup_objects()  # what was imported lives as long as the daemon: no collection walks it
        run_gateway(args.settings, _tally(args), backend, stop=stop)
    return 0


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
    queue = PrintQueue(_tally(args).engine)
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

    tally = _tally(args)
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


def cmd_config_template(args: argparse.Namespace) -> int:
    from kiosk.config import template

    print(template(), end="")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    print(f"configuration OK ({settings.source}); database: {settings.database_display}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.server import run_demo

    return run_demo(args.settings, port=args.port, host=args.host, organizer_port=args.organizer_port, reset=args.reset)


def cmd_serve(args: argparse.Namespace) -> int:
    from kiosk.server import run_server

    return run_server(args.settings, host=args.host, port=args.port, organizer_port=args.organizer_port)


# --- running on a Pi: install, doctor, backup, restore (kiosk/install.py, doctor.py, backup.py) ----------------


def cmd_install(args: argparse.Namespace) -> int:
    from kiosk.install import layout_for, run

    systemctl = False if args.no_systemctl else None
    for line in run(
        layout_for(args.root, args.kiosk_exe), uninstall=args.uninstall, dry_run=args.dry_run, systemctl=systemctl
    ):
        print(line)
    if not args.uninstall and not args.dry_run:
        print("next: edit /etc/assembly-kiosk/kiosk.toml, then `sudo systemctl start assembly-kiosk.target`")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import Doctor, Options, failed, format_report, report_json

    options = Options(print_test=args.print_test, buttons=args.buttons, online=args.online)
    findings = Doctor(options).run(getattr(args, "config", None))
    print(report_json(findings) if args.json else format_report(findings))
    return EXIT_ERROR if failed(findings) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk.backup import backup_database

    result = backup_database(args.settings, Path(args.folder) if args.folder else None)
    print(f"backed up to {result.backup.path} ({result.backup.size} bytes, {result.seconds:.2f} s)")
    for path in result.deleted:
        print(f"deleted old backup {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kiosk.backup import restore_database

    kept = restore_database(args.settings, Path(args.file), force=args.force)
    print(f"restored {args.file}; the replaced database is kept as {kept}" if kept else f"restored {args.file}")
    print("check it: `kiosk audit verify` and `kiosk meeting list`; then start the kiosk again")
    return 0


def add_pi_commands(sub: Any, command: Callable[..., Any]) -> None:
    p = command(sub, "install", cmd_install, "set up this Raspberry Pi: user, data folder, systemd units (as root)")
    p.add_argument("--dry-run", action="store_true", help="print what would be done and change nothing")
    p.add_argument("--uninstall", action="store_true", help="remove the units (never the data or configuration)")
    p.add_argument("--root", metavar="DIR", help="install into DIR instead of / (for tests and image building)")
    p.add_argument("--no-systemctl", action="store_true", help="write the units but do not enable them")
    p.add_argument("--kiosk-exe", metavar="PATH", help=argparse.SUPPRESS)
    p = command(sub, "doctor", cmd_doctor, "check configuration, database, disk, printer, buttons, SMS and clock")
    p.add_argument("--print-test", action="store_true", help="print a test page")
    p.add_argument("--buttons", action="store_true", help="ask for a press of each button")
    p.add_argument("--online", action="store_true", help="call the Twilio API to check the credentials")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(sub, "backup", cmd_backup, "copy the database to the backup folder (consistent while running)")
    p.add_argument("--folder", metavar="DIR", help="another folder, e.g. a USB stick (default: [backup] folder)")
    p = command(sub, "restore", cmd_restore, "put a backup in place of the database (keeps the replaced one)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="restore even though the kiosk service is running")


# --- parser -----------------------------------------------------------------------------------------------


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

    def command(subparsers: Any, name: str, func: Callable[[argparse.Namespace], int], help: str) -> Any:
        p = subparsers.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    def output_flags(p: argparse.ArgumentParser, csv_too: bool = False) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--json", action="store_true", help="print JSON")
        if csv_too:
            group.add_argument("--csv", action="store_true", help="print CSV")
        p.set_defaults(csv=False)

    command(sub, "init", cmd_init, "create or upgrade the database")

    roster = sub.add_parser("roster", help="the member roster").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        roster, "import", cmd_roster_import, "import or update members from a CSV (name, phone, email, status, joined)"
    )
    p.add_argument("file")
    output_flags(p)

    meeting = sub.add_parser("meeting", help="meetings").add_subparsers(dest="sub", required=True, metavar="ACTION")
    p = command(meeting, "create", cmd_meeting_create, "create a meeting (in draft)")
    p.add_argument("--code", required=True, help="short code used in texts, e.g. GA12")
    p.add_argument("--title", required=True)
    p.add_argument("--starts", required=True, help="start, e.g. 2026-12-03T19:00 (local time) or with an offset")
    p.add_argument("--place")
    p.add_argument("--quorum", default="0", help="a head count (25) or a share of members in good standing (20%%)")
    p.add_argument("--min-days", type=int, default=None, help="members must have joined at least N days before")
    p.add_argument("--guests-may-vote", action="store_true", help="guests receive ballots too")
    p.add_argument("--show-choices", action="store_true", help="print choices on the ballot receipt")
    p = command(meeting, "list", cmd_meeting_list, "list meetings")
    output_flags(p)
    p = command(meeting, "show", cmd_meeting_show, "show a meeting and its planks")
    p.add_argument("code")
    output_flags(p)
    for name, state, text in [
        ("open-signin", MeetingState.SIGNIN_OPEN, "open sign-in"),
        ("open-voting", MeetingState.VOTING_OPEN, "open voting (sign-in stays open)"),
        ("close", MeetingState.CLOSED, "close the meeting (final; cannot be reopened)"),
    ]:
        command(meeting, name, _state_command(state), text).add_argument("code")

    planks = sub.add_parser("planks", help="planks of a meeting").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        planks,
        "import",
        cmd_planks_import,
        "add or update planks from a CSV (title, text, threshold; title_es, text_es)",
    )
    p.add_argument("code")
    p.add_argument("file")
    output_flags(p)

    p = command(sub, "rsvps", cmd_rsvps, "current RSVP per person for a meeting")
    p.add_argument("code")
    output_flags(p)

    p = command(sub, "people", cmd_people, "who is on the roster: name, masked phone, status, signed in or not")
    p.add_argument(
        "--meeting", metavar="CODE", help="say who has signed in at this meeting (default: the open meeting, if one)"
    )
    output_flags(p)

    p = command(sub, "results", cmd_results, "results of a meeting")
    p.add_argument("code")
    output_flags(p, csv_too=True)

    p = command(sub, "test-deck", cmd_test_deck, "logic-and-accuracy test: cast a CSV deck on a scratch copy")
    p.add_argument("code")
    p.add_argument("deck", metavar="DECK.csv")
    output_flags(p, csv_too=True)

    from kiosk.audio.cli import cmd_audio_build

    audio_cmd = sub.add_parser("audio", help="the audio ballot (headphones)").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(audio_cmd, "build", cmd_audio_build, "render a meeting's audio ballot now (espeak-ng, offline)")
    p.add_argument("code")
    output_flags(p)

    audit_cmd = sub.add_parser("audit", help="the audit log").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(audit_cmd, "verify", cmd_audit_verify, "check the audit log's hash chain, or a meeting bundle")
    p.add_argument("bundle", nargs="?", metavar="BUNDLE", help="a meeting bundle (JSON) to check instead, no database")
    p.add_argument(
        "--tape-head", metavar="HASH", help="the audit hash printed on the tally tape: must be an entry of the log"
    )
    p.add_argument(
        "--ballots-hash",
        metavar="HASH",
        help="the ballots hash printed on the tally tape: must match the bundle's (or a closed meeting's) ballots",
    )

    organizer = sub.add_parser("organizer", help="organizer accounts").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(organizer, "add", cmd_organizer_add, "add an organizer (or set a new password); asks twice")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    p = command(organizer, "list", cmd_organizer_list, "list organizer accounts and how many are logged in")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(organizer, "remove", cmd_organizer_remove, "remove an organizer and end their logged-in sessions")
    p.add_argument("name")

    token = sub.add_parser("token", help="ballot tokens").add_subparsers(dest="sub", required=True, metavar="ACTION")
    p = command(token, "reissue", cmd_token_reissue, "void an unspent token and issue a new one (lost receipt)")
    p.add_argument("code")
    p.add_argument("--signin", type=int, required=True, help="the sign-in's number")
    p.add_argument("--reason", default="lost receipt")

    sms = sub.add_parser("sms", help="texts: RSVPs, replies, reminders").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        sms, "receive", cmd_sms_receive, "handle one inbound text exactly as the gateway would; print the reply"
    )
    p.add_argument("--from", dest="sender", required=True, metavar="PHONE")
    p.add_argument("text")
    output_flags(p)
    p = command(sms, "send", cmd_sms_send, "queue an invitation, a reminder or a text (shows recipients × segments)")
    p.add_argument("--meeting", metavar="CODE")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--invite", action="store_true", help="the meeting's invitation (default with --meeting)")
    kind.add_argument("--reminder", action="store_true", help="the meeting's reminder, with plank titles")
    kind.add_argument("--text", help="your own text")
    p.add_argument("--to", metavar="PHONE", help="one number instead of a list")
    p.add_argument(
        "--audience",
        choices=("members", "yes"),
        default="members",
        help="members with a phone (default) or the meeting's YES RSVPs",
    )
    p.add_argument("--key", help="a name for this send, so repeating the command never texts anyone twice")
    p.add_argument("--yes", action="store_true", help="really queue the texts")
    p = command(sms, "status", cmd_sms_status, "the backend, the outbound queue and the inbox")
    output_flags(p)
    command(sms, "run", cmd_sms_run, "run the SMS gateway daemon (for systemd)")

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

    config = sub.add_parser("config", help="the configuration file").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    command(config, "template", cmd_config_template, "print a documented configuration file with every default")
    command(config, "check", cmd_config_check, "validate the configuration")

    p = command(sub, "demo", cmd_demo, "run the kiosk with simulated hardware and a seeded demo meeting")
    p.add_argument("--port", type=int, default=None, help="the kiosk's port (default: [server] port, 8080)")
    p.add_argument(
        "--organizer-port", type=int, default=None, help="the organizer pages' port (default: [organizer] port, 8081)"
    )
    p.add_argument(
        "--reset",
        action="store_true",
        help="start over: delete the demo database first (a fresh demo meeting and organizer password)",
    )
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)

    p = command(sub, "serve", cmd_serve, "run the kiosk web server with the configured hardware")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None, help="the kiosk's port (default: [server] port)")
    p.add_argument(
        "--organizer-port", type=int, default=None, help="the organizer pages' port (default: [organizer] port)"
    )
    add_pi_commands(sub, command)
    add_rcv_commands(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log_redaction.install()  # a second line of defence: nothing token- or code-shaped reaches the log or journal
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        # doctor reports a bad configuration itself, with the fix
        args.settings = None if args.func is cmd_doctor else load_settings(getattr(args, "config", None))
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
