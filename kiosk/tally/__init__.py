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
``contests``        ranked-choice contests on the ballot (values, what a ballot may rank, reading rankings back)
``contest_file``    a contest as given and checked; the contests file
``contest_setup``   importing and editing a meeting's contests until voting opens
``people``          importing the roster (and merging walk-ins into it)
``contacts``        members' phones and the language of their texts
``search``          the sign-in look-up by phone or name
``name_index``      the roster's search names in memory for the look-up by name, kept current by the database
``rsvps``           answers by text or from the organizer pages
``eligibility``     who may vote
``attendance``      the attendance rule: the closed meetings it counts and each member's record
``signin``          signing in at the door
``ballot_tokens``   issuing, checking and reissuing ballot tokens
``ballots``         casting and verifying secret ballots
``counting``        results and the audit log's read side
``platform``        the organization's platform: what passed at closed meetings, amended and repealed since
``ledger``          officials, their pledges and recorded votes, and the scorecard (files read by kiosk.ledger)
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

from kiosk.tally.attendance import AttendanceMixin, AttendanceWindow
from kiosk.tally.ballots import BallotsMixin
from kiosk.tally.contacts import ContactsMixin
from kiosk.tally.contest_file import CandidateSpec, ContestSpec, contest_spec
from kiosk.tally.contest_setup import ContestSetupMixin
from kiosk.tally.contests import Contest, ContestCandidate, ContestMethod
from kiosk.tally.counting import CountingMixin
from kiosk.tally.endorsements import EndorsementChange, EndorsementReport, EndorsementsMixin
from kiosk.tally.ledger import LedgerMixin
from kiosk.tally.meetings import MeetingsMixin, parse_quorum, parse_start
from kiosk.tally.model import (
    Adoption,
    Answer,
    CastBallot,
    ImportReport,
    Meeting,
    MeetingState,
    Person,
    PersonKey,
    PersonKind,
    Plank,
    PlatformEnding,
    PlatformPlank,
    PlatformState,
    RsvpView,
    SignIn,
    clean_name,
)
from kiosk.tally.people import PeopleMixin
from kiosk.tally.planks import MAX_PLANKS, PlanksMixin
from kiosk.tally.platform import PlatformChanges, PlatformMixin
from kiosk.tally.rsvps import RsvpsMixin
from kiosk.tally.search import SearchMixin
from kiosk.tally.signin import SignInMixin
from kiosk.tally.unit_of_work import CloseStep, UnitOfWork

__all__ = [
    "MAX_PLANKS",
    "Adoption",
    "Answer",
    "AttendanceWindow",
    "CandidateSpec",
    "CastBallot",
    "CloseStep",
    "Contest",
    "ContestCandidate",
    "ContestMethod",
    "ContestSpec",
    "EndorsementChange",
    "EndorsementReport",
    "ImportReport",
    "Meeting",
    "MeetingState",
    "Person",
    "PersonKey",
    "PersonKind",
    "Plank",
    "PlatformChanges",
    "PlatformEnding",
    "PlatformPlank",
    "PlatformState",
    "RsvpView",
    "SignIn",
    "Tally",
    "UnitOfWork",
    "clean_name",
    "contest_spec",
    "parse_quorum",
    "parse_start",
]


class Tally(
    MeetingsMixin,
    ContestSetupMixin,
    PlanksMixin,
    PeopleMixin,
    ContactsMixin,
    SearchMixin,
    RsvpsMixin,
    SignInMixin,
    AttendanceMixin,
    BallotsMixin,
    CountingMixin,
    PlatformMixin,
    LedgerMixin,
    EndorsementsMixin,
):
    """The meeting tally over one database: ``Tally(engine, region=..., timezone=..., clock=..., token_key=...)``
    (see ``kiosk.tally.storage.TallyBase``). Every method is one transaction; see the concept modules."""
