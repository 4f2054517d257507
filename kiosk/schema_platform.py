"""The organization's platform: planks adopted at closed meetings, amended and repealed (migration
0008_platform17), on ``kiosk.schema``'s metadata: kept apart so that module stays readable. ``kiosk.schema``
imports them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from kiosk.schema import THRESHOLDS, _one_of, metadata

PLATFORM_STATES = ("current", "amended", "repealed")
PLATFORM_ACTIONS = ("amends", "repeals")

# Every plank that passed at a closed meeting, in force or not: the organization's platform and its history.
# ``title_key`` is the title folded (case, accents and spaces ignored): unique among the current planks, so a
# look-up by title (kiosk.tally.platform) finds at most one. The counts are those of the closed meeting (they
# cannot change once it closed); the text in other languages is the adopted plank's (``plank_translations``).
# An amended plank points to what replaced it; ``ended_*`` say which meeting and plank amended or repealed it.
platform_planks = Table(
    "platform_planks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(300), nullable=False),
    Column("title_key", String(300), nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("adopted_meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("adopted_plank_id", Integer, ForeignKey("planks.id"), nullable=False, unique=True),
    Column("threshold", String(16), nullable=False),
    Column("yes_count", Integer, nullable=False),
    Column("no_count", Integer, nullable=False),
    Column("abstain_count", Integer, nullable=False, server_default="0"),
    Column("state", String(8), nullable=False, server_default="current"),
    Column("replaced_by_id", Integer, ForeignKey("platform_planks.id")),
    Column("ended_meeting_id", Integer, ForeignKey("meetings.id")),
    Column("ended_by_plank_id", Integer, ForeignKey("planks.id")),
    CheckConstraint(_one_of("state", PLATFORM_STATES), name="state"),
    CheckConstraint(_one_of("threshold", THRESHOLDS), name="threshold"),
    Index(
        "uq_platform_planks_current_title",
        "title_key",
        unique=True,
        sqlite_where=Column("state") == "current",
        # and postgresql_where, the same, added by kiosk.schema.postgresql_options() (naming it here loads
        # SQLAlchemy's whole PostgreSQL dialect into every SQLite kiosk's start).
    ),
)

# A meeting's plank that would amend or repeal a platform plank if it passes (the planks file's ``amends`` /
# ``repeals`` column, or the organizer's plank form). Applied in the transaction that closes the meeting.
plank_platform_changes = Table(
    "plank_platform_changes",
    metadata,
    Column("plank_id", Integer, ForeignKey("planks.id"), nullable=False),
    Column("action", String(8), nullable=False),
    Column("target_id", Integer, ForeignKey("platform_planks.id"), nullable=False),
    PrimaryKeyConstraint("plank_id", name="pk_plank_platform_changes"),
    CheckConstraint(_one_of("action", PLATFORM_ACTIONS), name="action"),
)
