"""``kiosk organizer``: organizer accounts for the organizer pages."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for, print_json
from kiosk.errors import KioskError


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
    created = add_organizer(open_tally_for(args).engine, name, password)
    print(f"organizer {name} {'added' if created else 'now has a new password'}")
    return 0


def cmd_organizer_list(args: argparse.Namespace) -> int:
    from kiosk.accounts import list_organizers

    found = list_organizers(open_tally_for(args).engine)
    if args.json:
        print_json([{"name": o.name, "created_at": o.created_at.isoformat(), "sessions": o.sessions} for o in found])
        return 0
    if not found:
        print("no organizers yet: add one with `kiosk organizer add NAME`")
    for o in found:
        print(f"{o.name}\tadded {o.created_at:%Y-%m-%d}\t{o.sessions} session(s) logged in")
    return 0


def cmd_organizer_remove(args: argparse.Namespace) -> int:
    from kiosk.accounts import remove_organizer

    ended = remove_organizer(open_tally_for(args).engine, args.name)
    print(f"organizer {args.name} removed; {ended} logged-in session(s) ended")
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
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
