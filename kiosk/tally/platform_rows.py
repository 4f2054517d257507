"""The platform's rows: reading platform planks into ``PlatformPlank`` records, finding one by title, following
an amended plank to what replaced it, and checking a plank file's ``amends`` / ``repeals`` target.

Functions over a connection, shared by ``kiosk.tally.platform`` (the platform itself and the close) and
``kiosk.tally.planks`` (the planks import names its targets).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, delete, insert, select

from kiosk.plank_texts import PlankTranslation
from kiosk.results import Threshold
from kiosk.roster import fold
from kiosk.schema import meetings, plank_platform_changes, plank_translations, planks, platform_planks
from kiosk.tally.model import Adoption, PlatformEnding, PlatformPlank, PlatformState

MAX_TITLE_KEY = 300
MAX_CHAIN = 10_000  # amendments followed before giving up (a loop cannot be stored, but never trust a loop)

# Core aliases (not sqlalchemy.orm's aliased(): importing the ORM was a fifth of the kiosk's start-up imports).
_adopted_meeting = meetings.alias()
_ended_meeting = meetings.alias()
_adopted_plank = planks.alias()
_ended_by = planks.alias()


def title_key(title: str) -> str:
    """How platform titles are compared: case, accents and runs of spaces ignored (as names are at the door).

    >>> title_key("  Rent   CONTROL ") == title_key("rent control"), title_key("Educación") == title_key("educacion")
    (True, True)
    """
    return fold(title)[:MAX_TITLE_KEY]


def platform_query() -> Select[Any]:
    """Platform planks with their adoption and ending meetings, in the order they joined the platform."""
    return (
        select(
            platform_planks,
            _adopted_meeting.c.code.label("adopted_code"),
            _adopted_meeting.c.title.label("adopted_title"),
            _adopted_meeting.c.starts_at.label("adopted_starts"),
            _adopted_meeting.c.timezone.label("adopted_zone"),
            _ended_meeting.c.code.label("ended_code"),
            _ended_meeting.c.title.label("ended_title"),
            _ended_meeting.c.starts_at.label("ended_starts"),
            _ended_meeting.c.timezone.label("ended_zone"),
            _ended_by.c.title.label("ended_by_title"),
        )
        .join(_adopted_meeting, _adopted_meeting.c.id == platform_planks.c.adopted_meeting_id)
        .join(_adopted_plank, _adopted_plank.c.id == platform_planks.c.adopted_plank_id)
        .outerjoin(_ended_meeting, _ended_meeting.c.id == platform_planks.c.ended_meeting_id)
        .outerjoin(_ended_by, _ended_by.c.id == platform_planks.c.ended_by_plank_id)
        .order_by(_adopted_meeting.c.starts_at, _adopted_meeting.c.id, _adopted_plank.c.position)
    )


def _translations(conn: Connection, plank_ids: Iterable[int]) -> dict[int, tuple[PlankTranslation, ...]]:
    ids = sorted(set(plank_ids))
    if not ids:
        return {}
    found: dict[int, list[PlankTranslation]] = {}
    for t in conn.execute(
        select(plank_translations).where(plank_translations.c.plank_id.in_(ids)).order_by(plank_translations.c.language)
    ):
        found.setdefault(t.plank_id, []).append(PlankTranslation(t.language, t.title, t.text))
    return {k: tuple(v) for k, v in found.items()}


def platform_planks_from(conn: Connection, rows: list[Any]) -> list[PlatformPlank]:
    """``PlatformPlank`` records from rows of :func:`platform_query`, with the adopted planks' translations."""
    translations = _translations(conn, (r.adopted_plank_id for r in rows))
    return [_platform_plank(r, translations.get(r.adopted_plank_id, ())) for r in rows]


def _platform_plank(row: Any, translations: tuple[PlankTranslation, ...]) -> PlatformPlank:
    adopted = Adoption(
        meeting_code=row.adopted_code,
        meeting_title=row.adopted_title,
        date=row.adopted_starts.astimezone(ZoneInfo(row.adopted_zone)).date(),
        yes=row.yes_count,
        no=row.no_count,
        threshold=Threshold(row.threshold),
        abstain=row.abstain_count,
    )
    state = PlatformState(row.state)
    ended = None
    if state is not PlatformState.CURRENT and row.ended_code is not None:
        ended = PlatformEnding(
            state=state,
            meeting_code=row.ended_code,
            meeting_title=row.ended_title,
            date=row.ended_starts.astimezone(ZoneInfo(row.ended_zone)).date(),
            by_title=row.ended_by_title or "",
        )
    return PlatformPlank(
        id=row.id,
        title=row.title,
        text=row.text,
        adopted=adopted,
        state=state,
        translations=translations,
        replaced_by_id=row.replaced_by_id,
        ended=ended,
    )


