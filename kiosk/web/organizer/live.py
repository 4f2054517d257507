"""What the dashboard and the projector show, computed from the tally: turnout, quorum, and stepped results.

Live per-plank figures move only in steps of at least ``step`` new ballots until voting closes: the figures
shown are a snapshot taken when the count of cast ballots had grown by ``step`` or more since the last one, so
nobody can watch a screen while one person votes and learn their vote. Once the meeting is closed the exact
results are shown. A meeting that hides results until close shows none anywhere before then, except to an
organizer who asks to "peek" (audited by the caller). The last snapshot is kept in the database, so a
restart or another process cannot show a fresh one early.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from kiosk import db
from kiosk.results import MeetingResults, PlankResult
from kiosk.schema import live_figures
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
    """Per-meeting snapshots of the results, renewed only after ``step`` more ballots.

    The snapshot lives in the database (``live_figures``), so every process and every restart shows the same
    figures, and the step holds across them.
    """

    def __init__(self, step: int) -> None:
        self.step = max(1, step)

    def stepped(self, engine: Engine, results: MeetingResults, now: datetime) -> MeetingResults:
        with db.read_transaction(engine) as conn:
            row = conn.execute(select(live_figures).where(live_figures.c.meeting_code == results.meeting)).first()
        if results.state == MeetingState.CLOSED:
            if row is not None:
                with db.write_transaction(engine) as conn:
                    conn.execute(delete(live_figures).where(live_figures.c.meeting_code == results.meeting))
            return results
        shown = self._from_row(row, results)
        if shown is not None and results.ballots_cast - shown.ballots_cast < self.step:
            return shown
        with db.write_transaction(engine) as conn:
            # Decide again under the write lock: another stream may have just taken a snapshot.
            row = conn.execute(select(live_figures).where(live_figures.c.meeting_code == results.meeting)).first()
            shown = self._from_row(row, results)
            if shown is not None and results.ballots_cast - shown.ballots_cast < self.step:
                return shown
            if shown is None and row is None and results.ballots_cast < self.step:
                snapshot = _zeroed(results)
            else:
                snapshot = results
            figures = json.dumps({p.title: [p.yes, p.no, p.abstain] for p in snapshot.planks}, ensure_ascii=False)
            values = {"ballots_cast": snapshot.ballots_cast, "figures": figures, "updated_at": now}
            if row is None:
                conn.execute(insert(live_figures).values(meeting_code=results.meeting, **values))
            else:
                conn.execute(
                    update(live_figures).where(live_figures.c.meeting_code == results.meeting).values(**values)
                )
            return snapshot

    @staticmethod
    def _from_row(row: Any, results: MeetingResults) -> MeetingResults | None:
        """The stored snapshot over the current planks, or None when there is none or the planks changed."""
        if row is None:
            return None
        figures = json.loads(row.figures)
        if sorted(figures) != sorted(p.title for p in results.planks) or row.ballots_cast > results.ballots_cast:
            return None
        return replace(
            results,
            ballots_cast=row.ballots_cast,
            planks=[
                replace(p, yes=figures[p.title][0], no=figures[p.title][1], abstain=figures[p.title][2])
                for p in results.planks
            ],
        )

    def view(self, tally: Tally, code: str, *, for_projector: bool = False, peek: bool = False) -> View:
        meeting = tally.meeting(code)
        results = tally.results(code)
        people = tally.signins(code)
        members_in = sum(1 for p in people if p["kind"] != "guest")
        guests_in = len(people) - members_in
        closed = meeting.state is MeetingState.CLOSED
        if closed:
            visibility, shown = Visibility.FINAL, self.stepped(tally.engine, results, tally.clock())
        elif meeting.results_hidden_until_close and not peek:
            visibility, shown = Visibility.HIDDEN, None
        elif for_projector and not meeting.live_results_shown:
            visibility, shown = Visibility.NOT_SHOWN, None
        else:
            visibility, shown = Visibility.LIVE, self.stepped(tally.engine, results, tally.clock())
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
