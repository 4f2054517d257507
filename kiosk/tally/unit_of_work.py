"""The unit of work: one write transaction that an edge shares with the tally.

An edge that keeps its own tables (the SMS gateway's texts, the print queue's jobs) sometimes has to commit its
rows together with a tally change: a text is stored and acted on (an RSVP recorded) in ONE transaction, so a
gateway killed in between reads the text again rather than losing or doubling it. It opens
``tally.unit_of_work()`` and, inside it, runs the tally's own operations through the unit's concept handles
(``uow.rsvps.record(...)``, ``uow.people.note_text_language(...)``) and its own statements through
``uow.execute(...)``. The tally never hands out a connection to run its operations on, so an edge cannot reach
the tally's tables except through the tally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.engine import NestedTransaction

if TYPE_CHECKING:
    from kiosk.tally import Tally
    from kiosk.tally.contacts import ContactsMixin
    from kiosk.tally.model import Answer, RsvpView
    from kiosk.tally.rsvps import RsvpsMixin


class UnitOfWork:
    """One open write transaction (see the module docstring). Committed when the ``with`` block ends without an
    exception, rolled back otherwise; never use it after the block."""

    def __init__(self, conn: Connection, tally: Tally) -> None:
        self._conn = conn
        self.rsvps = RsvpsInUnit(conn, tally)
        self.people = PeopleInUnit(conn, tally)

    def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        """Run an edge's own Core statement in this transaction."""
        return self._conn.execute(statement, parameters)

    def savepoint(self) -> NestedTransaction:
        """A savepoint (``with uow.savepoint():``): an insert that may lose a race leaves the unit usable."""
        return self._conn.begin_nested()

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for an edge's helpers written against SQLAlchemy's ``Connection`` (they
        must touch only the edge's own tables; tally changes go through the concept handles)."""
        return self._conn


class RsvpsInUnit:
    """The RSVP operations of the tally, inside a unit of work."""

    def __init__(self, conn: Connection, tally: RsvpsMixin) -> None:
        self._conn = conn
        self._tally = tally

    def record(
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
        """``Tally.record_rsvp`` in this unit of work."""
        return self._tally._record_rsvp(
            self._conn, code, answer=answer, guests=guests, source=source, phone=phone, member_id=member_id, name=name
        )

    def name(self, code: str, phone: str, name: str) -> None:
        """``Tally.name_rsvp`` in this unit of work."""
        self._tally._name_rsvp(self._conn, code, phone, name)


class PeopleInUnit:
    """The tally's operations on members' phones and text languages (``kiosk.tally.contacts``), inside a unit of
    work: what an inbound text may read and change of the roster."""

    def __init__(self, conn: Connection, tally: ContactsMixin) -> None:
        self._conn = conn
        self._tally = tally

    def members_on_phone(self, phone: str) -> int:
        """How many members have ``phone`` (more than one: a household's shared phone)."""
        return self._tally._members_on_phone(self._conn, phone)

    def languages_on_phone(self, phone: str) -> set[str]:
        """The languages stored for the members on ``phone``."""
        return self._tally._phone_languages(self._conn, [phone]).get(phone, set())

    def note_text_language(self, phone: str, language: str) -> bool:
        """A text from ``phone`` was clearly written in ``language``: the language of its one member's texts from
        now on (a household's shared phone changes nobody's). Whether a member's language changed."""
        return self._tally._note_text_language(self._conn, phone, language)


class CloseStep(Protocol):
    """Something an edge must do in the very transaction that closes a meeting (e.g. the print queue forgets
    the meeting's ballot receipts, whose order follows the order of casting, before the files are rewritten)."""

    def __call__(self, uow: UnitOfWork, meeting_code: str) -> None: ...
