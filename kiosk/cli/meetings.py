"""``kiosk meeting``, ``planks``, ``rsvps``, ``results``, ``test-deck`` and ``token``: a meeting's life from draft to
close, its planks, RSVPs and results, and reissuing a lost ballot token."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from typing import Any

from kiosk.cli.common import EXIT_ERROR, CommandAdder, open_tally_for, output_flags, print_json, read_file
from kiosk.config import Settings
from kiosk.errors import StateError
from kiosk.tally import MeetingState


def cmd_meeting_create(args: argparse.Namespace) -> int:
    meeting = open_tally_for(args).create_meeting(
        code=args.code,
        title=args.title,
        starts=args.starts,
        place=args.place or "",
        quorum=args.quorum,
        min_membership_days=args.min_days,
        guests_may_vote=args.guests_may_vote,
        show_choices_on_receipt=args.show_choices,
        min_attended=args.min_attended,
        of_last=args.of_last,
    )
    print(f"created meeting {meeting.code}: {meeting.title}, {meeting.local_start:%a %b %d %Y %H:%M %Z}")
    if meeting.min_attended:
        print(
            f"members vote if they attended at least {meeting.min_attended} of the last {meeting.of_last} closed "
            "meetings (counted when sign-in opens)"
        )
    return 0


def cmd_meeting_list(args: argparse.Namespace) -> int:
    meetings = open_tally_for(args).meetings()
    if args.json:
        print_json([m.as_dict() for m in meetings])
    for m in [] if args.json else meetings:
        print(f"{m.code:8} {m.state:12} {m.local_start:%Y-%m-%d %H:%M}  {m.title}")
    if not meetings and not args.json:
        print("no meetings yet")
    return 0


def cmd_meeting_show(args: argparse.Namespace) -> int:
    tally = open_tally_for(args)
    meeting = tally.meeting(args.code)
    info = meeting.as_dict() | {
        "planks": [{"title": p.title, "threshold": str(p.threshold)} for p in tally.planks(args.code)],
        "contests": [
            {"title": c.title, "seats": c.seats, "method": str(c.method), "candidates": len(c.candidates)}
            for c in tally.contests(args.code)
        ],
    }
    window = tally.attendance_window(args.code)
    if window is not None:  # the closed meetings the attendance rule counts (as of now while in draft)
        info["attendance_window"] = window.as_dict()
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            if key not in ("planks", "contests", "attendance_window"):
                print(f"{key}: {value}")
        if window is not None:
            when = "fixed when sign-in opened" if window.fixed else "as of now; fixed when sign-in opens"
            print(
                f"attendance rule: {window.needed} needed of {', '.join(window.counted) or 'no closed meetings'} "
                f"({when})"
            )
        for i, plank in enumerate(info["planks"], start=1):
            print(f"plank {i}: {plank['title']} ({plank['threshold']})")
        for i, contest in enumerate(info["contests"], start=1):
            print(
                f"contest {i}: {contest['title']} ({contest['seats']} seats, {contest['method']}, "
                f"{contest['candidates']} candidates; `kiosk contests list` shows them)"
            )
    return 0


def _state_command(state: MeetingState) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        tally = open_tally_for(args)
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
    report = open_tally_for(args).import_planks(args.code, read_file(args.file), actor="cli")
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_rsvps(args: argparse.Namespace) -> int:
    tally = open_tally_for(args)
    rsvps = tally.current_rsvps(args.code)
    what = "rsvps (json)" if args.json else "rsvps"
    tally.record_event("exported", actor="cli", meeting_code=tally.meeting(args.code).code, file=what)
    if args.json:
        print_json([r.as_dict() for r in rsvps])
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
        print_json(released.as_dict() if released is not None else results.as_dict())
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
        if released is not None and released.contests:
            from kiosk.cli.contest_results import print_contests

            print_contests(released.contests)
        elif released is not None and released.contest_setup:
            print(f"{len(released.contest_setup)} ranked-choice contest(s): counted when voting closes")
        if released is not None and str(released.release) == "stepped":
            print(
                f"live figures: {released.counted} of {results.ballots_cast} ballots counted; they move in steps "
                f"of at least {released.step} ballots until voting closes"
            )


def cmd_results(args: argparse.Namespace) -> int:
    """The figures every path shows (kiosk.live_figures): stepped by [organizer] live_step until the close."""
    from kiosk.live_figures import release_figures

    tally = open_tally_for(args)
    if args.rctab:
        return _export_rctab(tally, args)
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


def _export_rctab(tally: Any, args: argparse.Namespace) -> int:
    from kiosk.cli.contest_results import export_rctab_folder

    code = tally.meeting(args.code).code
    configs = export_rctab_folder(tally, code, args.rctab)
    tally.record_event("exported", actor="cli", meeting_code=code, file="contests (rctab)")
    for config in configs:
        print(f"wrote {config} (recount: kiosk rcv tabulate {config})")
    return 0


def cmd_test_deck(args: argparse.Namespace) -> int:
    from kiosk.testdeck import run_test_deck

    results = run_test_deck(open_tally_for(args), args.code, read_file(args.deck))
    _print_results(results, args)
    return 0


def cmd_token_reissue(args: argparse.Namespace) -> int:
    token = open_tally_for(args).reissue_token(args.code, args.signin, actor="cli", reason=args.reason)
    print(f"new ballot token for sign-in {args.signin}: {token} (the old one is void)")
    return 0


def add_meeting_commands(sub: Any, command: CommandAdder) -> Any:
    """``meeting``, ``planks`` and ``rsvps``; returns the ``meeting`` subcommands, which the printer module adds
    ``tally-tape`` to."""
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
    p.add_argument(
        "--min-attended",
        type=int,
        default=None,
        metavar="N",
        help="members vote only if they signed in at N or more of the last M closed meetings (with --of-last M)",
    )
    p.add_argument("--of-last", type=int, default=None, metavar="M", help="the M closed meetings --min-attended counts")
    p = command(meeting, "list", cmd_meeting_list, "list meetings")
    output_flags(p)
    p = command(meeting, "show", cmd_meeting_show, "show a meeting, its planks and its contests")
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
        "add or update planks from a CSV (title, text, threshold; title_es, text_es; amends or repeals)",
    )
    p.add_argument("code")
    p.add_argument("file")
    output_flags(p)

    p = command(sub, "rsvps", cmd_rsvps, "current RSVP per person for a meeting")
    p.add_argument("code")
    output_flags(p)
    return meeting


def add_results_commands(sub: Any, command: CommandAdder) -> None:
    """``results`` and ``test-deck``."""
    p = command(sub, "results", cmd_results, "results of a meeting")
    p.add_argument("code")
    output_flags(p, csv_too=True)
    p.add_argument(
        "--rctab",
        metavar="FOLDER",
        help="after the close: write each contest as NIST CDF cast vote records and an RCTab config into FOLDER",
    )

    p = command(sub, "test-deck", cmd_test_deck, "logic-and-accuracy test: cast a CSV deck on a scratch copy")
    p.add_argument("code")
    p.add_argument("deck", metavar="DECK.csv")
    output_flags(p, csv_too=True)


def add_token_commands(sub: Any, command: CommandAdder) -> None:
    token = sub.add_parser("token", help="ballot tokens").add_subparsers(dest="sub", required=True, metavar="ACTION")
    p = command(token, "reissue", cmd_token_reissue, "void an unspent token and issue a new one (lost receipt)")
    p.add_argument("code")
    p.add_argument("--signin", type=int, required=True, help="the sign-in's number")
    p.add_argument("--reason", default="lost receipt")
