"""Planks: the questions on a meeting's ballot, imported from CSV or edited one by one until voting opens."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import InvalidInput, NotFound, StateError
from kiosk.plank_texts import check_translation, translation_columns
from kiosk.results import Threshold
from kiosk.roster import fold
from kiosk.schema import plank_translations, planks
from kiosk.tally.model import PLANKS_EDITABLE, ImportReport, Plank
from kiosk.tally.platform_rows import changes_of_meeting, resolve_target, store_change
from kiosk.tally.storage import TallyBase

MAX_PLANKS = 100
MAX_PLANK_TITLE = 300
MAX_PLANK_TEXT = 5000

# A plank's translations as given ({language: (title, text)}): a field given as None keeps what is stored, and
# both fields empty remove the translation.
Translations = Mapping[str, tuple[str | None, str | None]]


@dataclass(frozen=True)
class PlankLine:
    """One plank read from a planks file."""

    line: int
    title: str
    text: str
    threshold: Threshold
    translations: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # What it would do to the platform if it passes: ("amends" | "repeals", the platform plank's title);
    # (None, "") when the file has those columns but this line names nothing; None when the file has neither.
    platform_change: tuple[str | None, str] | None = None


def _optional_cell(row: list[str], index: int | None) -> str | None:
    """A CSV cell, trimmed; None when the file has no such column ("" when the row is short)."""
    if index is None:
        return None
    return row[index].strip() if index < len(row) else ""


def parse_threshold(value: Threshold | str) -> Threshold:
    try:
        return Threshold(value)
    except ValueError:
        allowed = ", ".join(t.value for t in Threshold)
        raise InvalidInput(f"threshold {value!r} is not one of {allowed}") from None


def _plank_line(
    line: int, title: str, body: str, threshold: str, given: dict[str, tuple[str | None, str | None]]
) -> PlankLine | str:
    """The plank, or why the line is refused."""
    threshold = threshold.replace(" ", "-").replace("_", "-")
    if not title:
        return f"line {line}: no title"
    if len(title) > MAX_PLANK_TITLE or len(body) > MAX_PLANK_TEXT:
        return f"line {line}: title or text too long"
    if threshold not in {t.value for t in Threshold}:
        allowed = ", ".join(t.value for t in Threshold)
        return f"line {line}: threshold {threshold!r} is not one of {allowed}"
    problems = [p for lang, (t, x) in given.items() if (p := check_translation(lang, t or "", x or ""))]
    if problems:
        return f"line {line}: {'; '.join(problems)}"
    return PlankLine(line, title, body, Threshold(threshold), given)


def _with_platform_change(plank: PlankLine, amends: str, repeals: str) -> PlankLine | str:
    """The line's ``amends`` / ``repeals`` cells (at most one of them names a platform plank), or why not."""
    if amends and repeals:
        return f"line {plank.line}: a plank may amend or repeal one platform plank, not both"
    change = ("amends", amends) if amends else ("repeals", repeals) if repeals else (None, "")
    return replace(plank, platform_change=change)


