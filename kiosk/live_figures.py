"""Which per-plank figures may be shown before voting closes: the one rule every path follows.

Dashboard, projector, their event streams, the results exports, the tally tape and ``kiosk results`` all ask
``release_figures`` and show nothing else. Until the meeting is closed:

* figures move only in steps of at least ``step`` ballots (``[organizer] live_step``): what is shown is a
  snapshot taken when the count of cast ballots had grown by ``step`` or more since the last one, so two
  consecutive snapshots always differ by ``step`` ballots or more and nobody can difference them down to one
  person's ballot, however often they download or watch;
* or they are withheld: a meeting that hides results until close shows none (except to an organizer who
  peeks, which the caller audits), and a path that shows no live figures at all (the projector when live
  results are off, the kiosk's own results page) asks with ``live=False``.

Once the meeting is closed the exact results are released everywhere. The last snapshot is kept in the
database (``live_figures``) so another process or a restart cannot show a fresh one early; it is removed at the
close. Turnout (ballots issued and cast) and quorum are not per-plank figures and are always exact.

Ranked-choice contests have no live figures at all: a count in rounds cannot be stepped without giving ballots
away (the rounds of ``c`` and ``c + 1`` ballots differ by one ranking), so their only release is the final one.
The tally enforces it: ``Tally.contest_rankings``, the one way to read rankings for counting, refuses before the
close (``StateError``), so no path can compute a contest figure early.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from kiosk import db
from kiosk.results import MeetingResults
from kiosk.schema import live_figures
from kiosk.tally import MeetingState, Tally


class Release(StrEnum):
    WITHHELD = "withheld"  # no per-plank figures before the close
    STEPPED = "stepped"  # a snapshot renewed only after ``step`` more ballots
    FINAL = "final"  # voting closed: exact


@dataclass(frozen=True)
class ReleasedFigures:
    """What may be shown now. ``results`` has the exact turnout and quorum and the per-plank figures as
    released: a snapshot when stepped, zeros when withheld (never show them: check ``release``)."""

    release: Release
    step: int
    counted: int  # the ballots the per-plank figures cover
    results: MeetingResults

    @property
    def withheld(self) -> bool:
        return self.release is Release.WITHHELD

    def as_dict(self) -> dict[str, Any]:
        data = self.results.as_dict() | {"figures": str(self.release), "ballots_counted": self.counted}
        if self.release is Release.STEPPED:
            data["live_step"] = self.step
        if self.withheld:
            data["planks"] = [{"title": p.title, "threshold": str(p.threshold)} for p in self.results.planks]
        return data


def _zeroed(results: MeetingResults) -> MeetingResults:
    return replace(results, ballots_cast=0, planks=[replace(p, yes=0, no=0, abstain=0) for p in results.planks])


def _from_row(row: Any, results: MeetingResults) -> MeetingResults | None:
    """The stored snapshot over the current planks, or None when there is none or the planks changed.

    A snapshot covering more ballots than ``results`` (read a moment earlier by this process while another
    took a newer snapshot) is still returned as is: it has been shown already, and a snapshot taken now from
    the older count would differ from it by less than a step.
    """
    if row is None:
        return None
    figures = json.loads(row.figures)
    if sorted(figures) != sorted(p.title for p in results.planks):
        return None
    return replace(
        results,
        ballots_cast=row.ballots_cast,
        planks=[
            replace(p, yes=figures[p.title][0], no=figures[p.title][1], abstain=figures[p.title][2])
            for p in results.planks
        ],
    )


def _fresh_enough(shown: MeetingResults | None, results: MeetingResults, step: int) -> bool:
    return shown is not None and results.ballots_cast - shown.ballots_cast < step


def stepped(engine: Engine, results: MeetingResults, step: int, now: datetime) -> MeetingResults:
    """The snapshot to show for ``results`` of a meeting still voting; renewed after ``step`` more ballots."""
    step = max(1, step)
    with db.read_transaction(engine) as conn:
        row = conn.execute(select(live_figures).where(live_figures.c.meeting_code == results.meeting)).first()
    shown = _from_row(row, results)
    if _fresh_enough(shown, results, step) or (shown is not None and shown.ballots_cast > results.ballots_cast):
        return shown  # type: ignore[return-value]
    with db.write_transaction(engine) as conn:
        # Decide again under the write lock: another process may have just taken a snapshot.
        row = conn.execute(select(live_figures).where(live_figures.c.meeting_code == results.meeting)).first()
        shown = _from_row(row, results)
        if shown is not None and results.ballots_cast - shown.ballots_cast < step:
            return shown
        # No usable snapshot yet: the first one shows zeros until ``step`` ballots are in.
        snapshot = _zeroed(results) if shown is None and results.ballots_cast < step else results
        figures = json.dumps({p.title: [p.yes, p.no, p.abstain] for p in snapshot.planks}, ensure_ascii=False)
        values = {"ballots_cast": snapshot.ballots_cast, "figures": figures, "updated_at": now}
        if row is None:
            conn.execute(insert(live_figures).values(meeting_code=results.meeting, **values))
        else:
            conn.execute(update(live_figures).where(live_figures.c.meeting_code == results.meeting).values(**values))
        return snapshot


def forget_snapshot(engine: Engine, meeting_code: str) -> None:
    """Drop a closed meeting's snapshot (read first: the event streams ask every second after the close)."""
    with db.read_transaction(engine) as conn:
        query = select(live_figures.c.meeting_code).where(live_figures.c.meeting_code == meeting_code)
        if conn.execute(query).first() is None:
            return
    with db.write_transaction(engine) as conn:
        conn.execute(delete(live_figures).where(live_figures.c.meeting_code == meeting_code))


def release_figures(tally: Tally, code: str, *, step: int, peek: bool = False, live: bool = True) -> ReleasedFigures:
    """The per-plank figures any path may show for meeting ``code`` now (see the module docstring).

    ``peek``: an organizer asked to see a meeting that hides results until close (stepped all the same).
    ``live=False``: this path shows no figures before the close at all.
    """
    step = max(1, step)
    results = tally.results(code)
    # The closed state comes from the same read as the counts: a close racing this call cannot release
    # exact counts of a meeting still voting.
    if results.state == MeetingState.CLOSED:
        forget_snapshot(tally.engine, results.meeting)
        return ReleasedFigures(Release.FINAL, step, results.ballots_cast, results)
    meeting = tally.meeting(code)
    if not live or (meeting.results_hidden_until_close and not peek):
        return ReleasedFigures(Release.WITHHELD, step, 0, replace(_zeroed(results), ballots_cast=results.ballots_cast))
    snapshot = stepped(tally.engine, results, step, tally.clock())
    shown = replace(snapshot, ballots_cast=results.ballots_cast)
    return ReleasedFigures(Release.STEPPED, step, snapshot.ballots_cast, shown)
