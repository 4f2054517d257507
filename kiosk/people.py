"""Who is on the roster, for `kiosk people` and the demo's banner: name, masked phone, status, signed in or not.

Core-side (SQLAlchemy only). The phone is masked to its last four digits: the list is for finding someone at the
desk or trying the demo, and a terminal's scroll-back is no place for a whole roster's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kiosk import db
from kiosk.schema import members, signins
from kiosk.tally import Meeting, MeetingState, Tally


@dataclass(frozen=True)
class RosterPerson:
    name: str
    phone: str | None
    status: str
    signed_in: bool | None  # None: no meeting to say it for

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "phone": self.masked_phone, "status": self.status, "signed_in": self.signed_in}


def mask_phone(phone: str | None) -> str:
    """Only the last four digits show: "+15105550101" -> "•••-•••-0101"."""
    if not phone:
        return ""
    digits = "".join(c for c in phone if c.isdigit())
    return f"•••-•••-{digits[-4:]}" if len(digits) > 4 else "••••"


def current_meeting(tally: Tally) -> Meeting | None:
    """The meeting sign-ins are shown for without --meeting: the one open meeting, else the next one not closed."""
    meetings = tally.meetings()
    open_now = [m for m in meetings if m.state in (MeetingState.SIGNIN_OPEN, MeetingState.VOTING_OPEN)]
    if len(open_now) == 1:
        return open_now[0]
    upcoming = sorted((m for m in meetings if m.state is not MeetingState.CLOSED), key=lambda m: m.starts_at)
    return upcoming[0] if len(upcoming) == 1 else None


def roster_people(tally: Tally, meeting: Meeting | None) -> list[RosterPerson]:
    """Everyone on the roster by name; with a meeting, whether each has signed in at it."""
    with db.read_transaction(tally.engine) as conn:
        rows = conn.execute(select(members.c.id, members.c.name, members.c.phone, members.c.status)).all()
        present: set[int] = set()
        if meeting is not None:
            present = {
                r.member_id
                for r in conn.execute(select(signins.c.member_id).where(signins.c.meeting_id == meeting.id))
                if r.member_id is not None
            }
    people = [RosterPerson(r.name, r.phone, r.status, (r.id in present) if meeting is not None else None) for r in rows]
    return sorted(people, key=lambda p: p.name.casefold())