def parse_planks_csv(csv_text: str, report: ImportReport) -> list[PlankLine]:
    """The planks of a CSV file (``title,text,threshold``, and ``title_es,text_es`` for each language the kiosk
    offers besides the original's); refused lines go to ``report``."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    try:
        header = [fold(h) for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the planks file is empty") from None
    if "title" not in header:
        raise InvalidInput("the planks file has no 'title' column (expected: title, text, threshold)")
    index = {name: i for i, name in enumerate(header)}
    translated, notes = translation_columns(header)
    report.notes.extend(notes)
    parsed: list[PlankLine] = []
    for row in reader:
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = index.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        # A translation column the file does not have keeps what is stored (None); one it has sets it, even empty.
        given = {
            lang: (_optional_cell(row, columns.get("title")), _optional_cell(row, columns.get("text")))
            for lang, columns in translated.items()
        }
        found = _plank_line(reader.line_num, cell("title"), cell("text"), fold(cell("threshold")) or "majority", given)
        if not isinstance(found, str) and ("amends" in index or "repeals" in index):
            found = _with_platform_change(found, cell("amends"), cell("repeals"))
        if isinstance(found, str):
            report.refused.append(found)
        else:
            parsed.append(found)
    return parsed


class PlanksMixin(TallyBase):
    def planks(self, code: str) -> list[Plank]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            return self._planks(conn, meeting.id)

    def import_planks(self, code: str, csv_text: str, *, actor: str = "cli") -> ImportReport:
        """Add planks from CSV (``title,text,threshold``, and ``title_es,text_es`` for each language the kiosk
        offers besides the original's); a title already on the meeting is updated. A translation column left out
        keeps the stored translation; one present but empty removes it (the original is shown instead).

        ``amends`` / ``repeals`` name a platform plank in force (``Tally.platform_plank_by_title``) that the plank
        replaces or ends if it passes; a line naming one that is not in force is refused, with its number."""
        report = ImportReport()
        parsed = parse_planks_csv(csv_text, report)
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            existing = {p.title: p for p in self._planks(conn, meeting.id)}
            position = max((p.position for p in existing.values()), default=0)
            for plank in parsed:
                target_id = None
                action, target = plank.platform_change or (None, "")
                if action is not None:
                    resolved = resolve_target(conn, meeting.id, plank.title, action, target)
                    if isinstance(resolved, str):
                        report.refused.append(f"line {plank.line}: {resolved}")
                        continue
                    target_id = resolved
                if plank.title in existing:
                    conn.execute(
                        update(planks)
                        .where(planks.c.id == existing[plank.title].id)
                        .values(text=plank.text, threshold=str(plank.threshold))
                    )
                    self._store_translations(conn, existing[plank.title].id, plank.translations)
                    plank_id = existing[plank.title].id
                    report.updated += 1
                elif len(existing) + report.added >= MAX_PLANKS:
                    report.refused.append(f"line {plank.line}: a meeting has at most {MAX_PLANKS} planks")
                    continue
                else:
                    position += 1
                    plank_id = self._add_plank(conn, meeting.id, position, plank)
                    self._store_translations(conn, plank_id, plank.translations)
                    existing[plank.title] = Plank(plank_id, position, plank.title, plank.text, plank.threshold)
                    report.added += 1
                if plank.platform_change is not None:
                    store_change(conn, plank_id, plank.platform_change[0], target_id)
                report.imported += 1
            self._audit(
                conn,
                actor,
                "planks_imported",
                meeting.code,
                added=report.added,
                updated=report.updated,
                refused=len(report.refused),
            )
        return report

    @staticmethod
    def _add_plank(conn: Connection, meeting_id: int, position: int, plank: PlankLine) -> int:
        return conn.execute(
            insert(planks).values(
                meeting_id=meeting_id,
                position=position,
                title=plank.title,
                text=plank.text,
                threshold=str(plank.threshold),
            )
        ).inserted_primary_key[0]

    @staticmethod
    def _store_translations(conn: Connection, plank_id: int, given: Translations) -> None:
        """Set the plank's translations in the languages given; a field given as None keeps what is stored, and
        both fields empty removes the translation."""
        for lang, (new_title, new_text) in given.items():
            this = and_(plank_translations.c.plank_id == plank_id, plank_translations.c.language == lang)
            stored = conn.execute(select(plank_translations.c.title, plank_translations.c.text).where(this)).first()
            title = new_title if new_title is not None else (stored.title if stored else "")
            text = new_text if new_text is not None else (stored.text if stored else "")
            conn.execute(delete(plank_translations).where(this))
            if title or text:
                conn.execute(
                    insert(plank_translations).values(plank_id=plank_id, language=lang, title=title, text=text)
                )

    def update_plank(
        self,
        code: str,
        plank_id: int,
        *,
        title: str | None = None,
        text: str | None = None,
        threshold: Threshold | str | None = None,
        translations: Mapping[str, tuple[str, str]] | None = None,
        actor: str = "organizer",
    ) -> Plank:
        """Edit one plank's title, text, threshold or translations ({language: (title, text)}; both empty
        removes one) (only before voting opens)."""
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            row = conn.execute(
                select(planks).where(and_(planks.c.id == plank_id, planks.c.meeting_id == meeting.id))
            ).first()
            if row is None:
                raise NotFound(f"no plank {plank_id} on meeting {meeting.code}")
            values = _plank_changes(title, text, threshold)
            given: dict[str, tuple[str | None, str | None]] = {
                lang: (tr_title.strip(), tr_text.strip()) for lang, (tr_title, tr_text) in (translations or {}).items()
            }
            for lang, (tr_title, tr_text) in given.items():
                problem = check_translation(lang, tr_title or "", tr_text or "")
                if problem:
                    raise InvalidInput(problem)
            try:
                with conn.begin_nested():
                    if values:
                        conn.execute(update(planks).where(planks.c.id == plank_id).values(**values))
            except IntegrityError:
                raise InvalidInput("another plank of this meeting already has that title") from None
            self._store_translations(conn, plank_id, given)
            if given:
                values["translations"] = sorted(given)
            self._audit(conn, actor, "plank_updated", meeting.code, plank=plank_id, **values)
            return next(p for p in self._planks(conn, meeting.id) if p.id == plank_id)

    def move_plank(self, code: str, plank_id: int, offset: int, *, actor: str = "organizer") -> list[Plank]:
        """Move a plank up (negative offset) or down the ballot (only before voting opens); returns the new order."""
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            order = self._planks(conn, meeting.id)
            index = next((i for i, p in enumerate(order) if p.id == plank_id), None)
            if index is None:
                raise NotFound(f"no plank {plank_id} on meeting {meeting.code}")
            target = max(0, min(len(order) - 1, index + offset))
            if target == index:
                return order
            moved = order.pop(index)
            order.insert(target, moved)
            # Positions are unique per meeting: park every plank out of the way, then number them afresh.
            top = max(p.position for p in order)
            for i, plank in enumerate(order, start=1):
                conn.execute(update(planks).where(planks.c.id == plank.id).values(position=top + i))
            for i, plank in enumerate(order, start=1):
                conn.execute(update(planks).where(planks.c.id == plank.id).values(position=i))
            self._audit(conn, actor, "plank_moved", meeting.code, plank=plank_id, position=target + 1)
            return self._planks(conn, meeting.id)

    def plank_platform_changes(self, code: str) -> dict[int, tuple[str, str]]:
        """{plank id: ("amends" | "repeals", the platform plank's title)} for the meeting's planks that would
        change the platform if they pass."""
        with self._read() as conn:
            return changes_of_meeting(conn, self._meeting_row(conn, code).id)

    def set_plank_platform_change(
        self, code: str, plank_id: int, action: str | None, target: str = "", *, actor: str = "organizer"
    ) -> None:
        """Make a plank amend or repeal (``action``) the platform plank titled ``target``, or (``action`` None)
        only add to the platform; only before voting opens."""
        if action not in (None, "amends", "repeals"):
            raise InvalidInput(f"{action!r} is not amends or repeals")
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            row = conn.execute(
                select(planks.c.title).where(and_(planks.c.id == plank_id, planks.c.meeting_id == meeting.id))
            ).first()
            if row is None:
                raise NotFound(f"no plank {plank_id} on meeting {meeting.code}")
            target_id = None
            if action is not None:
                resolved = resolve_target(conn, meeting.id, row.title, action, target.strip())
                if isinstance(resolved, str):
                    raise InvalidInput(f"{row.title!r}: {resolved}")
                target_id = resolved
            store_change(conn, plank_id, action, target_id)
            self._audit(
                conn, actor, "plank_updated", meeting.code, plank=plank_id, platform=action or "adds", target=target
            )

    def _planks_editable(self, conn: Connection, code: str) -> Any:
        """The meeting row, locked, if its planks may still change (the one place that rule lives)."""
        meeting = self._meeting_row(conn, code, lock=True)
        if meeting.state not in PLANKS_EDITABLE:
            raise StateError(f"planks of meeting {meeting.code} cannot change once voting has opened")
        return meeting


def _plank_changes(title: str | None, text: str | None, threshold: Threshold | str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if title is not None:
        if not title.strip() or len(title.strip()) > MAX_PLANK_TITLE:
            raise InvalidInput(f"a plank title is 1-{MAX_PLANK_TITLE} characters")
        values["title"] = title.strip()
    if text is not None:
        if len(text) > MAX_PLANK_TEXT:
            raise InvalidInput(f"a plank text is at most {MAX_PLANK_TEXT} characters")
        values["text"] = text.strip()
    if threshold is not None:
        values["threshold"] = str(parse_threshold(threshold))
    return values
