"""``kiosk officials``, ``kiosk pledges``, ``kiosk votes`` and ``kiosk scorecard``: the accountability ledger
(``kiosk.ledger``; stored by ``kiosk.tally.ledger``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for, output_flags, print_json, read_file
from kiosk.errors import InvalidInput
from kiosk.ledger.model import LedgerReport
from kiosk.ledger.ocd import read_directory
from kiosk.ledger.render import scorecard_csv, scorecard_json, scorecard_text


def _print_report(args: argparse.Namespace, report: LedgerReport) -> int:
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_officials_import(args: argparse.Namespace) -> int:
    return _print_report(args, open_tally_for(args).import_officials(read_file(args.file), actor="cli"))


def cmd_officials_endorse(args: argparse.Namespace) -> int:
    report = open_tally_for(args).endorse_from_meeting(args.code, actor="cli")
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_pledges_import(args: argparse.Namespace) -> int:
    return _print_report(args, open_tally_for(args).import_pledges(read_file(args.file), actor="cli"))


def cmd_votes_import(args: argparse.Namespace) -> int:
    if args.ocd:
        if args.file or not args.map:
            raise InvalidInput("with --ocd DIR give --map MAP.csv (matter, plank, yes_means) and no CSV file")
        files = read_directory(Path(args.ocd))
        report = open_tally_for(args).import_vote_events(files, read_file(args.map), actor="cli")
    else:
        if not args.file or args.map:
            raise InvalidInput(
                "give a votes CSV (date, body, matter, official, vote, plank, yes_means), or --ocd DIR --map MAP.csv"
            )
        report = open_tally_for(args).import_votes(read_file(args.file), actor="cli")
    return _print_report(args, report)


def cmd_scorecard(args: argparse.Namespace) -> int:
    scores = open_tally_for(args).scorecard(official=args.official)
    if args.official and not scores:
        raise InvalidInput(f"no official named {args.official!r}")
    if args.json:
        print_json(scorecard_json(scores))
    elif args.csv:
        print(scorecard_csv(scores), end="")
    else:
        print(scorecard_text(scores))
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
    group = sub.add_parser("officials", help="officials the organization follows").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        group,
        "import",
        cmd_officials_import,
        "import or update officials from a CSV (name, office, body, term_start, term_end, endorsed)",
    )
    p.add_argument("file")
    output_flags(p)
    p = command(
        group,
        "endorse",
        cmd_officials_endorse,
        "mark the candidates a closed meeting's contests endorsed as officials endorsed by that meeting",
    )
    p.add_argument("code", metavar="CODE")
    output_flags(p)

    group = sub.add_parser("pledges", help="candidates' pledges to platform planks").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(group, "import", cmd_pledges_import, "import pledges from a CSV (name, plank, pledge, date)")
    p.add_argument("file")
    output_flags(p)

    group = sub.add_parser("votes", help="officials' recorded votes").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        group,
        "import",
        cmd_votes_import,
        "import recorded votes from a CSV (date, body, matter, official, vote, plank, yes_means), or from Open "
        "Civic Data VoteEvent JSON files with --ocd DIR --map MAP.csv (matter, plank, yes_means)",
    )
    p.add_argument("file", nargs="?")
    p.add_argument("--ocd", metavar="DIR", help="a directory of VoteEvent JSON files")
    p.add_argument("--map", metavar="MAP.csv", help="matter, plank, yes_means: which VoteEvents touch which plank")
    output_flags(p)

    p = command(
        sub,
        "scorecard",
        cmd_scorecard,
        "how officials voted on the platform: for, against, abstained, absent, alignment, broken pledges",
    )
    p.add_argument("--official", metavar="NAME", help="only this official")
    output_flags(p, csv_too=True)
