"""The tally: the one core every edge calls into (kiosk pages, buttons, printer queue, SMS gateway, CLI).

It owns the roster, meetings and their planks, RSVPs, sign-ins, ballot tokens, secret ballots, results and
the audit log, and imports nothing of Flask, gpiozero, escpos, pyserial or twilio (a test walks the imports).

Concurrency: every method runs in its own database transaction and is safe to call from several threads and
several processes at once. On SQLite, writes take the write lock up front (``BEGIN IMMEDIATE``); on PostgreSQL
row locks and unique constraints do the same work. Invariants are held by the database (see ``kiosk.schema``).

Secrecy: a ballot is stored under a random verification code with its choices and nothing else. Casting
marks the token spent and stores the ballot in one transaction; no column, token, ordering or timestamp links
the two. When voting closes, the database files are rewritten (SQLite: ``VACUUM`` and a WAL checkpoint) so that
not even the physical order of records follows the order of casting.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from kiosk import audit, db, storage_order
from kiosk.errors import InvalidInput, NotFound, StateError, TokenRejected
from kiosk.plank_texts import PlankTranslation, Shown, check_translation, shown, translation_columns
from kiosk.results import Choice, MeetingResults, PlankResult, Quorum, Threshold, quorum_required
from kiosk.roster import display_name, fold, normalize_phone, parse_roster, strip_invisible
from kiosk.schema import (
    ballot_choices,
    ballot_tokens,
    ballots,
    meetings,
    members,
    plank_translations,
    planks,
    print_jobs,
    rsvps,
    signins,
)
from kiosk.tokens import legacy_token_hash, new_token, new_verification_code, normalize_code, token_hash

log = logging.getLogger(__name__)

MAX_PLANKS = 100


class MeetingState(StrEnum):
    DRAFT = "draft"
    SIGNIN_OPEN = "signin_open"
    VOTING_OPEN = "voting_open"
    CLOSED = "closed"


# Forward only; a step may be skipped (opening voting also keeps sign-in open for late arrivals).
_ORDER = [MeetingState.DRAFT, MeetingState.SIGNIN_OPEN, MeetingState.VOTING_OPEN, MeetingState.CLOSED]


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True)
class Meeting:
    id: int
    code: str
    title: str
    starts_at: datetime
    timezone: str
    place: str
    state: MeetingState
    quorum_kind: str
    quorum_value: int
    min_membership_days: int | None
    guests_may_vote: bool
    show_choices_on_receipt: bool
    live_results_shown: bool = False
    results_hidden_until_close: bool = False

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def quorum_text(self) -> str:
        return f"{self.quorum_value}%" if self.quorum_kind == "percent" else str(self.quorum_value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "starts_at": self.local_start.isoformat(),
            "place": self.place,
            "state": str(self.state),
            "quorum": self.quorum_text,
            "min_membership_days": self.min_membership_days,
            "guests_may_vote": self.guests_may_vote,
            "show_choices_on_receipt": self.show_choices_on_receipt,
            "live_results_shown": self.live_results_shown,
            "results_hidden_until_close": self.results_hidden_until_close,
        }


def _optional_cell(row: list[str], index: int | None) -> str | None:
    """A CSV cell, trimmed; None when the file has no such column ("" when the row is short)."""
    if index is None:
        return None
    return row[index].strip() if index < len(row) else ""


@dataclass(frozen=True)
class Plank:
    id: int
    position: int
    title: str  # the original: the plank's identity for results, exports and the audit log
    text: str
    threshold: Threshold
    translations: tuple[PlankTranslation, ...] = ()

    def title_in(self, lang: str) -> Shown:
        """The title in ``lang``, or the original (with its own language) when it has no translation."""
        return shown(self.title, self.translations, lang, "title")

    def text_in(self, lang: str) -> Shown:
        return shown(self.text, self.translations, lang, "text")


@dataclass(frozen=True)
class Person:
    """A match for the sign-in look-up: only what a kiosk screen may show."""

    member_id: int | None
    display_name: str
    phone: str | None  # kept server-side for signing in an RSVP'd number; never shown
    kind: str  # member, lapsed, pending, guest, or "rsvp" for an RSVP'd number not on the roster
    signed_in: bool


@dataclass(frozen=True)
class SignIn:
    id: int
    meeting_code: str
    display_name: str
    kind: str
    eligible: bool
    already: bool
    # Only when a token was issued by this call: the receipt's only copy (never in a repr, so never in a log).
    token: str | None = field(repr=False)
    token_state: str | None  # issued, spent, void or None (not eligible)
    ineligible_reason: str | None = None


@dataclass(frozen=True)
class CastBallot:
    # Kept out of reprs: a code plus /verify gives the choices, and a repr may end up in a log.
    verification_code: str = field(repr=False)
    meeting_code: str
    choices: tuple[tuple[str, Choice], ...] = field(repr=False)


@dataclass
class ImportReport:
    imported: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Walk-ins who joined at the door (pending members) merged into the roster entry the file gave for them.
    merged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "refused": self.refused,
            "notes": self.notes,
        }

    def summary(self) -> str:
        parts = [
            f"{self.imported} lines imported ({self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged), {len(self.refused)} refused"
            + (f", {self.merged} walk-ins merged into their roster entry" if self.merged else "")
        ]
        parts += [f"  refused {reason}" for reason in self.refused]
        parts += [f"  note: {note}" for note in self.notes]
        return "\n".join(parts)


@dataclass(frozen=True)
class RsvpView:
    phone: str | None
    name: str | None
    member_id: int | None
    answer: Answer
    guests: int
    source: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "name": self.name,
            "answer": str(self.answer),
            "guests": self.guests,
            "source": self.source,
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


def clean_name(name: str) -> str:
    """A name as stored: no control or invisible characters (whichever edge it came from), single spaces."""
    return " ".join(strip_invisible(name).split())


def _meeting_key(code: str) -> str:
    """A meeting code as stored; NotFound for one that no meeting can have."""
    if "\x00" in code:  # PostgreSQL refuses even to compare NUL (a URL can carry it)
        raise NotFound("no meeting with that code")
    return code.strip().upper()


def _found(row: Any, key: str) -> Any:
    if row is None:
        raise NotFound(f"no meeting with code {key!r}")
    return row


class _CastMeeting(NamedTuple):
    """What casting needs of a meeting row."""

    id: int
    code: str
    state: str


# Casting is the hot path of a meeting (one durable commit per ballot), so its statements run on the driver
# directly (see ``kiosk.db.DriverStatement``); refusals and everything else go through plain Core.
_CAST = db.DriverStatements(
    # Shared lock on PostgreSQL: closing waits for this ballot (or this ballot sees the meeting closed), since
    # a ballot committed after the close would miss the rewrite that unlinks ballots from tokens.
    meeting=select(meetings.c.id, meetings.c.code, meetings.c.state)
    .where(meetings.c.code == bindparam("code_in"))
    .with_for_update(read=True),
    # The database decides: exactly one transaction can move a token from issued to spent.
    spend=update(ballot_tokens)
    .where(
        and_(
            ballot_tokens.c.token_hash.in_([bindparam("hash_in"), bindparam("legacy_in")]),
            ballot_tokens.c.meeting_id == bindparam("meeting_in"),
            ballot_tokens.c.state == "issued",
        )
    )
    .values(state="spent"),
    add_ballot=insert(ballots),
    add_choices=insert(ballot_choices),
)


def _lookup_statement(matches: Any) -> Any:
    """Members matching ``matches`` (at most ``limit_in``, in name order), each with whether they are signed in
    to ``meeting_in`` (the unique sign-in index answers that)."""
    key = literal("m:") + cast(members.c.id, String)
    signed = (
        select(signins.c.id)
        .where(and_(signins.c.meeting_id == bindparam("meeting_in"), signins.c.person_key == key))
        .exists()
    )
    order = (members.c.search_name, members.c.id)
    # The pattern is tested on the search-name index alone (a covering scan, in order, stopping at the limit);
    # only the few rows found are then read: 2-5x faster over a 10,000-member roster.
    first = select(members.c.id).where(matches).order_by(*order).limit(bindparam("limit_in")).scalar_subquery()
    return (
        select(members.c.id, members.c.name, members.c.phone, members.c.status, signed)
        .where(members.c.id.in_(first))
        .order_by(*order)
    )


# Every kiosk page asks for the next meeting: built once (SQLAlchemy caches the compiled form, not the statement).
_NEXT_MEETING = (
    select(meetings)
    .where(and_(meetings.c.state != "closed", meetings.c.starts_at >= bindparam("since")))
    .order_by(meetings.c.starts_at)
    .limit(1)
)
_PADDED_NAME = literal(" ") + func.replace(members.c.search_name, "-", " ") + literal(" ")
_LOOKUP = db.DriverStatements(
    by_name=_lookup_statement(members.c.search_name.like(bindparam("pattern_in"))),
    by_word=_lookup_statement(_PADDED_NAME.like(bindparam("pattern_in"))),
    by_phone=select(
        members.c.id,
        members.c.name,
        members.c.phone,
        members.c.status,
        select(signins.c.id)
        .where(
            and_(
                signins.c.meeting_id == bindparam("meeting_in"),
                signins.c.person_key == literal("m:") + cast(members.c.id, String),
            )
        )
        .exists(),
    )
    .where(members.c.phone == bindparam("phone_in"))
    .order_by(members.c.name)
    .limit(bindparam("limit_in")),
    rsvp=select(
        rsvps.c.name,
        select(signins.c.id)
        .where(and_(signins.c.meeting_id == bindparam("meeting_in"), signins.c.person_key == bindparam("key_in")))
        .exists(),
    )
    .where(and_(rsvps.c.meeting_id == bindparam("meeting_in"), rsvps.c.person_key == bindparam("key_in")))
    .order_by(rsvps.c.id.desc())
    .limit(1),
)


class Tally:
    """The meeting tally over one database. ``clock`` returns an aware datetime (tests pass their own)."""

    def __init__(
        self,
        engine: Engine,
        *,
        region: str = "US",
        timezone: str = "America/Los_Angeles",
        clock: Callable[[], datetime] = _utcnow,
        token_key: bytes | None = None,
        close_wait_s: float = 30.0,
    ) -> None:
        self.engine = engine
        self.region = region
        self.timezone = timezone
        self.clock = clock
        # Every kiosk process passes the key (kiosk.runtime.open_tally); None stores unkeyed hashes (tests only).
        self.token_key = token_key
        self.close_wait_s = close_wait_s  # how long closing waits for other readers to let the rewrite finish
        self._plank_cache: dict[int, list[Plank]] = {}

    # --- plumbing -----------------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with db.write_transaction(self.engine) as conn:
            yield conn

    def write(self) -> Any:
        """A write transaction for an edge that must commit its own rows together with a tally change."""
        return self._write()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with db.read_transaction(self.engine) as conn:
            yield conn

    def _meeting_row(self, conn: Connection, code: str, *, lock: bool = False, share: bool = False) -> Any:
        """``lock``: to change the meeting; ``share``: so that it cannot change (e.g. close) until we commit."""
        key = _meeting_key(code)
        query = select(meetings).where(meetings.c.code == key)
        if lock:
            query = query.with_for_update()
        elif share:
            query = query.with_for_update(read=True)
        return _found(conn.execute(query).first(), key)

    @staticmethod
    def _meeting(row: Any) -> Meeting:
        return Meeting(
            id=row.id,
            code=row.code,
            title=row.title,
            starts_at=row.starts_at,
            timezone=row.timezone,
            place=row.place,
            state=MeetingState(row.state),
            quorum_kind=row.quorum_kind,
            quorum_value=row.quorum_value,
            min_membership_days=row.min_membership_days,
            guests_may_vote=bool(row.guests_may_vote),
            show_choices_on_receipt=bool(row.show_choices_on_receipt),
            live_results_shown=bool(row.live_results_shown),
            results_hidden_until_close=bool(row.results_hidden_until_close),
        )

    def _audit(self, conn: Connection, actor: str, action: str, meeting: str | None, **detail: Any) -> str:
        return audit.append(conn, at=self.clock(), actor=actor, action=action, meeting_code=meeting, detail=detail)

    # --- roster -------------------------------------------------------------------------------------------

    def import_roster(self, csv_text: str, *, actor: str = "cli") -> ImportReport:
        parsed = parse_roster(csv_text, self.region)
        report = ImportReport(refused=[str(r) for r in parsed.refused], notes=list(parsed.notes))
        now = self.clock()
        with self._write() as conn:
            # Where two rows are the same person (a walk-in who joined at the door beside their roster entry), the
            # roster's own row is the match: non-pending first, then the oldest.
            existing = sorted(conn.execute(select(members)).all(), key=lambda m: (m.status == "pending", m.id))
            by_name_email: dict[tuple[str, str], Any] = {}
            by_name_phone: dict[tuple[str, str], Any] = {}
            by_name_only: dict[str, Any] = {}
            for m in existing:
                if m.email:
                    by_name_email.setdefault((fold(m.name), m.email), m)
                if m.phone:
                    by_name_phone.setdefault((fold(m.name), m.phone), m)
                if not m.email and not m.phone:
                    by_name_only.setdefault(fold(m.name), m)
            touched: set[int] = set()
            lines: dict[int, int] = {}
            for row in parsed.rows:
                key = fold(row.name)
                match = (
                    (by_name_email.get((key, row.email)) if row.email else None)
                    or (by_name_phone.get((key, row.phone)) if row.phone else None)
                    or (by_name_only.get(key) if not row.email and not row.phone else None)
                )
                values = {
                    "name": row.name,
                    "search_name": key,
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
                    member_id = result.inserted_primary_key[0]
                    report.added += 1
                elif match.id in touched:
                    report.notes.append(f"line {row.line}: matches a person already updated from this file")
                    continue
                else:
                    member_id = match.id
                    if all(getattr(match, k) == v for k, v in values.items()):
                        report.unchanged += 1
                    else:
                        conn.execute(update(members).where(members.c.id == match.id).values(**values, updated_at=now))
                        report.updated += 1
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
            keeper = keepers.get((fold(walkin.name), walkin.phone))
            if keeper is None:
                continue
            new_key = f"m:{keeper.id}"
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
                        f"line {lines[keeper.id]}: {display_name(keeper.name)} was signed in twice at {code} "
                        "(as a member and as a walk-in joining that day)"
                    )
                conn.execute(update(signins).where(signins.c.id == signin.id).values(**values))
            conn.execute(delete(members).where(members.c.id == walkin.id))
            merged.add(walkin.id)
            report.merged += 1
            report.notes.append(
                f"line {lines[keeper.id]}: {display_name(keeper.name)} had also joined at the door as a walk-in "
                "(a pending member); merged into this roster entry"
            )
        return merged

    def member_count(self, status: str | None = None) -> int:
        with self._read() as conn:
            query = select(func.count()).select_from(members)
            if status:
                query = query.where(members.c.status == status)
            return conn.execute(query).scalar_one()

    def find_people(self, code: str, query: str, *, limit: int = 8) -> list[Person]:
        """Sign-in look-up by phone number or by a name; RSVP'd numbers not on the roster too.

        Three or more letters match anywhere in a name. Two letters match a whole word only, so that Li, Wu,
        Vũ or Hồ can find themselves by surname without every Lisa and Wulf crowding them out.
        """
        with self._read() as conn:
            meeting_id = int(self._meeting_row(conn, code).id)
            return self._find_people(conn, meeting_id, query, limit)

    def find_people_in(self, meeting: Meeting, query: str, *, limit: int = 8) -> list[Person]:
        """:meth:`find_people` for a meeting already read (the kiosk reads it once per request anyway)."""
        with self._read() as conn:
            return self._find_people(conn, meeting.id, query, limit)

    def _find_people(self, conn: Connection, meeting_id: int, query: str, limit: int) -> list[Person]:
        # The look-up is what an attendee waits for at the door, on a Pi: one statement per search, compiled
        # once and run on the driver (see _LOOKUP), each telling whether the person is signed in already.
        hot = _LOOKUP.on(conn)
        query = query.strip()
        digits = "".join(ch for ch in query if ch.isdigit())
        if digits and len(digits) >= 7 and not any(ch.isalpha() for ch in query):
            try:
                phone = normalize_phone(query, self.region)
            except InvalidInput:
                return []
            args = {"phone_in": phone, "meeting_in": meeting_id, "limit_in": limit}
            rows = hot["by_phone"].execute(conn, args).fetchall()
            if rows:
                return [
                    Person(m_id, display_name(name), m_phone, status, bool(signed))
                    for m_id, name, m_phone, status, signed in rows
                ]
            key = f"p:{phone}"
            rsvp = hot["rsvp"].execute(conn, {"key_in": key, "meeting_in": meeting_id}).fetchone()
            if rsvp is None:
                return []
            name, signed = rsvp
            label = display_name(name) if name else "RSVP ···" + phone[-4:]
            return [Person(None, label, phone, "rsvp", bool(signed))]
        folded = " ".join("".join(ch for ch in fold(query) if ch.isalnum() or ch in " '-.").split())
        letters = sum(ch.isalnum() for ch in folded)
        if letters < 2:
            return []
        if letters == 2:
            # A whole word: the name is tested with a space either side and hyphens read as spaces.
            statement, pattern = hot["by_word"], f"% {folded.replace('-', ' ')} %"
        else:
            statement, pattern = hot["by_name"], f"%{folded}%"
        rows = statement.execute(conn, {"pattern_in": pattern, "meeting_in": meeting_id, "limit_in": limit}).fetchall()
        return [
            Person(m_id, display_name(name), phone, status, bool(signed)) for m_id, name, phone, status, signed in rows
        ]

    # --- meetings and planks ------------------------------------------------------------------------------

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
        actor: str = "cli",
    ) -> Meeting:
        code = code.strip().upper()
        if not (2 <= len(code) <= 16 and code.isascii() and code.isalnum()):
            raise InvalidInput("a meeting code is 2-16 letters and digits, like GA12")
        if not title.strip():
            raise InvalidInput("a meeting needs a title")
        if len(title.strip()) > 200 or len(place.strip()) > 200:
            raise InvalidInput("a meeting's title and place are at most 200 characters each")
        tz_name = timezone or self.timezone
        starts_at = parse_start(starts, tz_name)
        quorum_kind, quorum_value = parse_quorum(quorum)
        if min_membership_days is not None and not 0 <= min_membership_days <= 3650:
            raise InvalidInput("minimum membership must be between 0 and 3650 days")
        with self._write() as conn:
            try:
                conn.execute(
                    insert(meetings).values(
                        code=code,
                        title=title.strip(),
                        starts_at=starts_at,
                        timezone=tz_name,
                        place=place.strip(),
                        state="draft",
                        quorum_kind=quorum_kind,
                        quorum_value=quorum_value,
                        min_membership_days=min_membership_days,
                        guests_may_vote=guests_may_vote,
                        show_choices_on_receipt=show_choices_on_receipt,
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
            )
            return self._meeting(self._meeting_row(conn, code))

    def meeting(self, code: str) -> Meeting:
        with self._read() as conn:
            return self._meeting(self._meeting_row(conn, code))

    def meetings(self) -> list[Meeting]:
        with self._read() as conn:
            return [self._meeting(r) for r in conn.execute(select(meetings).order_by(meetings.c.starts_at))]

    def next_meeting(self, *, open_for_rsvp: bool = True) -> Meeting | None:
        """The soonest meeting that has not closed and starts no earlier than six hours ago."""
        since = self.clock() - timedelta(hours=6)
        with self._read() as conn:
            row = conn.execute(_NEXT_MEETING, {"since": since}).first()
            return None if row is None else self._meeting(row)

    def update_meeting(self, code: str, *, actor: str = "organizer", **changes: Any) -> Meeting:
        """Change a meeting's details (not its code or state); returns the meeting. Audited with what changed.

        Accepts ``title``, ``starts``, ``place``, ``quorum``, ``min_membership_days``, ``guests_may_vote``,
        ``show_choices_on_receipt``, ``live_results_shown``, ``results_hidden_until_close``. Who may vote and
        the quorum are fixed once voting opens; only the display choices may change after that.
        """
        flags = ("guests_may_vote", "show_choices_on_receipt", "live_results_shown", "results_hidden_until_close")
        allowed = {"title", "starts", "place", "quorum", "min_membership_days", *flags}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"unknown meeting field {sorted(unknown)[0]!r}")
        with self._write() as conn:
            row = self._meeting_row(conn, code, lock=True)
            values: dict[str, Any] = {}
            if "title" in changes:
                if not str(changes["title"]).strip():
                    raise InvalidInput("a meeting needs a title")
                values["title"] = str(changes["title"]).strip()
            if "starts" in changes:
                values["starts_at"] = parse_start(changes["starts"], row.timezone)
            if "place" in changes:
                values["place"] = str(changes["place"] or "").strip()
            if any(len(values.get(key, "")) > 200 for key in ("title", "place")):
                # Refused as when creating the meeting: cutting it short would lose what the organizer typed.
                raise InvalidInput("a meeting's title and place are at most 200 characters each")
            if "quorum" in changes:
                values["quorum_kind"], values["quorum_value"] = parse_quorum(changes["quorum"])
            if "min_membership_days" in changes:
                days = changes["min_membership_days"]
                if days is not None and not 0 <= int(days) <= 3650:
                    raise InvalidInput("minimum membership must be between 0 and 3650 days")
                values["min_membership_days"] = None if days is None else int(days)
            for flag in flags:
                if flag in changes:
                    values[flag] = bool(changes[flag])
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            fixed = {"quorum_kind", "quorum_value", "min_membership_days", "guests_may_vote"}
            if row.state == "closed" and changed:
                raise StateError(f"meeting {row.code} is closed; it can no longer be changed")
            if row.state == "voting_open" and fixed & set(changed):
                raise StateError(f"meeting {row.code}: quorum and who may vote are fixed once voting has opened")
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
            values: dict[str, Any] = {}
            if title is not None:
                if not title.strip() or len(title.strip()) > 300:
                    raise InvalidInput("a plank title is 1-300 characters")
                values["title"] = title.strip()
            if text is not None:
                if len(text) > 5000:
                    raise InvalidInput("a plank text is at most 5000 characters")
                values["text"] = text.strip()
            if threshold is not None:
                try:
                    values["threshold"] = str(Threshold(threshold))
                except ValueError:
                    raise InvalidInput(
                        f"threshold {threshold!r} is not one of majority, three-fifths, two-thirds, three-quarters"
                    ) from None
            given: dict[str, tuple[str | None, str | None]] = {
                lang: (title.strip(), text.strip()) for lang, (title, text) in (translations or {}).items()
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

    def _planks_editable(self, conn: Connection, code: str) -> Any:
        meeting = self._meeting_row(conn, code, lock=True)
        if meeting.state not in ("draft", "signin_open"):
            raise StateError(f"planks of meeting {meeting.code} cannot change once voting has opened")
        return meeting

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
        if _ORDER.index(target) < _ORDER.index(current):
            raise StateError(f"meeting {row.code} cannot go back from {current} to {target}")
        if target is MeetingState.VOTING_OPEN:
            count = conn.execute(
                select(func.count()).select_from(planks).where(planks.c.meeting_id == row.id)
            ).scalar_one()
            if count == 0:
                raise StateError(f"meeting {row.code} has no planks to vote on; import planks first")
        conn.execute(update(meetings).where(meetings.c.id == row.id).values(state=str(target)))
        if target is MeetingState.CLOSED:
            # Queued ballot receipts follow the order of casting: they go before the files are rewritten.
            conn.execute(
                delete(print_jobs).where(and_(print_jobs.c.kind == "ballot", print_jobs.c.meeting_code == row.code))
            )
            # Marked in the closing transaction: a crash before the rewrite finishes leaves it marked, and the
            # next start of any kiosk process finishes it.
            storage_order.mark_pending(conn, row.code, self.clock())
        self._audit(conn, actor, "state_changed", row.code, **{"from": str(current), "to": str(target)})
        return self._meeting(self._meeting_row(conn, row.code))

    def planks(self, code: str) -> list[Plank]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            return self._planks(conn, meeting.id)

    @staticmethod
    def _planks(conn: Connection, meeting_id: int) -> list[Plank]:
        rows = conn.execute(select(planks).where(planks.c.meeting_id == meeting_id).order_by(planks.c.position))
        found = conn.execute(
            select(plank_translations)
            .join(planks, planks.c.id == plank_translations.c.plank_id)
            .where(planks.c.meeting_id == meeting_id)
            .order_by(plank_translations.c.language)
        ).all()
        translations: dict[int, list[PlankTranslation]] = {}
        for t in found:
            translations.setdefault(t.plank_id, []).append(PlankTranslation(t.language, t.title, t.text))
        return [
            Plank(r.id, r.position, r.title, r.text, Threshold(r.threshold), tuple(translations.get(r.id, ())))
            for r in rows
        ]

    @staticmethod
    def _store_translations(
        conn: Connection, plank_id: int, given: Mapping[str, tuple[str | None, str | None]]
    ) -> None:
        """Set the plank's translations in the languages given; a field given as None keeps what is stored, and
        both fields empty removes the translation."""
        for lang, (new_title, new_text) in given.items():
            stored = conn.execute(
                select(plank_translations.c.title, plank_translations.c.text).where(
                    and_(plank_translations.c.plank_id == plank_id, plank_translations.c.language == lang)
                )
            ).first()
            title = new_title if new_title is not None else (stored.title if stored else "")
            text = new_text if new_text is not None else (stored.text if stored else "")
            conn.execute(
                delete(plank_translations).where(
                    and_(plank_translations.c.plank_id == plank_id, plank_translations.c.language == lang)
                )
            )
            if title or text:
                conn.execute(
                    insert(plank_translations).values(plank_id=plank_id, language=lang, title=title, text=text)
                )

    def import_planks(self, code: str, csv_text: str, *, actor: str = "cli") -> ImportReport:
        """Add planks from CSV (``title,text,threshold``, and ``title_es,text_es`` for each language the kiosk
        offers besides the original's); a title already on the meeting is updated. A translation column left out
        keeps the stored translation; one present but empty removes it (the original is shown instead)."""
        report = ImportReport()
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
        parsed: list[tuple[int, str, str, Threshold, dict[str, tuple[str | None, str | None]]]] = []
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue

            def cell(name: str, row: list[str] = row) -> str:
                i = index.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""

            title, body, threshold = cell("title"), cell("text"), fold(cell("threshold")) or "majority"
            threshold = threshold.replace(" ", "-").replace("_", "-")
            given: dict[str, tuple[str | None, str | None]] = {}
            problems: list[str] = []
            for lang, columns in translated.items():
                # A column the file does not have keeps what is stored (None); one it has sets it, even empty.
                tr_title = _optional_cell(row, columns.get("title"))
                tr_text = _optional_cell(row, columns.get("text"))
                problem = check_translation(lang, tr_title or "", tr_text or "")
                if problem:
                    problems.append(problem)
                given[lang] = (tr_title, tr_text)
            if not title:
                report.refused.append(f"line {line}: no title")
            elif len(title) > 300 or len(body) > 5000:
                report.refused.append(f"line {line}: title or text too long")
            elif threshold not in {t.value for t in Threshold}:
                allowed = ", ".join(t.value for t in Threshold)
                report.refused.append(f"line {line}: threshold {threshold!r} is not one of {allowed}")
            elif problems:
                report.refused.append(f"line {line}: {'; '.join(problems)}")
            else:
                parsed.append((line, title, body, Threshold(threshold), given))
        with self._write() as conn:
            meeting = self._meeting_row(conn, code, lock=True)
            if meeting.state not in ("draft", "signin_open"):
                raise StateError(f"planks of meeting {meeting.code} cannot change once voting has opened")
            existing = {p.title: p for p in self._planks(conn, meeting.id)}
            position = max((p.position for p in existing.values()), default=0)
            for line, title, body, threshold, given in parsed:
                if title in existing:
                    conn.execute(
                        update(planks)
                        .where(planks.c.id == existing[title].id)
                        .values(text=body, threshold=str(threshold))
                    )
                    self._store_translations(conn, existing[title].id, given)
                    report.updated += 1
                elif len(existing) + report.added >= MAX_PLANKS:
                    report.refused.append(f"line {line}: a meeting has at most {MAX_PLANKS} planks")
                    continue
                else:
                    position += 1
                    plank_id = conn.execute(
                        insert(planks).values(
                            meeting_id=meeting.id, position=position, title=title, text=body, threshold=str(threshold)
                        )
                    ).inserted_primary_key[0]
                    self._store_translations(conn, plank_id, given)
                    existing[title] = Plank(plank_id, position, title, body, threshold)
                    report.added += 1
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

    # --- RSVPs --------------------------------------------------------------------------------------------

    def record_rsvp(
        self,
        code: str,
        *,
        answer: Answer | str,
        guests: int = 0,
        source: str = "sms",
        phone: str | None = None,
        member_id: int | None = None,
        name: str | None = None,
    ) -> RsvpView:
        """Record an answer; the latest answer per person counts and earlier ones are kept as history.

        A phone that belongs to exactly one member is recorded against that member. A phone shared by a
        household (several members) is recorded against the phone: the text cannot say who is answering.
        """
        with self._write() as conn:
            return self.record_rsvp_in(
                conn, code, answer=answer, guests=guests, source=source, phone=phone, member_id=member_id, name=name
            )

    def record_rsvp_in(
        self,
        conn: Connection,
        code: str,
        *,
        answer: Answer | str,
        guests: int = 0,
        source: str = "sms",
        phone: str | None = None,
        member_id: int | None = None,
        name: str | None = None,
    ) -> RsvpView:
        """``record_rsvp`` inside the caller's write transaction (the SMS gateway stores the text in the same one)."""
        answer = Answer(answer)
        if not 0 <= guests <= 10:
            raise InvalidInput("guests must be between 0 and 10")
        if phone is not None:
            phone = normalize_phone(phone, self.region)
        if phone is None and member_id is None:
            raise InvalidInput("an RSVP needs a phone number or a member")
        if name is not None:
            name = clean_name(name)[:200] or None
        meeting = self._meeting_row(conn, code)
        if meeting.state == "closed":
            raise StateError(f"meeting {meeting.code} is closed")
        if member_id is None and phone is not None:
            owners = conn.execute(select(members.c.id).where(members.c.phone == phone)).scalars().all()
            if len(owners) == 1:
                member_id = owners[0]
        if member_id is not None:
            member = conn.execute(select(members).where(members.c.id == member_id)).first()
            if member is None:
                raise NotFound(f"no member with id {member_id}")
            key, name = f"m:{member_id}", member.name
            phone = phone or member.phone
        else:
            key = f"p:{phone}"
            if name is None:
                name = conn.execute(
                    select(rsvps.c.name)
                    .where(and_(rsvps.c.person_key == key, rsvps.c.name.is_not(None)))
                    .order_by(rsvps.c.id.desc())
                    .limit(1)
                ).scalar()
        now = self.clock()
        conn.execute(
            insert(rsvps).values(
                meeting_id=meeting.id,
                person_key=key,
                member_id=member_id,
                phone=phone,
                name=name,
                answer=str(answer),
                guests=guests,
                source=source,
                created_at=now,
            )
        )
        return RsvpView(phone, name, member_id, answer, guests, source, now)

    def name_rsvp(self, code: str, phone: str, name: str) -> None:
        """Attach a name given by text to the latest RSVP from a number that is not on the roster."""
        with self._write() as conn:
            self.name_rsvp_in(conn, code, phone, name)

    def name_rsvp_in(self, conn: Connection, code: str, phone: str, name: str) -> None:
        phone_e164 = normalize_phone(phone, self.region)
        name = clean_name(name)[:200]
        if not name:
            raise InvalidInput("an empty name")
        meeting = self._meeting_row(conn, code)
        latest = conn.execute(
            select(rsvps.c.id)
            .where(and_(rsvps.c.meeting_id == meeting.id, rsvps.c.person_key == f"p:{phone_e164}"))
            .order_by(rsvps.c.id.desc())
            .limit(1)
        ).scalar()
        if latest is None:
            raise NotFound("no RSVP from that number")
        conn.execute(update(rsvps).where(rsvps.c.id == latest).values(name=name))

    def current_rsvps(self, code: str) -> list[RsvpView]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            latest = (
                select(func.max(rsvps.c.id)).where(rsvps.c.meeting_id == meeting.id).group_by(rsvps.c.person_key)
            ).scalar_subquery()
            rows = conn.execute(select(rsvps).where(rsvps.c.id.in_(latest)).order_by(rsvps.c.id)).all()
            return [
                RsvpView(r.phone, r.name, r.member_id, Answer(r.answer), r.guests, r.source, r.created_at) for r in rows
            ]

    def rsvp_history(self, code: str) -> list[RsvpView]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            rows = conn.execute(select(rsvps).where(rsvps.c.meeting_id == meeting.id).order_by(rsvps.c.id)).all()
            return [
                RsvpView(r.phone, r.name, r.member_id, Answer(r.answer), r.guests, r.source, r.created_at) for r in rows
            ]

    # --- sign-in and tokens -------------------------------------------------------------------------------

    def _eligibility(self, meeting: Any, kind: str, status: str | None, joined: date | None) -> tuple[bool, str | None]:
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
        return True, None

    def sign_in_member(
        self, code: str, member_id: int, *, station: str = "kiosk-1", language: str | None = None
    ) -> SignIn:
        """Sign a roster member in; ``language`` (the kiosk screen's) becomes the language of their texts."""
        with self._write() as conn:
            meeting = self._meeting_row(conn, code)
            member = conn.execute(select(members).where(members.c.id == member_id)).first()
            if member is None:
                raise NotFound(f"no member with id {member_id}")
            if language and member.language != language:
                # The language a member last chose is the one their invitations and reminders go in.
                conn.execute(update(members).where(members.c.id == member_id).values(language=language))
            kind = (
                "member"
                if member.status in ("member", "lapsed")
                else "pending"
                if member.status == "pending"
                else "guest"
            )
            eligible, reason = self._eligibility(meeting, kind, member.status, member.joined)
            as_walkin = self._signed_in_as_walkin(conn, meeting, member)
            if as_walkin is not None:
                return self._already_signed_in(conn, meeting, as_walkin)
            return self._sign_in(
                conn, meeting, f"m:{member_id}", member_id, member.name, member.phone, kind, eligible, reason, station
            )

    def sign_in_guest(
        self, code: str, name: str, phone: str | None = None, *, station: str = "kiosk-1", joining: bool = False
    ) -> SignIn:
        """A walk-in: a guest, or (``joining``) someone who joins at the door and is added as a pending member."""
        name = clean_name(name)
        if not name or len(name) > 200:
            raise InvalidInput("please give a name (up to 200 characters)")
        phone_e164 = normalize_phone(phone, self.region) if phone else None
        with self._write() as conn:
            # Locked, so that two kiosks signing in the same walk-in at once cannot both miss the other's sign-in.
            meeting = self._meeting_row(conn, code, lock=True)
            same = self._walkin_signed_in(conn, meeting, name, phone_e164)
            if same is not None:
                return self._already_signed_in(conn, meeting, same)
            member_id = None
            if joining:
                now = self.clock()
                result = conn.execute(
                    insert(members).values(
                        name=name,
                        search_name=fold(name),
                        phone=phone_e164,
                        email=None,
                        status="pending",
                        joined=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                member_id = result.inserted_primary_key[0]
                key, kind = f"m:{member_id}", "pending"
            else:
                key = f"p:{phone_e164}" if phone_e164 else f"g:{fold(name)}"
                kind = "guest"
            eligible, reason = self._eligibility(meeting, kind, None, None)
            return self._sign_in(conn, meeting, key, member_id, name, phone_e164, kind, eligible, reason, station)

    def _walkin_signed_in(self, conn: Connection, meeting: Any, name: str, phone: str | None) -> Any:
        """The sign-in at this meeting that a walk-in is already: the same phone, or (no phone given) the same name
        compared as the roster compares names. Without this, "I am joining today" issued a new token each time."""
        if meeting.state not in ("signin_open", "voting_open"):
            return None  # _sign_in says that sign-in is closed
        here = signins.c.meeting_id == meeting.id
        if phone is not None:
            same_phone = and_(here, signins.c.phone == phone)
            return conn.execute(select(signins).where(same_phone).order_by(signins.c.id)).first()
        folded = fold(name)
        for row in conn.execute(select(signins).where(here).order_by(signins.c.id)):
            if fold(row.name) == folded:
                return row
        return None

    def _signed_in_as_walkin(self, conn: Connection, meeting: Any, member: Any) -> Any:
        """A walk-in sign-in at this meeting (a guest, or joining that day) that was this member: the same phone and
        the same name. The other way round from ``_walkin_signed_in``: joining at the door first, then finding
        oneself on the roster, is one person too. (A household's other people share the phone, not the name.)"""
        if not member.phone or meeting.state not in ("signin_open", "voting_open"):
            return None
        rows = conn.execute(
            select(signins).where(
                and_(
                    signins.c.meeting_id == meeting.id,
                    signins.c.phone == member.phone,
                    signins.c.person_key != f"m:{member.id}",
                    signins.c.kind != "member",
                )
            )
        ).all()
        folded = fold(member.name)
        return next((row for row in rows if fold(row.name) == folded), None)

    def _already_signed_in(self, conn: Connection, meeting: Any, existing: Any) -> SignIn:
        """What a second sign-in of the same person gets: no new token, and the state of the one they hold."""
        state = conn.execute(
            select(ballot_tokens.c.state).where(
                and_(ballot_tokens.c.signin_id == existing.id, ballot_tokens.c.state != "void")
            )
        ).scalar()
        reason = None
        if not existing.eligible:
            member = None
            if existing.member_id is not None:
                member = conn.execute(select(members).where(members.c.id == existing.member_id)).first()
            status, joined = (member.status, member.joined) if member is not None else (None, None)
            reason = self._eligibility(meeting, existing.kind, status, joined)[1]
        return SignIn(
            existing.id,
            meeting.code,
            display_name(existing.name),
            existing.kind,
            bool(existing.eligible),
            True,
            None,
            state,
            reason,
        )

    def _sign_in(
        self,
        conn: Connection,
        meeting: Any,
        key: str,
        member_id: int | None,
        name: str,
        phone: str | None,
        kind: str,
        eligible: bool,
        reason: str | None,
        station: str,
    ) -> SignIn:
        if meeting.state not in ("signin_open", "voting_open"):
            raise StateError(f"sign-in for {meeting.code} is not open")
        existing = conn.execute(
            select(signins).where(and_(signins.c.meeting_id == meeting.id, signins.c.person_key == key))
        ).first()
        if existing is not None:
            state = conn.execute(
                select(ballot_tokens.c.state).where(
                    and_(ballot_tokens.c.signin_id == existing.id, ballot_tokens.c.state != "void")
                )
            ).scalar()
            return SignIn(
                existing.id,
                meeting.code,
                display_name(existing.name),
                existing.kind,
                bool(existing.eligible),
                True,
                None,
                state,
                reason,
            )
        now = self.clock()
        # A savepoint, so that losing a race to another kiosk leaves this transaction usable.
        try:
            with conn.begin_nested():
                result = conn.execute(
                    insert(signins).values(
                        meeting_id=meeting.id,
                        person_key=key,
                        member_id=member_id,
                        name=name,
                        phone=phone,
                        kind=kind,
                        eligible=eligible,
                        station=station[:64],
                        signed_in_at=now,
                    )
                )
        except IntegrityError:
            existing = conn.execute(
                select(signins).where(and_(signins.c.meeting_id == meeting.id, signins.c.person_key == key))
            ).first()
            if existing is None:
                raise
            return SignIn(
                existing.id,
                meeting.code,
                display_name(existing.name),
                existing.kind,
                bool(existing.eligible),
                True,
                None,
                None,
                reason,
            )
        signin_id = result.inserted_primary_key[0]
        self._audit(
            conn,
            station,
            "signed_in",
            meeting.code,
            signin=signin_id,
            name=display_name(name),
            kind=kind,
            eligible=eligible,
        )
        token = self._issue_token(conn, meeting, signin_id, station) if eligible else None
        return SignIn(
            signin_id,
            meeting.code,
            display_name(name),
            kind,
            eligible,
            False,
            token,
            "issued" if token else None,
            reason,
        )

    def token_hash(self, token: str) -> str:
        """What is stored of a token: keyed with this kiosk's token key (kiosk.token_key)."""
        return token_hash(token, self.token_key)

    def _token_hashes(self, token: str) -> tuple[str, str]:
        # A token issued before the token key existed is stored unkeyed; it still votes (a meeting open across
        # the upgrade goes on), and no new token is ever stored that way.
        return self.token_hash(token), legacy_token_hash(token)

    def _issue_token(self, conn: Connection, meeting: Any, signin_id: int, actor: str) -> str:
        while True:
            token = new_token()
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(ballot_tokens).values(
                            meeting_id=meeting.id,
                            signin_id=signin_id,
                            token_hash=self.token_hash(token),
                            state="issued",
                            issued_at=self.clock(),
                        )
                    )
                break
            except IntegrityError:
                # A second live token for this sign-in is refused by the database; a hash collision is retried.
                live = conn.execute(
                    select(ballot_tokens.c.id).where(
                        and_(ballot_tokens.c.signin_id == signin_id, ballot_tokens.c.state != "void")
                    )
                ).first()
                if live is not None:
                    raise StateError("this sign-in already has a ballot token") from None
        self._audit(conn, actor, "token_issued", meeting.code, signin=signin_id)
        return token

    def reissue_token(
        self, code: str, signin_id: int, *, actor: str = "organizer", reason: str = "lost receipt"
    ) -> str:
        """Void the sign-in's unspent token and issue a new one (a lost receipt, or a reprint)."""
        with self._write() as conn:
            meeting = self._meeting_row(conn, code)
            signin = conn.execute(
                select(signins).where(and_(signins.c.id == signin_id, signins.c.meeting_id == meeting.id))
            ).first()
            if signin is None:
                raise NotFound(f"no sign-in {signin_id} at meeting {meeting.code}")
            if not signin.eligible:
                raise StateError("this attendee is not eligible to vote")
            if meeting.state == "closed":
                raise StateError(f"meeting {meeting.code} is closed")
            live = conn.execute(
                select(ballot_tokens).where(
                    and_(ballot_tokens.c.signin_id == signin_id, ballot_tokens.c.state != "void")
                )
            ).first()
            if live is not None and live.state == "spent":
                raise StateError("this attendee has already voted; a spent token cannot be replaced")
            if live is not None:
                voided = conn.execute(
                    update(ballot_tokens)
                    .where(and_(ballot_tokens.c.id == live.id, ballot_tokens.c.state == "issued"))
                    .values(state="void")
                )
                if voided.rowcount != 1:
                    raise StateError("this attendee has just voted; the token can no longer be replaced")
                self._audit(conn, actor, "token_voided", meeting.code, signin=signin_id, reason=reason[:200])
            return self._issue_token(conn, meeting, signin_id, actor)

    def signins(self, code: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            rows = conn.execute(select(signins).where(signins.c.meeting_id == meeting.id).order_by(signins.c.id))
            return [
                {
                    "id": r.id,
                    "name": r.name,
                    "phone": r.phone,
                    "kind": r.kind,
                    "eligible": bool(r.eligible),
                    "station": r.station,
                    "signed_in_at": r.signed_in_at.isoformat(),
                }
                for r in rows
            ]

    # --- ballots ------------------------------------------------------------------------------------------

    def check_token(self, code: str, token: str) -> list[Plank]:
        """The planks a token may vote on; raises TokenRejected (unknown, spent, void, other meeting, closed)."""
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            self._token_row(conn, meeting, token, for_update=False)
            return self._planks(conn, meeting.id)

    def _token_row(self, conn: Connection, meeting: Any, token: str, *, for_update: bool) -> Any:
        query = select(ballot_tokens).where(ballot_tokens.c.token_hash.in_(self._token_hashes(token)))
        if for_update:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise TokenRejected("unknown", "this ballot code is not known; check it against your receipt")
        if row.meeting_id != meeting.id:
            raise TokenRejected("other_meeting", "this ballot code is for a different meeting")
        if row.state == "spent":
            raise TokenRejected("spent", "this ballot code has already been used to vote")
        if row.state == "void":
            raise TokenRejected("void", "this ballot code was cancelled; ask an organizer for help")
        if meeting.state == "closed":
            raise TokenRejected("closed", "voting has closed for this meeting")
        if meeting.state != "voting_open":
            raise TokenRejected("not_open", "voting has not opened yet; please come back when it does")
        return row

    def cast_ballot(self, code: str, token: str, choices: Mapping[int, Choice | str | None]) -> CastBallot:
        """Spend the token and store the ballot, in one transaction. Planks without a choice count as abstain.

        ``choices`` maps plank id to a choice; every key must be a plank of this meeting.
        """
        for attempt in range(3):
            try:
                return self._cast(code, token, choices)
            except IntegrityError:
                # Only a verification-code collision (about 1 in 10^13) gets here: the whole transaction rolled
                # back, token included, so casting again with a new code is safe.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _cast(self, code: str, token: str, choices: Mapping[int, Choice | str | None]) -> CastBallot:
        with self._write() as conn:
            hot = _CAST.on(conn)
            key = _meeting_key(code)
            meeting = _CastMeeting(*_found(hot["meeting"].execute(conn, {"code_in": key}).fetchone(), key))
            plank_list = self._frozen_planks(conn, meeting)
            known = {p.id for p in plank_list}
            unknown = set(choices) - known
            if unknown:
                raise InvalidInput("the ballot names planks that are not on this meeting's ballot")
            final: dict[int, Choice] = {}
            for plank in plank_list:
                value = choices.get(plank.id)
                try:
                    final[plank.id] = Choice(value) if value else Choice.ABSTAIN
                except ValueError:
                    raise InvalidInput(f"{value!r} is not a choice (yes, no, abstain)") from None
            # The happy path is this one statement; only a refusal reads the token to say why.
            spent = 0
            if meeting.state == "voting_open":
                keyed, legacy = self._token_hashes(token)
                spent = (
                    hot["spend"]
                    .execute(conn, {"hash_in": keyed, "legacy_in": legacy, "meeting_in": meeting.id})
                    .rowcount
                )
            if spent != 1:
                self._token_row(conn, meeting, token, for_update=True)  # raises TokenRejected with the reason
                raise TokenRejected("spent", "this ballot code has already been used to vote")
            verification = new_verification_code()
            stored = normalize_code(verification)
            hot["add_ballot"].execute(conn, {"code": stored, "meeting_id": meeting.id})
            hot["add_choices"].execute_many(
                conn, [{"ballot_code": stored, "plank_id": pid, "choice": str(c)} for pid, c in final.items()]
            )
            self._audit(conn, "kiosk", "ballot_cast", meeting.code)
        by_id = {p.id: p.title for p in plank_list}
        return CastBallot(verification, meeting.code, tuple((by_id[pid], c) for pid, c in final.items()))

    def _frozen_planks(self, conn: Connection, meeting: Any) -> list[Plank]:
        """A meeting's planks, cached once voting is open: from then on they cannot change (see import_planks)."""
        if meeting.state != "voting_open":
            return self._planks(conn, meeting.id)
        cached = self._plank_cache.get(meeting.id)
        if cached is None:
            cached = self._plank_cache[meeting.id] = self._planks(conn, meeting.id)
        return cached

    def lookup_ballot(self, verification_code: str) -> CastBallot:
        code = normalize_code(verification_code)
        with self._read() as conn:
            ballot = conn.execute(select(ballots).where(ballots.c.code == code)).first()
            if ballot is None:
                raise NotFound("no ballot has that verification code")
            meeting = conn.execute(select(meetings.c.code).where(meetings.c.id == ballot.meeting_id)).scalar_one()
            rows = conn.execute(
                select(planks.c.title, ballot_choices.c.choice)
                .join(planks, planks.c.id == ballot_choices.c.plank_id)
                .where(ballot_choices.c.ballot_code == code)
                .order_by(planks.c.position)
            ).all()
            shown = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
            return CastBallot(shown, meeting, tuple((r.title, Choice(r.choice)) for r in rows))

    # --- results ------------------------------------------------------------------------------------------

    def results(self, code: str) -> MeetingResults:
        with self._read() as conn:
            meeting = self._meeting_row(conn, code)
            plank_list = self._planks(conn, meeting.id)
            counts: dict[tuple[int, str], int] = {
                (r.plank_id, r.choice): r.n
                for r in conn.execute(
                    select(ballot_choices.c.plank_id, ballot_choices.c.choice, func.count().label("n"))
                    .join(planks, planks.c.id == ballot_choices.c.plank_id)
                    .where(planks.c.meeting_id == meeting.id)
                    .group_by(ballot_choices.c.plank_id, ballot_choices.c.choice)
                )
            }
            cast = conn.execute(
                select(func.count()).select_from(ballots).where(ballots.c.meeting_id == meeting.id)
            ).scalar_one()
            issued = conn.execute(
                select(func.count())
                .select_from(ballot_tokens)
                .where(and_(ballot_tokens.c.meeting_id == meeting.id, ballot_tokens.c.state != "void"))
            ).scalar_one()
            in_good_standing = conn.execute(
                select(func.count()).select_from(members).where(members.c.status == "member")
            ).scalar_one()
            present = conn.execute(
                select(func.count())
                .select_from(signins)
                .where(
                    and_(signins.c.meeting_id == meeting.id, signins.c.kind == "member", signins.c.eligible.is_(True))
                )
            ).scalar_one()
        quorum = Quorum(quorum_required(meeting.quorum_kind, meeting.quorum_value, in_good_standing), present)
        return MeetingResults(
            meeting=meeting.code,
            title=meeting.title,
            state=meeting.state,
            quorum=quorum,
            ballots_issued=issued,
            ballots_cast=cast,
            planks=[
                PlankResult(
                    p.position,
                    p.title,
                    p.threshold,
                    counts.get((p.id, "yes"), 0),
                    counts.get((p.id, "no"), 0),
                    counts.get((p.id, "abstain"), 0),
                )
                for p in plank_list
            ],
        )

    # --- audit --------------------------------------------------------------------------------------------

    def audit_verify(self) -> audit.AuditReport:
        with self._read() as conn:
            return audit.verify(conn)

    def audit_entries(self, meeting_code: str | None = None) -> list[audit.AuditEntry]:
        with self._read() as conn:
            return audit.entries(conn, meeting_code)

    def record_event(self, action: str, *, actor: str, meeting_code: str | None = None, **detail: Any) -> None:
        """An audit entry for something decided outside the tally (a reprint, a peek at live results)."""
        with self._write() as conn:
            self._audit(conn, actor, action, meeting_code, **detail)

    # --- storage order ------------------------------------------------------------------------------------

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
