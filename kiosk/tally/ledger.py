"""The accountability ledger in the database: importing officials, pledges and recorded votes (matching names to
officials and titles to platform planks), and reading them back as the scorecard.

Files are read by ``kiosk.ledger`` (pure); this module matches and stores. Natural keys, so that importing the
same file twice changes nothing: an official is their folded name; a pledge is (official, platform plank); a
recorded vote is (official, platform plank, day, folded body, folded matter). A line naming an official not
imported yet, or a plank not on the platform, is refused with its line number, and the rest is imported. A plank
is matched against the platform's titles ignoring case, accents and spacing (an amended plank's old title finds
its successor; a repealed plank still takes records made while it was in force: ``Tally.platform_plank_by_title``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.ledger.files import parse_officials, parse_pledges, parse_votes
from kiosk.ledger.model import LedgerReport, OfficialRow, PledgeAnswer, PledgeRow, Refusal, VoteCast, VoteRow, YesMeans
from kiosk.ledger.ocd import parse_vote_events
from kiosk.ledger.scorecard import OfficialScore, PlankRecord, Pledge, RecordedVote, by_plank, score_official
from kiosk.roster import fold, search_name
from kiosk.schema import meetings, officials, pledges, recorded_votes
from kiosk.tally.storage import TallyBase


def _report(refused: list[Refusal], notes: list[str]) -> LedgerReport:
    return LedgerReport(refused=[str(r) for r in refused], notes=list(notes))


def _write_row(conn: Connection, table: Any, existing: Any, values: dict[str, Any], report: LedgerReport) -> None:
    """Insert ``values``, or update ``existing`` where they differ; counted in ``report``."""
    report.imported += 1
    stamp = values.pop("updated_at")
    if existing is None:
        conn.execute(insert(table).values(**values, updated_at=stamp))
        report.added += 1
    elif all(getattr(existing, k) == v for k, v in values.items()):
        report.unchanged += 1
    else:
        conn.execute(update(table).where(table.c.id == existing.id).values(**values, updated_at=stamp))
        report.updated += 1


class LedgerMixin(TallyBase):
    platform_plank_by_title: Callable[..., Any]  # from the platform's concept module
    platform: Callable[..., list[Any]]

    # --- importing -------------------------------------------------------------------------------------------

    def import_officials(self, csv_text: str, *, actor: str = "cli") -> LedgerReport:
        rows, refused, notes = parse_officials(csv_text)
        report = _report(refused, notes)
        with self._write() as conn:
            codes = {r.code: r.id for r in conn.execute(select(meetings.c.code, meetings.c.id))}
            existing = {r.search_name: r for r in conn.execute(select(officials))}
            for row in rows:
                if row.endorsed_by is not None and row.endorsed_by not in codes:
                    report.refused.append(f"line {row.line}: no meeting with code {row.endorsed_by!r} (endorsed)")
                    continue
                self._write_official(conn, row, existing.get(search_name(row.name)), codes, report)
            self._audit(conn, actor, "officials_imported", None, **self._counts(report))
        report.refused.sort(key=_line_of)
        return report

    def _write_official(
        self, conn: Connection, row: OfficialRow, existing: Any, codes: dict[str, int], report: LedgerReport
    ) -> None:
        values = {
            "name": row.name,
            "office": row.office,
            "body": row.body,
            "term_start": row.term_start,
            "term_end": row.term_end,
            "endorsed": row.endorsed,
            "endorsed_meeting_id": codes[row.endorsed_by] if row.endorsed_by else None,
            "updated_at": self.clock(),
        }
        if existing is None:
            values["search_name"] = search_name(row.name)
            conn.execute(insert(officials).values(**values, created_at=values["updated_at"]))
            report.imported += 1
            report.added += 1
            return
        _write_row(conn, officials, existing, values, report)

    def import_pledges(self, csv_text: str, *, actor: str = "cli") -> LedgerReport:
        rows, refused, notes = parse_pledges(csv_text)
        return self._import_linked(rows, refused, notes, actor, "pledges_imported", self._write_pledge)

    def import_votes(self, csv_text: str, *, actor: str = "cli") -> LedgerReport:
        rows, refused, notes = parse_votes(csv_text)
        return self._import_linked(rows, refused, notes, actor, "votes_imported", self._write_vote)

    def import_vote_events(self, files: list[tuple[str, bytes]], map_text: str, *, actor: str = "cli") -> LedgerReport:
        """Recorded votes from Open Civic Data VoteEvent files (name, bytes) through a map of matters to planks."""
        rows, refused, notes = parse_vote_events(files, map_text)
        return self._import_linked(rows, refused, notes, actor, "votes_imported", self._write_vote, source="ocd")

    def _import_linked(
        self,
        rows: list[Any],
        refused: list[Refusal],
        notes: list[str],
        actor: str,
        action: str,
        write: Callable[[Connection, Any, int, int, LedgerReport], None],
        source: str = "csv",
    ) -> LedgerReport:
        """Rows that name an official and a plank: each matched, then written by ``write``."""
        report = _report(refused, notes)
        plank_ids = self._plank_ids({row.plank for row in rows})
        with self._write() as conn:
            official_ids = {r.search_name: r.id for r in conn.execute(select(officials.c.search_name, officials.c.id))}
            for row in rows:
                official_id = official_ids.get(search_name(row.official))
                plank_id = plank_ids.get(fold(row.plank))
                where = f"{row.source} vote" if getattr(row, "source", "") else "line"
                if official_id is None:
                    report.refused.append(
                        f"{where} {row.line}: unknown official {row.official[:60]!r} (import them with "
                        "`kiosk officials import` first)"
                    )
                elif plank_id is None:
                    report.refused.append(f"{where} {row.line}: plank {row.plank[:60]!r} is not on the platform")
                else:
                    write(conn, row, official_id, plank_id, report)
            self._audit(conn, actor, action, None, source=source, **self._counts(report))
        report.refused.sort(key=_line_of)
        return report

    def _plank_ids(self, titles: Iterable[str]) -> dict[str, int]:
        """The platform plank each title names (folded title → id); unknown titles are left out."""
        found: dict[str, int] = {}
        for title in titles:
            key = fold(title)
            if key not in found:
                plank = self.platform_plank_by_title(title, include_repealed=True)
                if plank is not None:
                    found[key] = plank.id
        return found

    def _write_pledge(self, conn: Connection, row: PledgeRow, official_id: int, plank_id: int, r: LedgerReport) -> None:
        existing = conn.execute(
            select(pledges).where(pledges.c.official_id == official_id, pledges.c.platform_plank_id == plank_id)
        ).first()
        values = {
            "official_id": official_id,
            "platform_plank_id": plank_id,
            "pledge": row.pledge.value,
            "pledged_on": row.pledged_on,
            "updated_at": self.clock(),
        }
        _write_row(conn, pledges, existing, values, r)

    def _write_vote(self, conn: Connection, row: VoteRow, official_id: int, plank_id: int, r: LedgerReport) -> None:
        key = {
            "official_id": official_id,
            "platform_plank_id": plank_id,
            "voted_on": row.voted_on,
            "body_key": fold(row.body)[:200],
            "matter_key": fold(row.matter)[:300],
        }
        existing = conn.execute(
            select(recorded_votes).where(*(recorded_votes.c[k] == v for k, v in key.items()))
        ).first()
        values = {
            **key,
            "body": row.body,
            "matter": row.matter,
            "vote": row.vote.value,
            "yes_means": row.yes_means.value,
            "updated_at": self.clock(),
        }
        # Where a vote came from is noted when it is written; the same vote from another file changes nothing.
        same = existing is not None and all(getattr(existing, k) == v for k, v in values.items() if k != "updated_at")
        if not same:
            values["source"] = (row.source or "csv")[:200]
        _write_row(conn, recorded_votes, existing, values, r)

    @staticmethod
    def _counts(report: LedgerReport) -> dict[str, int]:
        return {
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "refused": len(report.refused),
        }

    # --- reading ---------------------------------------------------------------------------------------------

    def scorecard(self, *, official: str | None = None) -> list[OfficialScore]:
        """Every official's score (or the one named, ignoring case and accents: NotFound-free, an empty list when
        there is no such official), in name order; see ``kiosk.ledger.scorecard`` for the arithmetic."""
        titles, order = self._platform_titles()
        with self._read() as conn:
            query = select(officials).order_by(officials.c.search_name)
            if official is not None:
                query = query.where(officials.c.search_name == search_name(official))
            people = conn.execute(query).all()
            votes = conn.execute(select(recorded_votes)).all()
            promised = conn.execute(select(pledges)).all()
        votes_of: dict[int, list[Any]] = {}
        for v in votes:
            votes_of.setdefault(v.official_id, []).append(v)
        pledges_of: dict[int, list[Any]] = {}
        for p in promised:
            pledges_of.setdefault(p.official_id, []).append(p)
        scores = []
        for person in people:
            mine = [
                RecordedVote(
                    person.name,
                    titles.get(v.platform_plank_id, "?"),
                    v.voted_on,
                    v.body,
                    v.matter,
                    VoteCast(v.vote),
                    YesMeans(v.yes_means),
                )
                for v in votes_of.get(person.id, [])
            ]
            answers = [
                Pledge(person.name, titles.get(p.platform_plank_id, "?"), PledgeAnswer(p.pledge), p.pledged_on)
                for p in pledges_of.get(person.id, [])
            ]
            base = OfficialScore(person.name, person.office, person.body, bool(person.endorsed))
            scores.append(score_official(base, order, mine, answers))
        return scores

    def scorecard_by_plank(self) -> list[PlankRecord]:
        """The scorecard by platform plank: each current plank (then older ones with votes) and who voted how."""
        _titles, order = self._platform_titles()
        return by_plank(order, self.scorecard())

    def _platform_titles(self) -> tuple[dict[int, str], list[str]]:
        """Every platform plank's title by id (amended and repealed ones too), and the current ones in order."""
        every = self.platform(history=True)
        current = [p.title for p in self.platform()]
        return {p.id: p.title for p in every}, current


def _line_of(reason: str) -> tuple[str, int]:
    """Refusals in order for the report: by file (a VoteEvent file's name, the map; none for a CSV), then number
    (``line 12: ...`` → ("", 12); ``a.json vote 3: ...`` → ("a.json", 3)). Python's sort keeps ties in order."""
    words = reason.split(":", 1)[0].split()
    if len(words) >= 2 and words[-1].isdigit():
        return " ".join(words[:-2]), int(words[-1])
    return " ".join(words), 0
