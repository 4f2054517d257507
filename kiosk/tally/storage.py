"""The tally's plumbing: its settings, read and write transactions, the unit of work, meeting rows and the
audit helper, shared by every concept module of the package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from kiosk import audit, db
from kiosk.errors import NotFound
from kiosk.plank_texts import PlankTranslation
from kiosk.results import Threshold
from kiosk.schema import meetings, plank_translations, planks
from kiosk.tally.model import Meeting, MeetingState, Plank
from kiosk.tally.name_index import NameIndex
from kiosk.tally.unit_of_work import CloseStep, UnitOfWork

if TYPE_CHECKING:
    from kiosk.tally import Tally
    from kiosk.tally.contests import Contest


def utcnow() -> datetime:
    return datetime.now(UTC)


def meeting_key(code: str) -> str:
    """A meeting code as stored; NotFound for one that no meeting can have."""
    if "\x00" in code:  # PostgreSQL refuses even to compare NUL (a URL can carry it)
        raise NotFound("no meeting with that code")
    return code.strip().upper()


def found(row: Any, key: str) -> Any:
    if row is None:
        raise NotFound(f"no meeting with code {key!r}")
    return row


def meeting_from_row(row: Any) -> Meeting:
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
        min_attended=row.min_attended,
        of_last=row.of_last,
    )


class TallyBase:
    """What every concept of the tally shares. ``clock`` returns an aware datetime (tests pass their own)."""

    def __init__(
        self,
        engine: Engine,
        *,
        region: str = "US",
        timezone: str = "America/Los_Angeles",
        clock: Callable[[], datetime] = utcnow,
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
        self._contest_cache: dict[int, list[Contest]] = {}
        self._name_index = NameIndex()  # the roster's search names for the look-up by name (kept current)
        self._close_steps: list[CloseStep] = []

    def on_close(self, step: CloseStep) -> None:
        """Run ``step`` inside the transaction that closes a meeting (registered by the wiring; once per step)."""
        if step not in self._close_steps:
            self._close_steps.append(step)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """One write transaction for an edge that must commit its own rows together with a tally change."""
        with self._write() as conn:
            yield self._unit(conn)

    def _unit(self, conn: Connection) -> UnitOfWork:
        tally: Tally = self  # type: ignore[assignment]  # every TallyBase in use is the Tally facade
        return UnitOfWork(conn, tally)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with db.write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with db.read_transaction(self.engine) as conn:
            yield conn

    def _meeting_row(self, conn: Connection, code: str, *, lock: bool = False, share: bool = False) -> Any:
        """``lock``: to change the meeting; ``share``: so that it cannot change (e.g. close) until we commit."""
        key = meeting_key(code)
        query = select(meetings).where(meetings.c.code == key)
        if lock:
            query = query.with_for_update()
        elif share:
            query = query.with_for_update(read=True)
        return found(conn.execute(query).first(), key)

    @staticmethod
    def _meeting(row: Any) -> Meeting:
        return meeting_from_row(row)

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

    def _audit(self, conn: Connection, actor: str, action: str, meeting: str | None, **detail: Any) -> str:
        return audit.append(conn, at=self.clock(), actor=actor, action=action, meeting_code=meeting, detail=detail)
