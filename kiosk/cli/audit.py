"""``kiosk audit verify``: the audit log's hash chain in the database, or a meeting bundle on its own, compared with
the hashes printed on the tally tape."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from kiosk.cli.common import EXIT_ERROR, CommandAdder, read_file
from kiosk.errors import KioskError
from kiosk.tally import MeetingState


def _verify_bundle(path: str, tape_head: str | None = None, ballots_hash: str | None = None) -> int:
    """Check a meeting bundle on its own, with no database: audit chain, ballots hash, results."""
    from kiosk.export import verify_bundle

    report = verify_bundle(read_file(path), tape_head=tape_head, tape_ballots_hash=ballots_hash)
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


def add_commands(sub: Any, command: CommandAdder) -> None:
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
