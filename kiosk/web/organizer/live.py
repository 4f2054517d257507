"""What the dashboard and the projector show, computed from the tally: turnout, quorum, and the results.

Ranked-choice contests show their set-up only until voting closes, then every round of their count (the
``contests`` that ``release_figures`` releases with the final figures).

The per-plank figures are those ``kiosk.live_figures.release_figures`` releases (the one rule for every path:
steps of at least ``[organizer] live_step`` ballots or withheld until voting closes, exact after). A meeting
that hides results until close shows none before then, except to an organizer who asks to "peek" (audited by
the caller); the projector never peeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.contest_results import ContestResult
from kiosk.live_figures import Release, release_figures
from kiosk.results import PlankResult
from kiosk.tally import Meeting, Tally

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
    contests: tuple[ContestResult, ...] = ()  # counted round by round, only once voting is closed
    contest_setup: tuple[dict[str, Any], ...] = ()  # titles and candidates of the contests, no figure

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


class LiveFigures:
    """The dashboard's and projector's view of a meeting; the figures come from ``release_figures`` (the core
    rule every other path follows too)."""

    def __init__(self, step: int) -> None:
        self.step = max(1, step)

    def view(self, tally: Tally, code: str, *, for_projector: bool = False, peek: bool = False) -> View:
        meeting = tally.meeting(code)
        people = tally.signins(code)
        members_in = sum(1 for p in people if p["kind"] != "guest")
        guests_in = len(people) - members_in
        live = not (for_projector and not meeting.live_results_shown)
        released = release_figures(tally, code, step=self.step, peek=peek and not for_projector, live=live)
        results = released.results
        if released.release is Release.FINAL:
            visibility = Visibility.FINAL
        elif released.release is Release.STEPPED:
            visibility = Visibility.LIVE
        elif meeting.results_hidden_until_close and not (peek and not for_projector):
            visibility = Visibility.HIDDEN
        else:
            visibility = Visibility.NOT_SHOWN
        bars = () if released.withheld else tuple(_bar(p) for p in results.planks)
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
            counted=released.counted,
            bars=bars,
            step=self.step,
            contests=released.contests,
            contest_setup=released.contest_setup,
        )
