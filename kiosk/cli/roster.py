"""``kiosk roster`` and ``kiosk people``: the member roster, and who is on it (signed in or not)."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for, output_flags, print_json, read_file


def cmd_roster_import(args: argparse.Namespace) -> int:
    report = open_tally_for(args).import_roster(read_file(args.file), actor="cli")
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_people(args: argparse.Namespace) -> int:
    from kiosk.people import current_meeting, roster_people

    tally = open_tally_for(args)
    meeting = tally.meeting(args.meeting) if args.meeting else current_meeting(tally)
    people = roster_people(tally, meeting)
    if args.json:
        print_json({"meeting": meeting.code if meeting else None, "people": [p.as_dict() for p in people]})
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


def add_commands(sub: Any, command: CommandAdder) -> None:
    roster = sub.add_parser("roster", help="the member roster").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        roster, "import", cmd_roster_import, "import or update members from a CSV (name, phone, email, status, joined)"
    )
    p.add_argument("file")
    output_flags(p)


def add_people_command(sub: Any, command: CommandAdder) -> None:
    p = command(sub, "people", cmd_people, "who is on the roster: name, masked phone, status, signed in or not")
    p.add_argument(
        "--meeting", metavar="CODE", help="say who has signed in at this meeting (default: the open meeting, if one)"
    )
    output_flags(p)