def current_successor(conn: Connection, platform_id: int) -> Any | None:
    """The platform row now in force in place of ``platform_id``: itself when current, what replaced it when it
    was amended (followed through every later amendment), None when it (or a successor) was repealed."""
    seen: set[int] = set()
    next_id: int | None = platform_id
    while next_id is not None and next_id not in seen and len(seen) < MAX_CHAIN:
        seen.add(next_id)
        row = conn.execute(select(platform_planks).where(platform_planks.c.id == next_id)).first()
        if row is None or row.state == PlatformState.REPEALED:
            return None
        if row.state == PlatformState.CURRENT:
            return row
        next_id = row.replaced_by_id
    return None


def find_by_title(conn: Connection, title: str, *, include_repealed: bool = False) -> Any | None:
    """The platform row a title names (see ``Tally.platform_plank_by_title``): the current plank with that
    title; else, for the title of an amended plank, what replaced it now; else (``include_repealed``) the most
    recently adopted repealed plank with that title. None when there is none."""
    key = title_key(title)
    if not key or "\x00" in key:  # no stored title holds NUL (PostgreSQL refuses even to compare it)
        return None
    current = conn.execute(
        select(platform_planks.c.id).where(
            platform_planks.c.title_key == key, platform_planks.c.state == str(PlatformState.CURRENT)
        )
    ).first()
    if current is not None:
        return conn.execute(select(platform_planks).where(platform_planks.c.id == current.id)).first()
    older = conn.execute(
        select(platform_planks).where(platform_planks.c.title_key == key).order_by(platform_planks.c.id.desc())
    ).all()
    for row in older:
        successor = current_successor(conn, row.id)
        if successor is not None:
            return successor
    if include_repealed:
        return next((r for r in older if r.state == PlatformState.REPEALED), None)
    return None


def one_platform_plank(conn: Connection, platform_id: int) -> PlatformPlank:
    rows = conn.execute(platform_query().where(platform_planks.c.id == platform_id)).all()
    return platform_planks_from(conn, rows)[0]


# --- planks that amend or repeal a platform plank -----------------------------------------------------------


def resolve_target(conn: Connection, meeting_id: int, plank_title: str, action: str, target: str) -> int | str:
    """The platform plank a meeting's plank ``plank_title`` may amend or repeal (``action``), named by
    ``target``: its id, or why not (unknown, no longer in force, or already the target of another plank of the
    same meeting, whose outcomes would then depend on the ballot order)."""
    if len(target) > MAX_TITLE_KEY:
        return f"the plank it {action} has a title longer than {MAX_TITLE_KEY} characters"
    row = find_by_title(conn, target)
    if row is None:
        repealed = find_by_title(conn, target, include_repealed=True)
        if repealed is not None:
            return f"it {action} {target!r}, which was repealed: it is no longer on the platform"
        return f"it {action} {target!r}, but no plank in force on the platform has that title"
    taken = conn.execute(
        select(planks.c.title)
        .join(plank_platform_changes, plank_platform_changes.c.plank_id == planks.c.id)
        .where(
            planks.c.meeting_id == meeting_id,
            plank_platform_changes.c.target_id == row.id,
            planks.c.title != plank_title,
        )
    ).first()
    if taken is not None:
        return f"{taken.title!r} of this meeting already amends or repeals {row.title!r}"
    return int(row.id)


def store_change(conn: Connection, plank_id: int, action: str | None, target_id: int | None) -> None:
    """Set (or with ``action`` None, remove) what a plank would do to the platform if it passes."""
    conn.execute(delete(plank_platform_changes).where(plank_platform_changes.c.plank_id == plank_id))
    if action is not None and target_id is not None:
        conn.execute(insert(plank_platform_changes).values(plank_id=plank_id, action=action, target_id=target_id))


def changes_of_meeting(conn: Connection, meeting_id: int) -> dict[int, tuple[str, str]]:
    """{plank id: (action, the target's title)} for a meeting's planks that amend or repeal a platform plank."""
    rows = conn.execute(
        select(plank_platform_changes.c.plank_id, plank_platform_changes.c.action, platform_planks.c.title)
        .join(planks, planks.c.id == plank_platform_changes.c.plank_id)
        .join(platform_planks, platform_planks.c.id == plank_platform_changes.c.target_id)
        .where(planks.c.meeting_id == meeting_id)
    )
    return {r.plank_id: (r.action, r.title) for r in rows}
