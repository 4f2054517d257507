"""A closed meeting's contest results set officials' endorsements (issue 17: "a meeting's contest result can also
set it"): ``Tally.endorse_from_meeting`` (``kiosk officials endorse CODE``, the button on a closed meeting's
dashboard).

* **What counts.** Every candidate a contest of the meeting *endorsed*: elected and, with the contest's threshold,
  at or above it in the final round; never the "No endorsement" candidate (``ContestResult.endorsed``, the same
  count the dashboard, ``kiosk results`` and the bundle show).
* **Matching.** An official with the same folded name (the ledger's rule: case, accents and spacing ignored) is
  marked ``endorsed`` by this meeting; their office, body and term are left alone. A candidate who is not an
  official yet is added, with the contest's title as their office (the contest is what they were endorsed for;
  an officials import can correct it later, and the name then matches).
* **Only on request, after the close.** It does not run by itself at the close: setting officials' records is an
  organizer's decision, made visibly and audit-logged (``officials_endorsed``), like every import. Before the
  close it is refused (the contests are not counted until then). Running it again changes nothing; a later
  meeting's endorsement replaces an earlier meeting's (the report says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.errors import StateError
from kiosk.roster import search_name
from kiosk.schema import meetings, officials
from kiosk.tally.model import MeetingState
from kiosk.tally.storage import TallyBase


class EndorsementChange(StrEnum):
    ADDED = "added"  # not an official yet: added, endorsed by the meeting
    UPDATED = "updated"  # an official now endorsed by the meeting (was not endorsed, or by another meeting)
    UNCHANGED = "unchanged"  # already endorsed by this meeting


@dataclass(frozen=True)
class Endorsement:
    name: str  # the candidate's name as on the ballot
    contest: str  # the contest's title
    change: EndorsementChange
    was: str = ""  # for an update: what the official's record said before ("not endorsed", "endorsed by GA12")


@dataclass
class EndorsementReport:
    """What ``endorse_from_meeting`` did, candidate by candidate, in contest and ballot order."""

    meeting: str
    endorsements: list[Endorsement] = field(default_factory=list)

    def count(self, change: EndorsementChange) -> int:
        return sum(1 for e in self.endorsements if e.change is change)

    def as_dict(self) -> dict[str, Any]:
        return {
            "meeting": self.meeting,
            "added": self.count(EndorsementChange.ADDED),
            "updated": self.count(EndorsementChange.UPDATED),
            "unchanged": self.count(EndorsementChange.UNCHANGED),
            "endorsements": [
                {"name": e.name, "contest": e.contest, "change": str(e.change), "was": e.was} for e in self.endorsements
            ],
        }

    def summary(self) -> str:
        if not self.endorsements:
            return f"meeting {self.meeting}: no contest endorsed anyone; no official changed"
        lines = [
            f"meeting {self.meeting}: {len(self.endorsements)} endorsed ({self.count(EndorsementChange.ADDED)} "
            f"added as officials, {self.count(EndorsementChange.UPDATED)} updated, "
            f"{self.count(EndorsementChange.UNCHANGED)} unchanged)"
        ]
        for e in self.endorsements:
            was = f" (was {e.was})" if e.was else ""
            lines.append(f"  {e.change}: {e.name} — {e.contest}{was}")
        return "\n".join(lines)


class EndorsementsMixin(TallyBase):
    def endorse_from_meeting(self, code: str, *, actor: str = "cli") -> EndorsementReport:
        """Mark every candidate the closed meeting's contests endorsed as endorsed by it (see the module doc).

        StateError when the meeting is not closed or has no contests; NotFound for an unknown code."""
        from kiosk.contest_results import count_contest  # the count lives beside kiosk.rcv (core, not tally)

        tally: Any = self  # the Tally facade: contests() and contest_rankings() come from their concept modules
        meeting = self.meeting(code)  # type: ignore[attr-defined]
        if meeting.state is not MeetingState.CLOSED:
            raise StateError(
                f"meeting {meeting.code} is {meeting.state}, not closed: its contests set endorsements only after "
                "voting closes"
            )
        contests = tally.contests(meeting.code)
        if not contests:
            raise StateError(f"meeting {meeting.code} has no contests: nothing to endorse")
        chosen: list[tuple[str, str]] = []  # (candidate, contest title), each folded name once
        seen: set[str] = set()
        for contest in contests:
            result = count_contest(contest, tally.contest_rankings(meeting.code, contest.id))
            for name in result.endorsed:
                if search_name(name) not in seen:
                    seen.add(search_name(name))
                    chosen.append((name, contest.title))
        report = EndorsementReport(meeting.code)
        with self._write() as conn:
            # Locked: two requests for the same meeting (a double click) run one after the other, so the second
            # finds the officials the first added instead of adding them again (PostgreSQL; SQLite's write lock).
            meeting_id = self._meeting_row(conn, meeting.code, lock=True).id
            for name, title in chosen:
                report.endorsements.append(self._endorse(conn, name, title, meeting_id))
            self._audit(conn, actor, "officials_endorsed", meeting.code, **_counts(report))
        return report

    def _endorse(self, conn: Connection, name: str, contest: str, meeting_id: int) -> Endorsement:
        key = search_name(name)
        now = self.clock()
        row = conn.execute(select(officials).where(officials.c.search_name == key)).first()
        if row is None:
            conn.execute(
                insert(officials).values(
                    name=name,
                    search_name=key,
                    office=contest[:200],
                    endorsed=True,
                    endorsed_meeting_id=meeting_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            return Endorsement(name, contest, EndorsementChange.ADDED)
        if row.endorsed and row.endorsed_meeting_id == meeting_id:
            return Endorsement(row.name, contest, EndorsementChange.UNCHANGED)
        was = "not endorsed"
        if row.endorsed:
            was = "endorsed"
            if row.endorsed_meeting_id is not None:
                earlier = conn.execute(select(meetings.c.code).where(meetings.c.id == row.endorsed_meeting_id))
                was = f"endorsed by {earlier.scalar_one()}"
        conn.execute(
            update(officials)
            .where(officials.c.id == row.id)
            .values(endorsed=True, endorsed_meeting_id=meeting_id, updated_at=now)
        )
        return Endorsement(row.name, contest, EndorsementChange.UPDATED, was)


def _counts(report: EndorsementReport) -> dict[str, int]:
    return {str(change): report.count(change) for change in EndorsementChange}
