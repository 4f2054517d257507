"""Setting up a meeting's contests: importing the contests file, adding, editing, moving and removing one, until
voting opens (then they are frozen, like planks: the same rule, ``_planks_editable``)."""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.errors import InvalidInput, NotFound
from kiosk.schema import contest_candidates, contest_translations, contests
from kiosk.tally.contest_file import MAX_CONTESTS, ContestSpec, parse_contests_csv
from kiosk.tally.contests import Contest, ContestsMixin, load_contests
from kiosk.tally.model import ImportReport
from kiosk.tally.planks import PlanksMixin


class ContestSetupMixin(ContestsMixin, PlanksMixin):
    def import_contests(self, code: str, csv_text: str, *, actor: str = "cli") -> ImportReport:
        """Add the file's contests (see ``kiosk.tally.contest_file``); a title already on the meeting is replaced
        with the file's settings and candidates. A file with any error changes nothing."""
        report = ImportReport()
        specs = parse_contests_csv(csv_text, report.notes)
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            existing = {c.title: c for c in load_contests(conn, meeting.id)}
            added = [s for s in specs if s.title not in existing]
            if len(existing) + len(added) > MAX_CONTESTS:
                raise InvalidInput(f"nothing imported: a meeting has at most {MAX_CONTESTS} contests")
            for spec in specs:
                if spec.title in existing:
                    self._store_contest(conn, existing[spec.title].id, spec)
                    report.updated += 1
                else:
                    self._insert_contest(conn, meeting.id, spec)
                    report.added += 1
                report.imported += 1
            self._audit(conn, actor, "contests_imported", meeting.code, added=report.added, updated=report.updated)
        return report

    def add_contest(self, code: str, spec: ContestSpec, *, actor: str = "organizer") -> Contest:
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            if len(load_contests(conn, meeting.id)) >= MAX_CONTESTS:
                raise InvalidInput(f"a meeting has at most {MAX_CONTESTS} contests")
            contest_id = self._insert_contest(conn, meeting.id, spec)
            self._audit(conn, actor, "contest_added", meeting.code, contest=contest_id, title=spec.title)
            return next(c for c in load_contests(conn, meeting.id) if c.id == contest_id)

    def update_contest(self, code: str, contest_id: int, spec: ContestSpec, *, actor: str = "organizer") -> Contest:
        """Replace one contest's title, settings, translations and candidates (only before voting opens, so no
        ballot can have ranked them yet)."""
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            self._contest_of(conn, meeting.id, contest_id)
            self._store_contest(conn, contest_id, spec)
            self._audit(conn, actor, "contest_updated", meeting.code, contest=contest_id, title=spec.title)
            return next(c for c in load_contests(conn, meeting.id) if c.id == contest_id)

    def remove_contest(self, code: str, contest_id: int, *, actor: str = "organizer") -> None:
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            title = self._contest_of(conn, meeting.id, contest_id)
            conn.execute(delete(contest_candidates).where(contest_candidates.c.contest_id == contest_id))
            conn.execute(delete(contest_translations).where(contest_translations.c.contest_id == contest_id))
            conn.execute(delete(contests).where(contests.c.id == contest_id))
            self._audit(conn, actor, "contest_removed", meeting.code, contest=contest_id, title=title)

    def move_contest(self, code: str, contest_id: int, offset: int, *, actor: str = "organizer") -> list[Contest]:
        """Move a contest up (negative offset) or down the ballot (only before voting opens)."""
        with self._write() as conn:
            meeting = self._planks_editable(conn, code)
            order = load_contests(conn, meeting.id)
            index = next((i for i, c in enumerate(order) if c.id == contest_id), None)
            if index is None:
                raise NotFound(f"no contest {contest_id} on meeting {meeting.code}")
            target = max(0, min(len(order) - 1, index + offset))
            if target != index:
                order.insert(target, order.pop(index))
                # Positions are unique per meeting: park every contest out of the way, then number them afresh.
                top = max(c.position for c in order)
                for step in (top, 0):
                    for i, contest in enumerate(order, start=1):
                        conn.execute(update(contests).where(contests.c.id == contest.id).values(position=step + i))
                self._audit(conn, actor, "contest_moved", meeting.code, contest=contest_id, position=target + 1)
            return load_contests(conn, meeting.id)

    @staticmethod
    def _contest_of(conn: Connection, meeting_id: int, contest_id: int) -> str:
        title = conn.execute(
            select(contests.c.title).where(and_(contests.c.id == contest_id, contests.c.meeting_id == meeting_id))
        ).scalar()
        if title is None:
            raise NotFound(f"no contest {contest_id} on this meeting")
        return str(title)

    def _insert_contest(self, conn: Connection, meeting_id: int, spec: ContestSpec) -> int:
        position = conn.execute(
            select(func.coalesce(func.max(contests.c.position), 0)).where(contests.c.meeting_id == meeting_id)
        ).scalar_one()
        try:
            with conn.begin_nested():
                contest_id = int(
                    conn.execute(
                        insert(contests).values(meeting_id=meeting_id, position=position + 1, **_columns(spec))
                    ).inserted_primary_key[0]
                )
        except IntegrityError:
            raise InvalidInput(f"this meeting already has a contest titled {spec.title!r}") from None
        self._store_parts(conn, contest_id, spec)
        return contest_id

    def _store_contest(self, conn: Connection, contest_id: int, spec: ContestSpec) -> None:
        try:
            with conn.begin_nested():
                conn.execute(update(contests).where(contests.c.id == contest_id).values(**_columns(spec)))
        except IntegrityError:
            raise InvalidInput(f"this meeting already has a contest titled {spec.title!r}") from None
        self._store_parts(conn, contest_id, spec)

    @staticmethod
    def _store_parts(conn: Connection, contest_id: int, spec: ContestSpec) -> None:
        """The contest's candidates (replaced whole: no ballot can rank them before voting opens) and the
        translations given (an empty title removes one; a language not given keeps what is stored)."""
        conn.execute(delete(contest_candidates).where(contest_candidates.c.contest_id == contest_id))
        conn.execute(
            insert(contest_candidates),
            [
                {"contest_id": contest_id, "position": i, "name": c.name, "no_endorsement": c.no_endorsement}
                for i, c in enumerate(spec.candidates, start=1)
            ],
        )
        for lang, title in spec.translations.items():
            this = and_(contest_translations.c.contest_id == contest_id, contest_translations.c.language == lang)
            conn.execute(delete(contest_translations).where(this))
            if title:
                conn.execute(insert(contest_translations).values(contest_id=contest_id, language=lang, title=title))


def _columns(spec: ContestSpec) -> dict[str, object]:
    return {
        "title": spec.title,
        "seats": spec.seats,
        "method": str(spec.method),
        "threshold_percent": None if spec.threshold_percent is None else str(spec.threshold_percent),
        "decimal_places": spec.decimal_places,
        "tiebreak_seed": spec.tiebreak_seed,
    }
