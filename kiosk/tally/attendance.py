"""The attendance rule: "members must have attended at least N of the organization's last M closed meetings".

What counts, decided here once:

* **The window** is the M most recent meetings that are *closed* and started before this one (by start time;
  the meeting itself never counts). A meeting still in draft, open for sign-in or voting does not count, however
  long ago it started. A closed meeting counts as held even if nobody signed in at it. The window is fixed when
  the meeting leaves draft (opening sign-in or voting): everyone who signs in is counted over the same meetings,
  even if an earlier meeting is closed meanwhile. Before that, organizers see the window it would be now.
* **Fewer than M closed meetings**: all of them count, and the number needed is capped by how many there were
  (2 of the last 3 with only 1 closed meeting before: 1 of 1; with none: nobody is held back).
* **An attendance** is a sign-in made as a member (in any standing: in good standing, lapsed, or joining at the
  door as a pending member), at one of those meetings, by this person. A walk-in who joined at the door and was
  later merged into their roster entry (``kiosk.tally.people``) counts, since the merge moves that sign-in to the
  roster entry. A guest's sign-in never counts: a walk-in guest is not linked to anyone on the roster (a phone
  may be a household's), and someone on the roster as a guest was not there as a member. Each meeting counts
  once per person.
* **Decided at sign-in**: the count is stored on the sign-in (``signins.attended``), so the export and a second
  sign-in show what was decided at the door, even if the roster changes afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, distinct, func, insert, select

from kiosk.errors import InvalidInput
from kiosk.schema import attendance_windows, meetings, signins
from kiosk.tally.model import MeetingState
from kiosk.tally.storage import TallyBase

MAX_OF_LAST = 100  # meetings looked back over: years of monthly meetings
# The sign-in kinds that are a member's attendance (not "guest").
ATTENDING_KINDS = ("member", "pending")


@dataclass(frozen=True)
class AttendanceWindow:
    """A meeting's rule and the meetings it counts (codes, newest first), as organizers and exports see it."""

    min_attended: int
    of_last: int
    counted: tuple[str, ...]
    fixed: bool  # False while the meeting is in draft: the window as it would be if sign-in opened now

    @property
    def needed(self) -> int:
        return min(self.min_attended, len(self.counted))

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_attended": self.min_attended,
            "of_last": self.of_last,
            "counted": list(self.counted),
            "needed": self.needed,
            "fixed": self.fixed,
        }


@dataclass(frozen=True)
class Attendance:
    """A member's record against a meeting's rule: ``attended`` of the ``window`` meetings counted, ``needed``."""

    attended: int
    window: int  # the meetings counted: M, or fewer when fewer closed meetings exist
    needed: int  # N, capped by ``window``

    @property
    def met(self) -> bool:
        return self.attended >= self.needed

    @property
    def reason(self) -> str:
        """The tally's (English) reason when the rule is not met; ``kiosk.i18n.ineligible_reason`` reads it."""
        return f"attended {self.attended} of the last {self.window} closed meetings; at least {self.needed} needed"


def check_rule(min_attended: Any, of_last: Any) -> tuple[int | None, int | None]:
    """The rule as stored: both numbers (1 <= N <= M <= 100) or neither (no rule)."""
    if min_attended in (None, "") and of_last in (None, ""):
        return None, None
    if min_attended in (None, "") or of_last in (None, ""):
        raise InvalidInput("the attendance rule needs both numbers: at least N of the last M meetings")
    try:
        n, m = int(min_attended), int(of_last)
    except (TypeError, ValueError):
        raise InvalidInput("the attendance rule's N and M must be whole numbers") from None
    if not 1 <= m <= MAX_OF_LAST:
        raise InvalidInput(f"the attendance rule looks back over 1 to {MAX_OF_LAST} meetings")
    if not 1 <= n <= m:
        raise InvalidInput(f"the attendance rule needs at least 1 and at most {m} meetings attended (of the last {m})")
    return n, m


def candidate_window(conn: Connection, meeting: Any) -> list[Any]:
    """The meetings (rows: id, code, starts_at) the rule would count now: the ``of_last`` most recent closed
    meetings that started before ``meeting``, newest first."""
    if not meeting.of_last:
        return []
    query = (
        select(meetings.c.id, meetings.c.code, meetings.c.starts_at)
        .where(
            and_(
                meetings.c.state == str(MeetingState.CLOSED),
                meetings.c.starts_at < meeting.starts_at,
                meetings.c.id != meeting.id,
            )
        )
        .order_by(meetings.c.starts_at.desc(), meetings.c.id.desc())
        .limit(meeting.of_last)
    )
    return list(conn.execute(query))


def freeze_window(conn: Connection, meeting: Any) -> list[str]:
    """Fix the meetings ``meeting``'s rule counts (called as it leaves draft, in that transaction); their codes,
    newest first, for the audit log."""
    conn.execute(delete(attendance_windows).where(attendance_windows.c.meeting_id == meeting.id))
    rows = candidate_window(conn, meeting)
    if rows:
        conn.execute(insert(attendance_windows), [{"meeting_id": meeting.id, "counted_meeting_id": r.id} for r in rows])
    return [r.code for r in rows]


def window(conn: Connection, meeting: Any) -> list[Any]:
    """The meetings counted (rows: id, code, starts_at; newest first): fixed once it left draft, else as of now."""
    if meeting.state == str(MeetingState.DRAFT):
        return candidate_window(conn, meeting)
    query = (
        select(meetings.c.id, meetings.c.code, meetings.c.starts_at)
        .join(attendance_windows, attendance_windows.c.counted_meeting_id == meetings.c.id)
        .where(attendance_windows.c.meeting_id == meeting.id)
        .order_by(meetings.c.starts_at.desc(), meetings.c.id.desc())
    )
    return list(conn.execute(query))


def window_size(conn: Connection, meeting: Any) -> int:
    if meeting.state == str(MeetingState.DRAFT):
        return len(candidate_window(conn, meeting))
    query = select(func.count()).select_from(attendance_windows).where(attendance_windows.c.meeting_id == meeting.id)
    return int(conn.execute(query).scalar_one())


def needed(meeting: Any, size: int) -> int:
    return min(int(meeting.min_attended or 0), size)


def attendance_of(conn: Connection, meeting: Any, member_id: int) -> Attendance | None:
    """``member_id``'s record against ``meeting``'s rule (None when the meeting has no rule)."""
    if not meeting.min_attended:
        return None
    counted = [r.id for r in window(conn, meeting)]
    attended = 0
    if counted:
        attended = conn.execute(
            select(func.count(distinct(signins.c.meeting_id))).where(
                and_(
                    signins.c.member_id == member_id,
                    signins.c.kind.in_(ATTENDING_KINDS),
                    signins.c.meeting_id.in_(counted),
                )
            )
        ).scalar_one()
    return Attendance(int(attended), len(counted), needed(meeting, len(counted)))


def stored(meeting: Any, size: int, attended: int | None) -> Attendance | None:
    """The record a sign-in stored (``signins.attended``), or None when the rule did not apply to it."""
    if not meeting.min_attended or attended is None:
        return None
    return Attendance(attended, size, needed(meeting, size))


class AttendanceMixin(TallyBase):
    def attendance_window(self, code: str) -> AttendanceWindow | None:
        """The meeting's attendance rule and the meetings it counts; None when the meeting has no rule."""
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            if not meeting.min_attended:
                return None
            rows = window(conn, meeting)
            return AttendanceWindow(
                meeting.min_attended,
                meeting.of_last,
                tuple(r.code for r in rows),
                fixed=meeting.state != str(MeetingState.DRAFT),
            )
