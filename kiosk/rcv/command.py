"""``kiosk rcv tabulate CONFIG.json [--json]``: count an RCTab contest configuration and its cast vote records."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # imported when a count runs, not when cli.py registers the command
    from kiosk.rcv.model import Tabulation


def tabulate_config(path: str | Path) -> Tabulation:
    """Read the config and every CVR it names (all checked first), then count (one count: see below)."""
    passes = tabulate_config_passes(path)
    if len(passes) != 1:
        raise ValueError("a multiPassIrv contest is several counts: use tabulate_config_passes")
    return passes[0]


def tabulate_config_passes(path: str | Path) -> list[Tabulation]:
    """Every count the config asks for: one, or one per seat for ``multiPassIrv``."""
    from kiosk.rcv.engine import tabulate_passes
    from kiosk.rcv.rctab import load_config, read_ballots

    config = load_config(path)
    return tabulate_passes(config.contest, read_ballots(config))


def report_for_config(path: str | Path) -> dict[str, Any]:
    from kiosk.rcv.report import detailed_report

    return detailed_report(tabulate_config(path))


def reports_for_config(path: str | Path) -> list[dict[str, Any]]:
    """One detailed report per count (RCTab writes ``<name>_<seat>_…`` files for multi-pass contests)."""
    from kiosk.rcv.report import detailed_report

    return [detailed_report(result) for result in tabulate_config_passes(path)]


def _text_summary(result: Tabulation, out: TextIO) -> None:
    contest = result.contest
    out.write(f"{contest.title or 'Contest'}: {contest.seats} seat(s), {result.total_ballots} ballots\n")
    for rnd in result.rounds:
        tally = ", ".join(f"{name} {votes}" for name, votes in sorted(rnd.tally.items(), key=lambda kv: -kv[1]))
        out.write(f"Round {rnd.number} (threshold {rnd.threshold}): {tally}; inactive {rnd.exhausted}\n")
        for action in rnd.results:
            verb = "elected" if action.elected else "eliminated"
            out.write(f"  {action.candidate} {verb}{' (tie-break)' if action.tiebreak else ''}\n")
    out.write(f"Winner(s): {', '.join(result.winners) or 'none'}\n")


def run_tabulate(config_path: str, as_json: bool, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The CLI command: 0 on success, 2 on bad input (the message names the file, line or key)."""
    from kiosk.rcv.model import RcvInputError
    from kiosk.rcv.report import detailed_report, dumps

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        passes = tabulate_config_passes(config_path)
    except RcvInputError as exc:
        err.write(f"error: {exc}\n")
        return 2
    if as_json:
        # one report as RCTab writes it; a multi-pass contest prints a JSON list, one report per seat
        reports = [detailed_report(result) for result in passes]
        out.write(dumps(reports[0]) if len(reports) == 1 else json.dumps(reports, indent=2, sort_keys=True) + "\n")
    else:
        for number, result in enumerate(passes, start=1):
            if len(passes) > 1:
                out.write(f"Pass {number} (seat {number}):\n")
            _text_summary(result, out)
    return 0


def add_rcv_commands(sub: Any, command: Any) -> None:
    """Register ``kiosk rcv …`` on the main parser (``command`` is cli.py's helper: name, func, help)."""
    import argparse

    rcv = sub.add_parser("rcv", help="ranked-choice counts and RCTab interchange").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    p = command(rcv, "tabulate", _cmd_tabulate, "count an RCTab contest config and the cast vote records it names")
    p.add_argument("contest_config", metavar="CONFIG.json", help="RCTab contest configuration (JSON)")
    p.add_argument("--json", action="store_true", help="print the Universal RCV Tabulator JSON report")
    assert isinstance(p, argparse.ArgumentParser)


def _cmd_tabulate(args: Any) -> int:
    return run_tabulate(args.contest_config, bool(args.json))
