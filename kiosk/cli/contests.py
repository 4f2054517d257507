"""``kiosk contests``: a meeting's ranked-choice contests (import the contests file, list them)."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import CommandAdder, open_tally_for, output_flags, print_json, read_file
from kiosk.errors import InvalidInput
from kiosk.tally import Contest


def contest_as_dict(contest: Contest) -> dict[str, Any]:
    return {
        "id": contest.id,
        "position": contest.position,
        "title": contest.title,
        "translations": {t.language: t.title for t in contest.translations},
        "seats": contest.seats,
        "method": str(contest.method),
        "threshold_percent": None if contest.threshold_percent is None else str(contest.threshold_percent),
        "decimal_places": contest.decimal_places,
        "tiebreak_seed": contest.tiebreak_seed,
        "candidates": [{"id": c.id, "name": c.name, "no_endorsement": c.no_endorsement} for c in contest.candidates],
    }


def cmd_contests_import(args: argparse.Namespace) -> int:
    try:
        report = open_tally_for(args).import_contests(args.code, read_file(args.file), actor="cli")
    except InvalidInput as exc:
        raise InvalidInput(f"{args.file}: {exc}") from None
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary())
    return 0


def cmd_contests_list(args: argparse.Namespace) -> int:
    found = open_tally_for(args).contests(args.code)
    if args.json:
        print_json([contest_as_dict(c) for c in found])
        return 0
    for c in found:
        rule = f", endorsement needs {c.threshold_percent}% in the final round" if c.threshold_percent else ""
        print(f"contest {c.position}: {c.title} ({c.seats} seat{'s' if c.seats > 1 else ''}, {c.method}{rule})")
        for candidate in c.candidates:
            flag = " [no endorsement]" if candidate.no_endorsement else ""
            print(f"  {candidate.position}. {candidate.name}{flag}")
    if not found:
        print("no contests on this meeting")
    return 0


def add_commands(sub: Any, command: CommandAdder) -> None:
    contests = sub.add_parser("contests", help="ranked-choice contests of a meeting").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(
        contests,
        "import",
        cmd_contests_import,
        "add or replace contests from a CSV (contest, contest_es, seats, method, threshold, candidate, "
        "no_endorsement; one row per candidate)",
    )
    p.add_argument("code")
    p.add_argument("file")
    output_flags(p)
    p = command(contests, "list", cmd_contests_list, "list a meeting's contests and candidates")
    p.add_argument("code")
    output_flags(p)
