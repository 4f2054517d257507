"""Ranked-choice contests on a meeting's ballot: contests, their translations and candidates, and each ballot's
rankings (keyed by the ballot's random code, like ballot_choices, so nothing orders them by casting).

Revision ID: 0008_contests
Revises: 0005_arch_hw
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_contests"
down_revision = "0005_arch_hw"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("seats", sa.Integer(), server_default="1", nullable=False),
        sa.Column("method", sa.String(length=3), server_default="irv", nullable=False),
        sa.Column("threshold_percent", sa.String(length=12), nullable=True),
        sa.Column("decimal_places", sa.Integer(), server_default="4", nullable=False),
        sa.Column("tiebreak_seed", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("method IN ('irv', 'stv')", name=op.f("ck_contests_method")),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_contests_seats")),
        sa.CheckConstraint("decimal_places BETWEEN 1 AND 20", name=op.f("ck_contests_decimal_places")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_contests_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_contests_position"),
        sa.UniqueConstraint("meeting_id", "title", name="uq_contests_title"),
    )
    op.create_table(
        "contest_translations",
        sa.Column("contest_id", sa.Integer(), sa.ForeignKey("contests.id"), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=300), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("contest_id", "language", name="pk_contest_translations"),
    )
    op.create_table(
        "contest_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("no_endorsement", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contests.id"], name=op.f("fk_contest_candidates_contest_id_contests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_candidates")),
        sa.UniqueConstraint("contest_id", "position", name="uq_contest_candidates_position"),
        sa.UniqueConstraint("contest_id", "name", name="uq_contest_candidates_name"),
    )
    op.create_table(
        "ballot_rankings",
        sa.Column("ballot_code", sa.String(length=16), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_ballot_rankings_rank")),
        sa.ForeignKeyConstraint(["ballot_code"], ["ballots.code"], name=op.f("fk_ballot_rankings_ballot_code_ballots")),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name=op.f("fk_ballot_rankings_contest_id_contests")),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["contest_candidates.id"],
            name=op.f("fk_ballot_rankings_candidate_id_contest_candidates"),
        ),
        sa.PrimaryKeyConstraint("ballot_code", "contest_id", "rank", name="pk_ballot_rankings"),
        sa.UniqueConstraint("ballot_code", "contest_id", "candidate_id", name="uq_ballot_rankings_candidate"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("ballot_rankings")
    op.drop_table("contest_candidates")
    op.drop_table("contest_translations")
    op.drop_table("contests")
