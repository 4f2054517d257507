"""``kiosk results``'s contests: round by round in the text output, and ``--rctab FOLDER`` (each contest written as
NIST CDF cast vote records plus an RCTab config, for a recount with RCTab or ``kiosk rcv tabulate``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kiosk.contest_results import ContestResult, exhausted
from kiosk.errors import StateError
from kiosk.tally import MeetingState, Tally


def print_contests(contests: Sequence[ContestResult]) -> None:
    """Each contest: method, ballots, every round's tallies and decisions, then the outcome."""
    from kiosk.receipts.contest_tape import outcome_line

    for result in contests:
        contest = result.contest
        print(
            f"contest {contest.position}. {contest.title}: {contest.seats} seat(s), {result.ballots} ballots, "
            f"{result.blank} blank"
        )
        for rnd in [] if result.no_votes else result.tabulation.rounds:
            tally = ", ".join(f"{name} {rnd.tally[name]}" for name in result.candidate_names if name in rnd.tally)
            print(f"  round {rnd.number} (threshold {rnd.threshold}): {tally}; exhausted {exhausted(rnd)}")
            for action in rnd.results:
                moves = ", ".join(f"{value} to {target}" for target, value in action.transfers.items())
                verb = "elected" if action.elected else "eliminated"
                tie = " (tie-break)" if action.tiebreak else ""
                print(f"    {action.candidate} {verb}{tie}{': ' + moves if moves else ''}")
        print(f"  {outcome_line(result, 'en')}")


def export_rctab_folder(tally: Tally, code: str, folder: str) -> list[Path]:
    """Write every contest of closed meeting ``code`` into ``folder``; returns the configs written.

    The cast vote records are the meeting's ballots, so only after the close (the rankings refuse before)."""
    from kiosk.contest_bundle import export_contest_rctab

    meeting = tally.meeting(code)
    if meeting.state is not MeetingState.CLOSED:
        raise StateError(f"meeting {meeting.code} is still {meeting.state}: contests are exported after voting closes")
    contests = tally.contests(meeting.code)
    if not contests:
        raise StateError(f"meeting {meeting.code} has no contests to export")
    return [export_contest_rctab(tally, meeting.code, contest, folder) for contest in contests]
