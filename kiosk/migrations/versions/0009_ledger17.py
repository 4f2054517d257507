"""The accountability ledger: officials, their pledges to platform planks, and their recorded votes.

Revision ID: 0008_ledger17
Revises: 0008_platform17
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_ledger17"
down_revision = "0008_platform17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=200), server_default="", nullable=False),
        sa.Column("body", sa.String(length=200), server_default="", nullable=False),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("endorsed", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("endorsed_meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endorsed_meeting_id"], ["meetings.id"], name=op.f("fk_officials_endorsed_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officials")),
        sa.UniqueConstraint("search_name", name=op.f("uq_officials_search_name")),
    )
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("platform_plank_id", sa.Integer(), nullable=False),
        sa.Column("pledge", sa.String(length=3), nullable=False),
        sa.Column("pledged_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("pledge IN ('yes', 'no')", name=op.f("ck_pledges_pledge")),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"], name=op.f("fk_pledges_official_id_officials")),
        sa.ForeignKeyConstraint(
            ["platform_plank_id"], ["platform_planks.id"], name=op.f("fk_pledges_platform_plank_id_platform_planks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("official_id", "platform_plank_id", name="uq_pledges_official_plank"),
    )
    op.create_table(
        "recorded_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("platform_plank_id", sa.Integer(), nullable=False),
        sa.Column("voted_on", sa.Date(), nullable=False),
        sa.Column("body", sa.String(length=200), server_default="", nullable=False),
        sa.Column("matter", sa.String(length=300), nullable=False),
        sa.Column("body_key", sa.String(length=200), server_default="", nullable=False),
        sa.Column("matter_key", sa.String(length=300), nullable=False),
        sa.Column("vote", sa.String(length=8), nullable=False),
        sa.Column("yes_means", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=200), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("vote IN ('yes', 'no', 'abstain', 'absent')", name=op.f("ck_recorded_votes_vote")),
        sa.CheckConstraint("yes_means IN ('for', 'against')", name=op.f("ck_recorded_votes_yes_means")),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_recorded_votes_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["platform_plank_id"],
            ["platform_planks.id"],
            name=op.f("fk_recorded_votes_platform_plank_id_platform_planks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_votes")),
        sa.UniqueConstraint(
            "official_id", "platform_plank_id", "voted_on", "body_key", "matter_key", name="uq_recorded_votes_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("recorded_votes")
    op.drop_table("pledges")
    op.drop_table("officials")
