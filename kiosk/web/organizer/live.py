"""What the dashboard and the projector show, computed from the tally: turnout, quorum, and stepped results.

Live per-plank figures move only in steps of at least ``step`` new ballots until voting closes: the figures
shown are a snapshot taken when the count of cast ballots had grown by ``step`` or more since the last one, so
nobody can watch a screen while one person votes and learn their vote. Once the meeting is closed the exact
results are shown. A meeting that hides results until close shows none anywhere before then, except to an
organizer who asks to "peek" (audited by the caller).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.results import MeetingResults, PlankResult
from kiosk.tally import Meeting, MeetingState, Tally

BAR_WIDTH = 600


class Visibility(StrEnum):
    HIDDEN = "hidden"  # the meeting hides results until close
    NOT_SHOWN = "not_shown"  # the projector: live results are not shown in the room
    LIVE = "live"  # stepped figures while voting
    FINAL = "final"  # voting closed


@dataclass(frozen=True)
class Bar:
    position: int
    title: str
    threshold: str
    yes: int
    no: int
    abstain: int
    yes_percent: float | None
    passed: bool
    yes_w: int
    no_w: int
    abstain_w: int
    mark_x: int  # where the threshold falls on the yes+no part of the bar


@dataclass(frozen=True)
class View:
    meeting: Meeting
    members_in: int
    guests_in: int
    quorum_required: int
    quorum_present: int
    quorum_met: bool
    ballots_issued: int
    ballots_cast: int
    visibility: Visibility
    counted: int  # ballots the shown figures cover
    bars: tuple[Bar, ...]
    step: int

    @property
    def quorum_percent(self) -> int:
        if self.quorum_required <= 0:
            return 100
        return min(100, round(100 * self.quorum_present / self.quorum_required))


def _bar(p: PlankResult) -> Bar:
    total = p.yes + p.no + p.abstain
    scale = BAR_WIDTH / total if total else 0
    yes_w, no_w = round(p.yes * scale), round(p.no * scale)
    abstain_w = BAR_WIDTH - yes_w - no_w if total else 0
    mark = round(float(p.threshold.fraction) * (yes_w + no_w)) if p.yes + p.no else 0
    return Bar(
        p.position,
        p.title,
        str(p.threshold),
        p.yes,
        p.no,
        p.abstain,
        p.yes_percent,
        p.passed,
        yes_w,
        no_w,
        abstain_w,
        mark,
    )


def _zeroed(results: MeetingResults) -> MeetingResults:
    return replace(results, ballots_cast=0, planks=[replace(p, yes=0, no=0, abstain=0) for p in results.planks])


class LiveFigures:
    """Per-meeting snapshots of the results, renewed only after ``step`` more ballots (in this process)."""

    def __init__(self, step: int) -> None:
        self.step = max(1, step)
        self._lock = threading.Lock()
        self._shown: dict[str, MeetingResults] = {}

    def stepped(self, results: MeetingResults) -> MeetingResults:
        if results.state == MeetingState.CLOSED:
            return results
        with self._lock:
            shown = self._shown.get(results.meeting)
            if shown is None:
                shown = _zeroed(results)
            if results.ballots_cast - shown.ballots_cast >= self.step or results.ballots_cast < shown.ballots_cast:
                shown = results
            # Titles and thresholds follow the meeting even between steps (edits before voting).
            if [p.title for p in shown.planks] != [p.title for p in results.planks]:
                shown = results if shown.ballots_cast == results.ballots_cast else _zeroed(results)
            self._shown[results.meeting] = shown
            return shown

    def view(self, tally: Tally, code: str, *, for_projector: bool = False, peek: bool = False) -> View:
        meeting = tally.meeting(code)
        results = tally.results(code)
        people = tally.signins(code)
        members_in = sum(1 for p in people if p["kind"] != "guest")
        guests_in = len(people) - members_in
        closed = meeting.state is MeetingState.CLOSED
        if closed:
            visibility, shown = Visibility.FINAL, results
        elif meeting.results_hidden_until_close and not peek:
            visibility, shown = Visibility.HIDDEN, None
        elif for_projector and not meeting.live_results_shown:
            visibility, shown = Visibility.NOT_SHOWN, None
        else:
            visibility, shown = Visibility.LIVE, self.stepped(results)
        bars = tuple(_bar(p) for p in shown.planks) if shown is not None else ()
        return View(
            meeting=meeting,
            members_in=members_in,
            guests_in=guests_in,
            quorum_required=results.quorum.required,
            quorum_present=results.quorum.present,
            quorum_met=results.quorum.met,
            ballots_issued=results.ballots_issued,
            ballots_cast=results.ballots_cast,
            visibility=visibility,
            counted=shown.ballots_cast if shown is not None else 0,
            bars=bars,
            step=self.step,
        )
