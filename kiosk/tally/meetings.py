"""Meetings: creating and editing them, finding the next one, and moving them through their states.

Closing is one transaction that marks the meeting closed, runs the close steps the wiring registered (the print
queue forgets the meeting's ballot receipts) and marks the files owed a rewrite; the rewrite itself
(``kiosk.storage_order``) runs after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk import storage_order
from kiosk.errors import InvalidInput, StateError
from kiosk.schema import contests, meetings, planks
from kiosk.tally import attendance
from kiosk.tally.model import STATE_ORDER, Meeting, MeetingState
from kiosk.tally.storage import TallyBase

MAX_TITLE = 200  # a meeting's title and place, each
MAX_MEMBERSHIP_DAYS = 3650
DISPLAY_FLAGS = ("show_choices_on_receipt", "live_results_shown", "results_hidden_until_close")
ATTENDANCE_RULE = ("min_attended", "of_last")
EDITABLE = {
    "title",
    "starts",
    "place",
    "quorum",
    "min_membership_days",
    "guests_may_vote",
    *ATTENDANCE_RULE,
    *DISPLAY_FLAGS,
}
# Who may vote and the quorum: fixed once voting opens (only the display choices may change after that).
FIXED_WHEN_VOTING = {"quorum_kind", "quorum_value", "min_membership_days", "guests_may_vote"}
# The attendance rule is fixed sooner, once the meeting leaves draft: its window is fixed then, and a sign-in
# is counted under it at the door (a change later would hold people signed in before to another rule).
FIXED_AFTER_DRAFT = set(ATTENDANCE_RULE)

# Every kiosk page asks for the next meeting: built once (SQLAlchemy caches the compiled form, not the statement).
_NEXT_MEETING = (
    select(meetings)
    .where(and_(meetings.c.state != str(MeetingState.CLOSED), meetings.c.starts_at >= bindparam("since")))
    .order_by(meetings.c.starts_at)
    .limit(1)
)


def check_title_and_place(title: str | None, place: str | None) -> None:
    """The one rule for a meeting's title and place (stripped; None when not being set): a title, and at most
    200 characters each. Refused rather than cut short, which would lose what the organizer typed."""
    if title is not None and not title:
        raise InvalidInput("a meeting needs a title")
    if len(title or "") > MAX_TITLE or len(place or "") > MAX_TITLE:
        raise InvalidInput(f"a meeting's title and place are at most {MAX_TITLE} characters each")


def check_membership_days(days: int | None) -> int | None:
    if days is not None and not 0 <= int(days) <= MAX_MEMBERSHIP_DAYS:
        raise InvalidInput(f"minimum membership must be between 0 and {MAX_MEMBERSHIP_DAYS} days")
    return None if days is None else int(days)


def parse_start(starts: datetime | str, tz_name: str) -> datetime:
    """A meeting start from ``2026-12-03T19:00`` (local to ``tz_name``) or with an explicit offset."""
    if isinstance(starts, str):
        try:
            value = datetime.fromisoformat(starts.strip())
        except ValueError:
            raise InvalidInput(f"start time {starts!r} is not a date and time like 2026-12-03T19:00") from None
    else:
        value = starts
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz_name))
    if not 1900 <= value.year <= 2999:  # beyond, converting to UTC or the local zone can overflow
        raise InvalidInput(f"start time {starts!r} is not a plausible date")
    return value


def parse_quorum(quorum: str | int) -> tuple[str, int]:
    """``25`` is a head count, ``20%`` a share of members in good standing.

    >>> parse_quorum("20%"), parse_quorum(25), parse_quorum(" 30 ")
    (('percent', 20), ('count', 25), ('count', 30))
    """
    text_value = str(quorum).strip()
    try:
        if text_value.endswith("%"):
            value = int(text_value[:-1].strip())
            if not 0 <= value <= 100:
                raise ValueError
            return "percent", value
        value = int(text_value)
        if not 0 <= value <= 1_000_000:  # also keeps it within the 32-bit column
            raise ValueError
        return "count", value
    except ValueError:
        raise InvalidInput(f"quorum {quorum!r} must be a number (25) or a percentage (20%)") from None


def meeting_changes(changes: Mapping[str, Any], row: Any) -> dict[str, Any]:
    """The column values an edit asks for, checked in the order an organizer reads the form."""
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = str(changes["title"]).strip()
        check_title_and_place(values["title"], None)
    if "starts" in changes:
        values["starts_at"] = parse_start(changes["starts"], row.timezone)
    if "place" in changes:
        values["place"] = str(changes["place"] or "").strip()
    check_title_and_place(values.get("title"), values.get("place"))
    if "quorum" in changes:
        values["quorum_kind"], values["quorum_value"] = parse_quorum(changes["quorum"])
    if "min_membership_days" in changes:
        values["min_membership_days"] = check_membership_days(changes["min_membership_days"])
    if set(ATTENDANCE_RULE) & set(changes):
        values["min_attended"], values["of_last"] = attendance.check_rule(
            changes.get("min_attended", row.min_attended), changes.get("of_last", row.of_last)
        )
    for flag in ("guests_may_vote", *DISPLAY_FLAGS):
        if flag in changes:
            values[flag] = bool(changes[flag])
    return values


class MeetingsMixin(TallyBase):
    def create_meeting(
        self,
        *,
        code: str,
        title: str,
        starts: datetime | str,
        place: str = "",
        quorum: str | int = 0,
        min_membership_days: int | None = None,
        guests_may_vote: bool = False,
        show_choices_on_receipt: bool = False,
        timezone: str | None = None,
        min_attended: int | None = None,
        of_last: int | None = None,
        actor: str = "cli",
    ) -> Meeting:
        """A meeting in draft. ``min_attended`` of ``of_last``: the attendance rule (``kiosk.tally.attendance``)."""
        code = code.strip().upper()
        if not (2 <= len(code) <= 16 and code.isascii() and code.isalnum()):
            raise InvalidInput("a meeting code is 2-16 letters and digits, like GA12")
        check_title_and_place(title.strip(), place.strip())
        tz_name = timezone or self.timezone
        starts_at = parse_start(starts, tz_name)
        quorum_kind, quorum_value = parse_quorum(quorum)
        check_membership_days(min_membership_days)
        min_attended, of_last = attendance.check_rule(min_attended, of_last)
        with self._write() as conn:
            try:
                conn.execute(
                    insert(meetings).values(
                        code=code,
                        title=title.strip(),
                        starts_at=starts_at,
                        timezone=tz_name,
                        place=place.strip(),
                        state=str(MeetingState.DRAFT),
                        quorum_kind=quorum_kind,
                        quorum_value=quorum_value,
                        min_membership_days=min_membership_days,
                        guests_may_vote=guests_may_vote,
                        show_choices_on_receipt=show_choices_on_receipt,
                        min_attended=min_attended,
                        of_last=of_last,
                        created_at=self.clock(),
                    )
                )
            except IntegrityError:
                raise InvalidInput(f"a meeting with code {code} already exists") from None
            self._audit(
                conn,
                actor,
                "meeting_created",
                code,
                title=title.strip(),
                starts_at=starts_at.isoformat(),
                quorum=str(quorum),
                **({"min_attended": min_attended, "of_last": of_last} if min_attended else {}),
            )
            return self._meeting(self._meeting_row(conn, code))

    def meeting(self, code: str) -> Meeting:
        with self._read() as conn:
            return self._meeting(self._meeting_row(conn, code))

    def meetings(self) -> list[Meeting]:
        with self._read() as conn:
            return [self._meeting(r) for r in conn.execute(select(meetings).order_by(meetings.c.starts_at))]

    def next_meeting(self) -> Meeting | None:
        """The soonest meeting that has not closed and starts no earlier than six hours ago."""
        since = self.clock() - timedelta(hours=6)
        with self._read() as conn:
            row = conn.execute(_NEXT_MEETING, {"since": since}).first()
            return None if row is None else self._meeting(row)

    def update_meeting(self, code: str, *, actor: str = "organizer", **changes: Any) -> Meeting:
        """Change a meeting's details (not its code or state); returns the meeting. Audited with what changed.

        Accepts ``title``, ``starts``, ``place``, ``quorum``, ``min_membership_days``, ``guests_may_vote``,
        ``min_attended`` and ``of_last`` (the attendance rule; None for none), ``show_choices_on_receipt``,
        ``live_results_shown``, ``results_hidden_until_close``. Who may vote and the quorum are fixed once voting
        opens; only the display choices may change after that. The attendance rule is fixed once the meeting
        leaves draft.
        """
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidInput(f"unknown meeting field {sorted(unknown)[0]!r}")
        with self._write() as conn:
            row = self._meeting_row(conn, code, lock=True)
            values = meeting_changes(changes, row)
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if row.state == MeetingState.CLOSED and changed:
                raise StateError(f"meeting {row.code} is closed; it can no longer be changed")
            if row.state == MeetingState.VOTING_OPEN and FIXED_WHEN_VOTING & set(changed):
                raise StateError(f"meeting {row.code}: quorum and who may vote are fixed once voting has opened")
            if row.state != MeetingState.DRAFT and FIXED_AFTER_DRAFT & set(changed):
                raise StateError(
                    f"meeting {row.code}: the attendance rule is fixed once sign-in has opened "
                    "(people who signed in were counted under it)"
                )
            if changed:
                conn.execute(update(meetings).where(meetings.c.id == row.id).values(**changed))
                self._audit(
                    conn,
                    actor,
                    "meeting_updated",
                    row.code,
                    **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in changed.items()},
                )
            return self._meeting(self._meeting_row(conn, code))

    def set_state(self, code: str, state: MeetingState | str, *, actor: str = "cli") -> Meeting:
        target = MeetingState(state)
        with self._write() as conn:
            row = self._meeting_row(conn, code, lock=True)
            current = MeetingState(row.state)
            if current == target:
                # Closing a closed meeting again finishes a rewrite of the files that could not finish before.
                owed = target is MeetingState.CLOSED and storage_order.pending(conn) is not None
                meeting = self._meeting(row)
            else:
                owed = False
                meeting = self._change_state(conn, row, current, target, actor)
        if target is MeetingState.CLOSED and (owed or current != target):
            self.scrub_storage_order()  # the outcome is kept in the database: see storage_order_pending()
        return meeting

    def _change_state(
        self, conn: Connection, row: Any, current: MeetingState, target: MeetingState, actor: str
    ) -> Meeting:
        if current is MeetingState.CLOSED:
            raise StateError(f"meeting {row.code} is closed; a closed meeting cannot be reopened")
        if STATE_ORDER.index(target) < STATE_ORDER.index(current):
            raise StateError(f"meeting {row.code} cannot go back from {current} to {target}")
        if target is MeetingState.VOTING_OPEN:
            count = (
                conn.execute(select(func.count()).select_from(planks).where(planks.c.meeting_id == row.id)).scalar_one()
                + conn.execute(
                    select(func.count()).select_from(contests).where(contests.c.meeting_id == row.id)
                ).scalar_one()
            )
            if count == 0:
                raise StateError(
                    f"meeting {row.code} has no planks or contests to vote on; import planks or contests first"
                )
        conn.execute(update(meetings).where(meetings.c.id == row.id).values(state=str(target)))
        detail: dict[str, Any] = {"from": str(current), "to": str(target)}
        if current is MeetingState.DRAFT and row.min_attended:
            # Everyone who signs in is counted over the same meetings, even if an earlier one closes meanwhile;
            # the log says which they were.
            detail["attendance_counted"] = attendance.freeze_window(conn, row)
        if target is MeetingState.CLOSED:
            # The edges' own steps (the print queue forgets queued ballot receipts, which follow the order of
            # casting): in this transaction, so before the files are rewritten.
            unit = self._unit(conn)
            for step in self._close_steps:
                step(unit, row.code)
            # Marked in the closing transaction: a crash before the rewrite finishes leaves it marked, and the
            # next start of any kiosk process finishes it.
            storage_order.mark_pending(conn, row.code, self.clock())
        self._audit(conn, actor, "state_changed", row.code, **detail)
        return self._meeting(self._meeting_row(conn, row.code))

    def scrub_storage_order(self, wait_s: float | None = None) -> storage_order.RewriteOutcome:
        """Rewrite the database files so no physical order follows the order ballots were cast.

        See ``kiosk.storage_order``: the outcome says whether it finished; when it did not (another process held
        a read transaction longer than ``close_wait_s``) it stays marked and is finished at the next start.
        """
        return storage_order.rewrite(self.engine, wait_s=self.close_wait_s if wait_s is None else wait_s)

    def storage_order_pending(self) -> str | None:
        """Why the last close could not erase the order of casting from the files, or None when nothing waits."""
        with self._read() as conn:
            return storage_order.pending(conn)
