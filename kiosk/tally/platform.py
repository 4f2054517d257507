"""The platform: every plank that passed at a closed meeting, and what later meetings amended or repealed.

A meeting's outcome joins the platform in the transaction that closes it (a close step the tally registers on
itself): a plank passed when its final counts meet its threshold, the rule the results use
(``kiosk.results.passes``). A passed plank that *amends* a platform plank replaces it (the old one is kept as
``amended``, pointing to its successor); one that *repeals* a platform plank ends it (kept as ``repealed``) and
does not itself join. A plank that failed changes nothing. Nothing is ever deleted: the history is the table.

Meetings closed before the platform existed join it with ``rebuild_platform`` (``kiosk init`` and
``kiosk platform rebuild`` run it): meetings are applied once each, in the order they were held.

Two planks with the same title (case, accents and spaces ignored; ``platform_rows.title_key``) are never both
in force: a passed plank titled like a current one replaces it, as an amendment would (the later meeting's
wins, also when an older meeting is applied late by a rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, or_, select, update

from kiosk.schema import meetings, plank_platform_changes, planks, platform_planks
from kiosk.tally.model import MeetingState, Plank, PlatformPlank, PlatformState
from kiosk.tally.platform_rows import (
    current_successor,
    find_by_title,
    one_platform_plank,
    platform_planks_from,
    platform_query,
    title_key,
)
from kiosk.tally.storage import TallyBase
from kiosk.tally.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from kiosk.results import MeetingResults, PlankResult

PLATFORM_ACTOR = "platform"  # the audit log's actor for what a close did to the platform


@dataclass
class PlatformChanges:
    """What applying one meeting did to the platform (titles), for the audit log and ``kiosk platform rebuild``."""

    adopted: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    repealed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.adopted or self.amended or self.repealed or self.notes)

    def as_dict(self) -> dict[str, list[str]]:
        return {k: v for k, v in vars(self).items() if v}


class PlatformMixin(TallyBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_close(self._platform_close_step)

    # --- reading ----------------------------------------------------------------------------------------------

    def platform(self, *, history: bool = False) -> list[PlatformPlank]:
        """The planks in force, in the order they were adopted; ``history`` adds the amended and repealed ones
        (each with what ended it) in the same order."""
        query = platform_query()
        if not history:
            query = query.where(platform_planks.c.state == str(PlatformState.CURRENT))
        with self._read() as conn:
            return platform_planks_from(conn, conn.execute(query).all())

    def platform_plank_by_title(self, title: str, *, include_repealed: bool = False) -> PlatformPlank | None:
        """The platform plank a title names, compared without case, accents or extra spaces: the current plank
        with that title; for the title of an amended plank, the plank now in force in its place; None when no
        plank in force has it. ``include_repealed`` also returns a repealed plank (its ``state`` says so), for
        records made while it was in force."""
        with self._read() as conn:
            row = find_by_title(conn, title, include_repealed=include_repealed)
            return None if row is None else one_platform_plank(conn, row.id)

    # --- closing ----------------------------------------------------------------------------------------------

    def _platform_close_step(self, uow: UnitOfWork, meeting_code: str) -> None:
        conn = uow.connection
        self._apply_meeting(conn, self._meeting_row(conn, meeting_code))

    def rebuild_platform(self, *, actor: str = "cli") -> list[tuple[str, PlatformChanges]]:
        """Apply every closed meeting the platform has not seen (those closed before it existed), in the order
        they were held; returns what each changed. Running it again changes nothing."""
        applied: list[tuple[str, PlatformChanges]] = []
        with self._write() as conn:
            # Applied already: a meeting the platform refers to, and one with a plank that amends or repeals (such
            # a plank exists only since the platform does, so its meeting's close applied it, even to no effect).
            seen = {
                r[0]
                for r in conn.execute(select(platform_planks.c.adopted_meeting_id)).all()
                + conn.execute(select(platform_planks.c.ended_meeting_id)).all()
                + conn.execute(
                    select(planks.c.meeting_id).join(
                        plank_platform_changes, plank_platform_changes.c.plank_id == planks.c.id
                    )
                ).all()
                if r[0] is not None
            }
            closed = conn.execute(
                select(meetings)
                .where(meetings.c.state == str(MeetingState.CLOSED))
                .order_by(meetings.c.starts_at, meetings.c.id)
            ).all()
            for row in closed:
                if row.id in seen:
                    continue
                changes = self._apply_meeting(conn, row, actor=actor)
                if changes:
                    applied.append((row.code, changes))
        return applied

    def _apply_meeting(self, conn: Connection, meeting: Any, *, actor: str = PLATFORM_ACTOR) -> PlatformChanges:
        """Add what passed at ``meeting`` (being closed, or closed) to the platform, in ballot order."""
        changes = PlatformChanges()
        results: MeetingResults = self._results(conn, meeting)  # type: ignore[attr-defined]  # CountingMixin
        by_title = {p.title: p for p in self._planks(conn, meeting.id)}
        targets = {
            r.plank_id: (r.action, r.target_id)
            for r in conn.execute(
                select(plank_platform_changes).where(
                    plank_platform_changes.c.plank_id.in_([p.id for p in by_title.values()] or [-1])
                )
            )
        }
        for result in results.planks:
            plank = by_title[result.title]
            if not result.passed or _already_applied(conn, plank.id):
                continue
            action, target_id = targets.get(plank.id, (None, None))
            target = current_successor(conn, target_id) if target_id is not None else None
            if target_id is not None and target is None:
                changes.notes.append(f"{plank.title!r}: the plank it {action} is no longer in force")
            if action == "repeals":
                if target is not None:
                    self._end(conn, target, PlatformState.REPEALED, meeting, plank)
                    changes.repealed.append(target.title)
                continue
            if target is not None:
                self._end(conn, target, PlatformState.AMENDED, meeting, plank)
                changes.amended.append(target.title)
            new_id = self._adopt(conn, meeting, plank, result, changes)
            if target is not None:
                conn.execute(
                    update(platform_planks).where(platform_planks.c.id == target.id).values(replaced_by_id=new_id)
                )
        if changes:
            self._audit(conn, actor, "platform_changed", meeting.code, **changes.as_dict())
        return changes

    def _adopt(
        self, conn: Connection, meeting: Any, plank: Plank, result: PlankResult, changes: PlatformChanges
    ) -> int:
        """Add a passed plank to the platform; one in force with the same title gives way to the later meeting's."""
        key = title_key(plank.title)
        same = conn.execute(
            select(platform_planks, meetings.c.starts_at.label("adopted_starts"))
            .join(meetings, meetings.c.id == platform_planks.c.adopted_meeting_id)
            .where(platform_planks.c.title_key == key, platform_planks.c.state == str(PlatformState.CURRENT))
        ).first()
        newer_in_force = same is not None and (same.adopted_starts, same.adopted_meeting_id) > (
            meeting.starts_at,
            meeting.id,
        )
        if same is not None and not newer_in_force:
            self._end(conn, same, PlatformState.AMENDED, meeting, plank)
            changes.amended.append(same.title)
            changes.notes.append(f"{plank.title!r} replaces the plank of the same title adopted before")
        values = {
            "title": plank.title,
            "title_key": key,
            "text": plank.text,
            "adopted_meeting_id": meeting.id,
            "adopted_plank_id": plank.id,
            "threshold": str(plank.threshold),
            "yes_count": result.yes,
            "no_count": result.no,
            "abstain_count": result.abstain,
            "state": str(PlatformState.CURRENT),
        }
        if newer_in_force:  # an older meeting applied late: in the history, already replaced by the newer plank
            values |= {
                "state": str(PlatformState.AMENDED),
                "replaced_by_id": same.id,
                "ended_meeting_id": same.adopted_meeting_id,
                "ended_by_plank_id": same.adopted_plank_id,
            }
            changes.notes.append(f"{plank.title!r} was already replaced by a later meeting's plank of that title")
        new_id = int(conn.execute(insert(platform_planks).values(**values)).inserted_primary_key[0])
        if same is not None and not newer_in_force:
            conn.execute(update(platform_planks).where(platform_planks.c.id == same.id).values(replaced_by_id=new_id))
        changes.adopted.append(plank.title)
        return new_id

    @staticmethod
    def _end(conn: Connection, target: Any, state: PlatformState, meeting: Any, plank: Plank) -> None:
        """Take ``target`` out of force, ended by ``plank`` of ``meeting`` (an amendment sets its successor)."""
        conn.execute(
            update(platform_planks)
            .where(platform_planks.c.id == target.id)
            .values(state=str(state), ended_meeting_id=meeting.id, ended_by_plank_id=plank.id)
        )


def _already_applied(conn: Connection, plank_id: int) -> bool:
    return (
        conn.execute(
            select(platform_planks.c.id).where(
                or_(platform_planks.c.adopted_plank_id == plank_id, platform_planks.c.ended_by_plank_id == plank_id)
            )
        ).first()
        is not None
    )
