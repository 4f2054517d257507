"""The tally's tables, written with SQLAlchemy Core so the same schema runs on SQLite and PostgreSQL.

This is the schema at the newest migration (``kiosk/migrations``); a test checks the two agree.

Invariants live in the database, not only in Python:

* one sign-in per person per meeting: ``UNIQUE (meeting_id, person_key)`` on ``signins``;
* one live token per sign-in: a partial unique index over tokens that are not void;
* one ballot per token: a token moves from ``issued`` to ``spent`` by one conditional ``UPDATE`` in the same
  transaction that stores the ballot (a ballot cannot reference its token, or it would no longer be secret);
* one choice per plank per ballot: the primary key of ``ballot_choices``;
* one candidate per rank, and one rank per candidate, per contest per ballot: the primary key and a unique
  constraint of ``ballot_rankings``.

Ballots are kept apart from people: ``ballots``, ``ballot_choices`` and ``ballot_rankings`` hold a random
verification code, the meeting, the choices and the rankings, nothing else. On SQLite they are ``WITHOUT ROWID``
tables keyed by that random code, so their storage order follows the code, not the order of casting (a rowid
would count up as ballots arrive).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Named constraints so that migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


MEMBER_STATUSES = ("member", "lapsed", "pending", "guest")
MEETING_STATES = ("draft", "signin_open", "voting_open", "closed")
THRESHOLDS = ("majority", "three-fifths", "two-thirds", "three-quarters")
ANSWERS = ("yes", "no", "maybe")
SOURCES = ("sms", "web", "kiosk", "organizer")
SIGNIN_KINDS = ("member", "guest", "pending")
TOKEN_STATES = ("issued", "spent", "void")
CHOICES = ("yes", "no", "abstain")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    # Lower-cased, accent-free copy of the name for look-ups at the door.
    Column("search_name", String(200), nullable=False, index=True),
    Column("phone", String(20), index=True),
    Column("email", String(254), index=True),
    Column("status", String(10), nullable=False),
    Column("joined", Date),
    Column("language", String(5)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(_one_of("status", MEMBER_STATUSES), name="status"),
)

# One counter, moved by database triggers (migration 0008_pi15) whenever a member is added or removed or their
# search name changes, by any process or path. The kiosk keeps the roster's search names in memory for the
# look-up at the door (kiosk.tally.name_index) and reads this one row to know they are still what is stored.
roster_version = Table(
    "roster_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint("id = 1", name="one_row"),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("place", String(200), nullable=False, server_default=""),
    Column("state", String(12), nullable=False, server_default="draft"),
    Column("quorum_kind", String(8), nullable=False, server_default="count"),
    Column("quorum_value", Integer, nullable=False, server_default="0"),
    Column("min_membership_days", Integer),
    Column("guests_may_vote", Boolean, nullable=False, server_default="0"),
    Column("show_choices_on_receipt", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    # Organizer display choices (migration 0004): live figures on the room's projector, and results kept
    # hidden from every screen until voting closes (an organizer may still "peek", which is audited).
    Column("live_results_shown", Boolean, nullable=False, server_default="0"),
    Column("results_hidden_until_close", Boolean, nullable=False, server_default="0"),
    # The attendance rule (migration 0008): members vote only if they signed in at ``min_attended`` or more of
    # the ``of_last`` most recent closed meetings before this one (kiosk.tally.attendance). Both or neither.
    Column("min_attended", Integer),
    Column("of_last", Integer),
    CheckConstraint(_one_of("state", MEETING_STATES), name="state"),
    CheckConstraint(_one_of("quorum_kind", ("count", "percent")), name="quorum_kind"),
    CheckConstraint("quorum_value >= 0", name="quorum_value"),
    CheckConstraint("quorum_kind <> 'percent' OR quorum_value <= 100", name="quorum_percent"),
)

planks = Table(
    "planks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("threshold", String(16), nullable=False),
    UniqueConstraint("meeting_id", "position", name="uq_planks_position"),
    UniqueConstraint("meeting_id", "title", name="uq_planks_title"),
    CheckConstraint(_one_of("threshold", THRESHOLDS), name="threshold"),
)

# A plank's title and text in another language the kiosk offers (kiosk.i18n.LANGUAGES). The plank's own
# title (in ``planks``) stays its identity for results, exports and the audit log; a missing translation
# falls back to it on screens, receipts and texts.
plank_translations = Table(
    "plank_translations",
    metadata,
    Column("plank_id", Integer, ForeignKey("planks.id"), nullable=False),
    Column("language", String(5), nullable=False),
    Column("title", String(300), nullable=False, server_default=""),
    Column("text", Text, nullable=False, server_default=""),
    PrimaryKeyConstraint("plank_id", "language", name="pk_plank_translations"),
)

rsvps = Table(
    "rsvps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    # "m:<member id>" for people on the roster, "p:<E.164 phone>" for numbers that are not.
    Column("person_key", String(40), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id")),
    Column("phone", String(20)),
    Column("name", String(200)),
    Column("answer", String(5), nullable=False),
    Column("guests", Integer, nullable=False, server_default="0"),
    Column("source", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_one_of("answer", ANSWERS), name="answer"),
    CheckConstraint("guests BETWEEN 0 AND 10", name="guests"),
    CheckConstraint(_one_of("source", SOURCES), name="source"),
    Index("ix_rsvps_latest", "meeting_id", "person_key", "id"),
)

signins = Table(
    "signins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    # "m:<member id>", "p:<phone>" for a guest with a phone, "g:<folded name>" for one without.
    Column("person_key", String(240), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id")),
    Column("name", String(200), nullable=False),
    Column("phone", String(20)),
    Column("kind", String(8), nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("station", String(64), nullable=False),
    Column("signed_in_at", UtcDateTime, nullable=False),
    # The language of the last sign-in receipt printed for it ("en"/"es"), so a desk reprint uses the same one.
    Column("language", String(5)),
    # Under an attendance rule: how many of the meeting's counted meetings this member had attended when they
    # signed in (migration 0008), so the export and a second sign-in show what was decided then.
    Column("attended", Integer),
    UniqueConstraint("meeting_id", "person_key", name="uq_signins_person"),
    CheckConstraint(_one_of("kind", SIGNIN_KINDS), name="kind"),
    Index("ix_signins_member", "member_id", "meeting_id"),
)

# The closed meetings an attendance rule counts, fixed when the meeting leaves draft (kiosk.tally.attendance):
# everyone who signs in is counted over the same meetings, even if an earlier meeting closes meanwhile.
attendance_windows = Table(
    "attendance_windows",
    metadata,
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("counted_meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    PrimaryKeyConstraint("meeting_id", "counted_meeting_id", name="pk_attendance_windows"),
)

ballot_tokens = Table(
    "ballot_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("signin_id", Integer, ForeignKey("signins.id"), nullable=False),
    # HMAC-SHA256 of the normalized token under the token key kept outside the database ("h:" + 62 hex digits;
    # kiosk.tokens); older rows may hold the unkeyed SHA-256. The token itself is only on the receipt.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("state", String(6), nullable=False, server_default="issued"),
    Column("issued_at", UtcDateTime, nullable=False),
    CheckConstraint(_one_of("state", TOKEN_STATES), name="state"),
    Index(
        "uq_ballot_tokens_live",
        "signin_id",
        unique=True,
        sqlite_where=Column("state") != "void",
        # and postgresql_where, the same, added by postgresql_options(): naming it here loads SQLAlchemy's
        # whole PostgreSQL dialect (asyncpg, pg8000, psycopg... modules), a tenth of a SQLite kiosk's start.
    ),
)


def postgresql_options() -> None:
    """The PostgreSQL-only options of the tables (idempotent): called when a PostgreSQL engine is made, before
    the schema is compared or created there; SQLite never needs them."""
    index = next(i for i in ballot_tokens.indexes if i.name == "uq_ballot_tokens_live")
    index.dialect_options["postgresql"]["where"] = ballot_tokens.c.state != "void"
    current = next(i for i in platform_planks.indexes if i.name == "uq_platform_planks_current_title")
    current.dialect_options["postgresql"]["where"] = platform_planks.c.state == "current"


ballots = Table(
    "ballots",
    metadata,
    Column("code", String(16), nullable=False),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    PrimaryKeyConstraint("code", name="pk_ballots"),
    sqlite_with_rowid=False,
)

ballot_choices = Table(
    "ballot_choices",
    metadata,
    Column("ballot_code", String(16), ForeignKey("ballots.code"), nullable=False),
    Column("plank_id", Integer, ForeignKey("planks.id"), nullable=False),
    Column("choice", String(7), nullable=False),
    PrimaryKeyConstraint("ballot_code", "plank_id", name="pk_ballot_choices"),
    CheckConstraint(_one_of("choice", CHOICES), name="choice"),
    sqlite_with_rowid=False,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("meeting_code", String(16)),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# One row: the newest entry's number and hash. Writers lock it (SELECT ... FOR UPDATE on PostgreSQL; the
# write lock on SQLite), so entries from concurrent kiosks form one chain.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="singleton"),
)


# --- queues for the edges (migration 0003) ----------------------------------------------------------------

JOB_STATES = ("queued", "printing", "printed", "failed")

# Receipts waiting for paper. ``dedupe_key`` makes "one receipt per token" a database fact: a sign-in receipt
# is keyed by its token's hash, so a retried or restarted kiosk cannot queue it twice. Ballot receipts carry a
# verification code; their payload is erased as soon as they are printed and their rows deleted when the
# meeting closes, so the queue never keeps a ballot's code next to a time or a sequence number.
print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("dedupe_key", String(100), nullable=False, unique=True),
    Column("meeting_code", String(16)),
    Column("payload", Text),
    Column("reprint", Boolean, nullable=False, server_default="0"),
    Column("state", String(8), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("printed_at", UtcDateTime),
    CheckConstraint(_one_of("state", JOB_STATES), name="state"),
    Index("ix_print_jobs_due", "state", "next_attempt_at"),
)

SMS_STATES = ("queued", "sending", "sent", "failed", "blocked")

# Texts received, kept for organizers; ``provider_id`` (Twilio SID, or the modem's stable message id) is unique,
# so a text read twice (a poll repeated, a modem message not yet deleted when the gateway died) is stored once.
# ``damaged``: the modem handed over a PDU whose user data did not match its stated length; the body is what
# could be read, acted on only when it reads clearly (see sms.gateway).
sms_inbound = Table(
    "sms_inbound",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", String(120), nullable=False, unique=True),
    Column("sender", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("intent", String(8), nullable=False),
    Column("meeting_code", String(16)),
    Column("kind", String(10), nullable=False, server_default="rsvp"),
    Column("processed", Boolean, nullable=False, server_default="0"),
    Column("damaged", Boolean, nullable=False, server_default="0"),
    Index("ix_sms_inbound_sender", "sender", "id"),
)

# Texts to send. ``dedupe_key`` (e.g. "reply:<inbound id>", "reminder:GA12:24h:+1510...") makes each text queued
# at most once, and a text is sent at most once: it is marked before the provider is called (see sms.gateway).
sms_outbound = Table(
    "sms_outbound",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("dedupe_key", String(120), unique=True),
    Column("state", String(8), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("provider_id", String(120)),
    Column("last_error", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    CheckConstraint(_one_of("state", SMS_STATES), name="state"),
    Index("ix_sms_outbound_due", "state", "next_attempt_at"),
)

# Opt-outs are per phone number and honoured by every backend; START/UNSTOP clears them.
sms_opt_outs = Table(
    "sms_opt_outs",
    metadata,
    Column("phone", String(20), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("source", String(20), nullable=False),
)

# Per-number conversation state: a name we asked for, and when automatic replies were last sent.
sms_conversations = Table(
    "sms_conversations",
    metadata,
    Column("phone", String(20), primary_key=True),
    Column("language", String(5)),
    Column("awaiting_name_for", String(16)),
    Column("asked_name", Boolean, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
)

# What each device owner last reported (printer, buttons, modem, Twilio), for the organizer page, which may run
# in another process.
device_status = Table(
    "device_status",
    metadata,
    Column("device", String(40), primary_key=True),
    Column("ok", Boolean, nullable=False),
    Column("summary", String(300), nullable=False),
    Column("detail", Text, nullable=False, server_default="{}"),
    Column("updated_at", UtcDateTime, nullable=False),
)


# --- organizer accounts (migration 0004) ------------------------------------------------------------------

# People who may use the organizer pages. Passwords are argon2id hashes (kiosk.accounts).
organizers = Table(
    "organizers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Failed logins per account name and client address, so the slow-down survives a restart.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The per-plank figures last shown live for a meeting (kiosk.web.organizer.live): kept in the database so a
# restart or a second process cannot show a new snapshot fewer than [organizer] live_step ballots after the
# last one. Removed when the meeting closes.
live_figures = Table(
    "live_figures",
    metadata,
    Column("meeting_code", String(16), primary_key=True),
    Column("ballots_cast", Integer, nullable=False),
    Column("figures", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


# --- keys and sessions (migration 0005) ---------------------------------------------------------------------

# Fingerprints of secrets kept outside the database (kiosk.token_key): a kiosk holding another key is caught.
kiosk_keys = Table(
    "kiosk_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Organizer login sessions, so logging out (or removing the organizer) ends them on the server: the cookie holds
# a random session id, the database only its SHA-256.
organizer_sessions = Table(
    "organizer_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("organizer_name", String(64), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)


# The contests', the platform's and the accountability ledger's tables live in their own modules, on this same
# metadata; imported here so that every user of the schema (create_all, the migration check) sees them.
from kiosk.schema_contests import (  # noqa: E402, F401  (re-exported)
    CONTEST_METHODS,
    ballot_rankings,
    contest_candidates,
    contest_translations,
    contests,
)
from kiosk.schema_ledger import officials, pledges, recorded_votes  # noqa: E402, F401  (re-exported)
from kiosk.schema_platform import (  # noqa: E402, F401  (re-exported)
    PLATFORM_ACTIONS,
    PLATFORM_STATES,
    plank_platform_changes,
    platform_planks,
)
