"""The accountability ledger's tables (migration 0008_ledger17; read and written by ``kiosk.tally.ledger``), on
``kiosk.schema``'s metadata: kept apart so that module stays readable. ``kiosk.schema`` imports them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint

from kiosk.schema import UtcDateTime, _one_of, metadata

VOTES_CAST = ("yes", "no", "abstain", "absent")
YES_MEANS = ("for", "against")
PLEDGES = ("yes", "no")

# Officials the organization follows (elected, or running): one row per person, matched on re-import by the
# folded name. ``endorsed_meeting_id``: the meeting that endorsed them, when the file named one.
officials = Table(
    "officials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("search_name", String(200), nullable=False, unique=True),
    Column("office", String(200), nullable=False, server_default=""),
    Column("body", String(200), nullable=False, server_default=""),
    Column("term_start", Date),
    Column("term_end", Date),
    Column("endorsed", Boolean, nullable=False, server_default="0"),
    Column("endorsed_meeting_id", Integer, ForeignKey("meetings.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# A candidate's answer to the questionnaire on one platform plank: the latest answer per official and plank.
pledges = Table(
    "pledges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("official_id", Integer, ForeignKey("officials.id"), nullable=False),
    Column("platform_plank_id", Integer, ForeignKey("platform_planks.id"), nullable=False),
    Column("pledge", String(3), nullable=False),
    Column("pledged_on", Date),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("official_id", "platform_plank_id", name="uq_pledges_official_plank"),
    CheckConstraint(_one_of("pledge", PLEDGES), name="pledge"),
)

# One official's recorded vote on one matter of a public body, and the platform plank it touches. The natural
# key (what makes re-importing a file change nothing) is the official, the plank, the day, and the body and
# matter folded (case, accents and spaces ignored: ``*_key``).
recorded_votes = Table(
    "recorded_votes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("official_id", Integer, ForeignKey("officials.id"), nullable=False),
    Column("platform_plank_id", Integer, ForeignKey("platform_planks.id"), nullable=False),
    Column("voted_on", Date, nullable=False),
    Column("body", String(200), nullable=False, server_default=""),
    Column("matter", String(300), nullable=False),
    Column("body_key", String(200), nullable=False, server_default=""),
    Column("matter_key", String(300), nullable=False),
    Column("vote", String(8), nullable=False),
    Column("yes_means", String(8), nullable=False),
    Column("source", String(200), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint(
        "official_id", "platform_plank_id", "voted_on", "body_key", "matter_key", name="uq_recorded_votes_key"
    ),
    CheckConstraint(_one_of("vote", VOTES_CAST), name="vote"),
    CheckConstraint(_one_of("yes_means", YES_MEANS), name="yes_means"),
)
