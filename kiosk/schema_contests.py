"""Ranked-choice contests on a meeting's ballot and the ballots' rankings (migration 0008_contests), on
``kiosk.schema``'s metadata: kept apart so that module stays readable. ``kiosk.schema`` imports them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from kiosk.schema import _one_of, metadata

CONTEST_METHODS = ("irv", "stv")

# A ranked-choice contest on a meeting's ballot (an endorsement or an election), after its planks. The title is
# its identity for results, exports and the audit log, like a plank's. ``threshold_percent`` is the meeting's own
# endorsement rule (a winner needs at least this share of the final round's continuing votes), stored as the
# exact decimal text; ``tiebreak_seed`` seeds the count's random tie-break (kiosk.rcv), fixed before voting.
contests = Table(
    "contests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("seats", Integer, nullable=False, server_default="1"),
    Column("method", String(3), nullable=False, server_default="irv"),
    Column("threshold_percent", String(12)),
    Column("decimal_places", Integer, nullable=False, server_default="4"),
    Column("tiebreak_seed", Integer, nullable=False, server_default="0"),
    UniqueConstraint("meeting_id", "position", name="uq_contests_position"),
    UniqueConstraint("meeting_id", "title", name="uq_contests_title"),
    CheckConstraint(_one_of("method", CONTEST_METHODS), name="method"),
    CheckConstraint("seats >= 1", name="seats"),
    CheckConstraint("decimal_places BETWEEN 1 AND 20", name="decimal_places"),
)

# A contest's title in another language the kiosk offers, like plank_translations (the title only).
contest_translations = Table(
    "contest_translations",
    metadata,
    Column("contest_id", Integer, ForeignKey("contests.id"), nullable=False),
    Column("language", String(5), nullable=False),
    Column("title", String(300), nullable=False, server_default=""),
    PrimaryKeyConstraint("contest_id", "language", name="pk_contest_translations"),
)

# The candidates in ballot order. ``no_endorsement``: the "No endorsement" option, ranked like any candidate;
# if it wins, nobody is endorsed.
contest_candidates = Table(
    "contest_candidates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contest_id", Integer, ForeignKey("contests.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("no_endorsement", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("contest_id", "position", name="uq_contest_candidates_position"),
    UniqueConstraint("contest_id", "name", name="uq_contest_candidates_name"),
)

# One ballot's ranking of one contest: a row per rank, keyed like ballot_choices by the ballot's random code
# (WITHOUT ROWID on SQLite, so storage order follows the code, not the order of casting). A blank ranking has
# no rows; the ballot itself (``ballots``) says it was cast.
ballot_rankings = Table(
    "ballot_rankings",
    metadata,
    Column("ballot_code", String(16), ForeignKey("ballots.code"), nullable=False),
    Column("contest_id", Integer, ForeignKey("contests.id"), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("candidate_id", Integer, ForeignKey("contest_candidates.id"), nullable=False),
    PrimaryKeyConstraint("ballot_code", "contest_id", "rank", name="pk_ballot_rankings"),
    # ...and each candidate at most once per ballot and contest (a duplicate ranking cannot be stored).
    UniqueConstraint("ballot_code", "contest_id", "candidate_id", name="uq_ballot_rankings_candidate"),
    CheckConstraint("rank >= 1", name="rank"),
    sqlite_with_rowid=False,
)
