"""Organizer accounts, failed-login throttling, live figures, and the meeting's results display choices.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_figures",
        sa.Column("meeting_code", sa.String(length=16), nullable=False),
        sa.Column("ballots_cast", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_code", name=op.f("pk_live_figures")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_table(
        "organizers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizers")),
        sa.UniqueConstraint("name", name=op.f("uq_organizers_name")),
    )
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("live_results_shown", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("results_hidden_until_close", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("results_hidden_until_close")
        batch_op.drop_column("live_results_shown")
    op.drop_table("organizers")
    op.drop_table("login_attempts")
    op.drop_table("live_figures")
