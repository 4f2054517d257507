"""Who may vote at a meeting: members in good standing (joined long enough before, and attended enough of the
last closed meetings, when the meeting asks it), and guests or people joining at the door only when the meeting
lets guests vote."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.tally.attendance import Attendance


def eligibility(
    meeting: Any, kind: str, status: str | None, joined: date | None, attendance: Attendance | None = None
) -> tuple[bool, str | None]:
    """Whether a person of ``kind`` (member, pending, guest) with roster ``status`` and ``joined`` date may vote
    at ``meeting`` (a meeting row or :class:`~kiosk.tally.model.Meeting`), and if not, why. ``attendance`` is a
    member's record against the meeting's attendance rule (``kiosk.tally.attendance``), None without a rule."""
    if kind != "member":
        if meeting.guests_may_vote:
            return True, None
        return False, "guests may not vote at this meeting"
    if status != "member":
        return False, f"membership status is {status}"
    if meeting.min_membership_days:
        local_day = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone)).date()
        cutoff = local_day - timedelta(days=meeting.min_membership_days)
        if joined is None or joined > cutoff:
            return False, f"members must have joined at least {meeting.min_membership_days} days before the meeting"
    if attendance is not None and not attendance.met:
        return False, attendance.reason
    return True, None
