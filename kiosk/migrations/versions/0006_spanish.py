"""Plank translations: a plank's title and text in each other language the kiosk offers.

Revision ID: 0006_spanish
Revises: 0005_pi_sms
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_spanish"
down_revision = "0005_pi_sms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plank_translations",
        sa.Column("plank_id", sa.Integer(), sa.ForeignKey("planks.id"), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("plank_id", "language", name="pk_plank_translations"),
    )


def downgrade() -> None:
    op.drop_table("plank_translations")
