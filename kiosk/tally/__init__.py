"""The tally: the one core every edge calls into (kiosk pages, buttons, printer queue, SMS gateway, CLI).

It owns the roster, meetings and their planks, RSVPs, sign-ins, ballot tokens, secret ballots, results and
the audit log, and imports nothing of Flask, gpiozero, escpos, pyserial or twilio (a test walks the imports).
One module per concept:

==================  ===========================================================================================
``model``           meeting states, answers, person keys and the frozen records handed to the edges
``storage``         settings, read/write transactions, meeting rows, the audit helper (``TallyBase``)
``unit_of_work``    one write transaction shared with an edge's own tables; the close-step protocol
``meetings``        creating, editing and finding meetings; their states and the close
``planks``          the questions on the ballot
``people``          importing the roster (and merging walk-ins into it)
``search``          the sign-in look-up by phone or name
``name_index``      the roster's search names in memory for the look-up by name, kept current by the database
``rsvps``           answers by text or from the organizer pages
``eligibility``     who may vote
``signin``          signing in at the door
``ballot_tokens``   issuing, checking and reissuing ballot tokens
``ballots``         casting and verifying secret ballots
``counting``        results and the audit log's read side
==================  ===========================================================================================

``Tally`` is the facade the edges hold: one object whose methods come from the concept mixins above, so callers
say ``tally.sign_in_member(...)`` whichever module does the work.

Concurrency: every method runs in its own database transaction and is safe to call from several threads and
several processes at once. On SQLite, writes take the write lock up front (``BEGIN IMMEDIATE``); on PostgreSQL
row locks and unique constraints do the same work. Invariants are held by the database (see ``kiosk.schema``).

Secrecy: a ballot is stored under a random verification code with its choices and nothing else. Casting
marks the token spent and stores the ballot in one transaction; no column, token, ordering or timestamp links
the two. When voting closes, the database files are rewritten (SQLite: ``VACUUM`` and a WAL checkpoint) so that
not even the physical order of records follows the order of casting.
"""

from __future__ import annotations

from kiosk.tally.ballots import BallotsMixin
from kiosk.tally.counting import CountingMixin
from kiosk.tally.meetings import MeetingsMixin, parse_quorum, parse_start
from kiosk.tally.model import (
    Answer,
    CastBallot,
    ImportReport,
    Meeting,
    MeetingState,
    Person,
    PersonKey,
    PersonKind,
    Plank,
    RsvpView,
    SignIn,
    clean_name,
)
from kiosk.tally.people import PeopleMixin
from kiosk.tally.planks import MAX_PLANKS, PlanksMixin
from kiosk.tally.rsvps import RsvpsMixin
from kiosk.tally.search import SearchMixin
from kiosk.tally.signin import SignInMixin
from kiosk.tally.unit_of_work import CloseStep, UnitOfWork

__all__ = [
    "MAX_PLANKS",
    "Answer",
    "CastBallot",
    "CloseStep",
    "ImportReport",
    "Meeting",
    "MeetingState",
    "Person",
    "PersonKey",
    "PersonKind",
    "Plank",
    "RsvpView",
    "SignIn",
    "Tally",
    "UnitOfWork",
    "clean_name",
    "parse_quorum",
    "parse_start",
]


class Tally(
    MeetingsMixin,
    PlanksMixin,
    PeopleMixin,
    SearchMixin,
    RsvpsMixin,
    SignInMixin,
    BallotsMixin,
    CountingMixin,
):
    """The meeting tally over one database: ``Tally(engine, region=..., timezone=..., clock=..., token_key=...)``
    (see ``kiosk.tally.storage.TallyBase``). Every method is one transaction; see the concept modules."""
