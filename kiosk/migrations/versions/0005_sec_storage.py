"""Token key fingerprints and server-side organizer sessions.

Revision ID: 0005_sec_storage
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_sec_storage"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_kiosk_keys")),
    )
    op.create_table(
        "organizer_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("organizer_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_organizer_sessions")),
    )
    op.create_index(
        op.f("ix_organizer_sessions_organizer_name"), "organizer_sessions", ["organizer_name"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_organizer_sessions_organizer_name"), table_name="organizer_sessions")
    op.drop_table("organizer_sessions")
    op.drop_table("kiosk_keys")
