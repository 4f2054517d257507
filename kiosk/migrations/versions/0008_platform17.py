"""The platform: every plank that passed at a closed meeting, with its history of amendments and repeals, and
the planks that would amend or repeal one.

Meetings closed before this revision join the platform when ``kiosk init`` runs (``Tally.rebuild_platform``):
the rule for what passed lives in ``kiosk.results``, not copied here.

Revision ID: 0008_platform17
Revises: 0005_arch_hw
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_platform17"
down_revision = "0005_arch_hw"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_planks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_key", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("adopted_meeting_id", sa.Integer(), nullable=False),
        sa.Column("adopted_plank_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("no_count", sa.Integer(), nullable=False),
        sa.Column("abstain_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=8), server_default="current", nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_meeting_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_plank_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('current', 'amended', 'repealed')", name=op.f("ck_platform_planks_state")),
        sa.CheckConstraint(
            "threshold IN ('majority', 'three-fifths', 'two-thirds', 'three-quarters')",
            name=op.f("ck_platform_planks_threshold"),
        ),
        sa.ForeignKeyConstraint(
            ["adopted_meeting_id"], ["meetings.id"], name=op.f("fk_platform_planks_adopted_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["adopted_plank_id"], ["planks.id"], name=op.f("fk_platform_planks_adopted_plank_id_planks")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["platform_planks.id"], name=op.f("fk_platform_planks_replaced_by_id_platform_planks")
        ),
        sa.ForeignKeyConstraint(
            ["ended_meeting_id"], ["meetings.id"], name=op.f("fk_platform_planks_ended_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_plank_id"], ["planks.id"], name=op.f("fk_platform_planks_ended_by_plank_id_planks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_planks")),
        sa.UniqueConstraint("adopted_plank_id", name=op.f("uq_platform_planks_adopted_plank_id")),
    )
    with op.batch_alter_table("platform_planks") as batch_op:
        batch_op.create_index(
            "uq_platform_planks_current_title",
            ["title_key"],
            unique=True,
            sqlite_where=sa.text("state = 'current'"),
            postgresql_where=sa.text("state = 'current'"),
        )
    op.create_table(
        "plank_platform_changes",
        sa.Column("plank_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("action IN ('amends', 'repeals')", name=op.f("ck_plank_platform_changes_action")),
        sa.ForeignKeyConstraint(["plank_id"], ["planks.id"], name=op.f("fk_plank_platform_changes_plank_id_planks")),
        sa.ForeignKeyConstraint(
            ["target_id"], ["platform_planks.id"], name=op.f("fk_plank_platform_changes_target_id_platform_planks")
        ),
        sa.PrimaryKeyConstraint("plank_id", name="pk_plank_platform_changes"),
    )


def downgrade() -> None:
    op.drop_table("plank_platform_changes")
    with op.batch_alter_table("platform_planks") as batch_op:
        batch_op.drop_index(
            "uq_platform_planks_current_title",
            sqlite_where=sa.text("state = 'current'"),
            postgresql_where=sa.text("state = 'current'"),
        )
    op.drop_table("platform_planks")
