"""The roster in the database: importing a roster file (matching people already on it, merging walk-ins who
joined at the door into their roster entry) and counting members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from kiosk.roster import RosterRow, display_name, fold, parse_roster, search_name
from kiosk.schema import meetings, members, rsvps, signins
from kiosk.tally.model import ImportReport, PersonKey
from kiosk.tally.storage import TallyBase


class RosterIndex:
    """The people already on the roster, by the keys a roster line is matched on (see ``kiosk.roster``)."""

    def __init__(self, existing: list[Any]) -> None:
        self.by_name_email: dict[tuple[str, str], Any] = {}
        self.by_name_phone: dict[tuple[str, str], Any] = {}
        self.by_name_only: dict[str, Any] = {}
        for m in existing:
            if m.email:
                self.by_name_email.setdefault((fold(m.name), m.email), m)
            if m.phone:
                self.by_name_phone.setdefault((fold(m.name), m.phone), m)
            if not m.email and not m.phone:
                self.by_name_only.setdefault(fold(m.name), m)

    def match(self, row: RosterRow) -> Any:
        key = fold(row.name)
        if row.email:
            return self.by_name_email.get((key, row.email)) or (
                self.by_name_phone.get((key, row.phone)) if row.phone else None
            )
        if row.phone:
            return self.by_name_phone.get((key, row.phone))
        return self.by_name_only.get(key)


class PeopleMixin(TallyBase):
    def import_roster(self, csv_text: str, *, actor: str = "cli") -> ImportReport:
        parsed = parse_roster(csv_text, self.region)
        report = ImportReport(refused=[str(r) for r in parsed.refused], notes=list(parsed.notes))
        with self._write() as conn:
            # Where two rows are the same person (a walk-in who joined at the door beside their roster entry), the
            # roster's own row is the match: non-pending first, then the oldest.
            existing = sorted(conn.execute(select(members)).all(), key=lambda m: (m.status == "pending", m.id))
            index = RosterIndex(existing)
            touched: set[int] = set()
            lines: dict[int, int] = {}
            for row in parsed.rows:
                member_id = self._import_row(conn, row, index.match(row), touched, report)
                if member_id is not None:
                    touched.add(member_id)
                    lines[member_id] = row.line
            merged = self._merge_walkins(conn, existing, touched, lines, report)
            missing = len({m.id for m in existing} - touched - merged)
            if missing:
                report.notes.append(f"{missing} people on the roster were not in this file; nobody was removed")
            self._audit(
                conn,
                actor,
                "roster_imported",
                None,
                added=report.added,
                updated=report.updated,
                refused=len(report.refused),
                merged=report.merged,
            )
        return report

    def _import_row(
        self, conn: Connection, row: RosterRow, match: Any, touched: set[int], report: ImportReport
    ) -> int | None:
        """Add or update one roster line; the member id it wrote, or None when the line was skipped."""
        now = self.clock()
        values = {
            "name": row.name,
            "search_name": search_name(row.name),
            "phone": row.phone,
            "email": row.email,
            "status": row.status,
            "joined": row.joined,
        }
        if row.language is not None:  # an empty cell keeps the language the member last used
            values["language"] = row.language
        report.imported += 1
        if match is None:
            result = conn.execute(insert(members).values(**values, created_at=now, updated_at=now))
            report.added += 1
            return int(result.inserted_primary_key[0])
        if match.id in touched:
            report.notes.append(f"line {row.line}: matches a person already updated from this file")
            return None
        if all(getattr(match, k) == v for k, v in values.items()):
            report.unchanged += 1
        else:
            conn.execute(update(members).where(members.c.id == match.id).values(**values, updated_at=now))
            report.updated += 1
        return int(match.id)

    def _merge_walkins(
        self, conn: Connection, existing: list[Any], touched: set[int], lines: dict[int, int], report: ImportReport
    ) -> set[int]:
        """Merge each walk-in who joined at the door (pending, no email) into the roster entry this import just
        wrote for the same person (same name ignoring case and accents, same phone), so one person never has two
        rows, let alone two ``member`` rows. Their RSVPs and sign-ins move to the roster entry; a person who was
        signed in under both rows at one meeting (two ballot tokens) is reported, since that cannot be undone."""
        if not touched:
            return set()
        rows = conn.execute(select(members).where(members.c.id.in_(touched))).all()
        keepers = {(r.search_name, r.phone): r for r in rows if r.phone}
        merged: set[int] = set()
        for walkin in existing:
            if walkin.id in touched or walkin.status != "pending" or walkin.email or not walkin.phone:
                continue
            keeper = keepers.get((search_name(walkin.name), walkin.phone))
            if keeper is None:
                continue
            self._merge_walkin(conn, walkin, keeper, lines[keeper.id], report)
            merged.add(walkin.id)
        return merged

    @staticmethod
    def _merge_walkin(conn: Connection, walkin: Any, keeper: Any, line: int, report: ImportReport) -> None:
        new_key = str(PersonKey.member(keeper.id))
        conn.execute(
            update(rsvps).where(rsvps.c.member_id == walkin.id).values(member_id=keeper.id, person_key=new_key)
        )
        for signin in conn.execute(select(signins).where(signins.c.member_id == walkin.id)).all():
            clash = conn.execute(
                select(signins.c.id).where(
                    and_(signins.c.meeting_id == signin.meeting_id, signins.c.person_key == new_key)
                )
            ).first()
            values: dict[str, Any] = {"member_id": keeper.id}
            if clash is None:
                values["person_key"] = new_key
            else:
                code = conn.execute(select(meetings.c.code).where(meetings.c.id == signin.meeting_id)).scalar()
                report.notes.append(
                    f"line {line}: {display_name(keeper.name)} was signed in twice at {code} "
                    "(as a member and as a walk-in joining that day)"
                )
            conn.execute(update(signins).where(signins.c.id == signin.id).values(**values))
        conn.execute(delete(members).where(members.c.id == walkin.id))
        report.merged += 1
        report.notes.append(
            f"line {line}: {display_name(keeper.name)} had also joined at the door as a walk-in "
            "(a pending member); merged into this roster entry"
        )

    def member_count(self, status: str | None = None) -> int:
        with self._read() as conn:
            query = select(func.count()).select_from(members)
            if status:
                query = query.where(members.c.status == status)
            return conn.execute(query).scalar_one()
