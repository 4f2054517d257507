"""The language a sign-in's receipt was printed in, so a reprint at the desk matches the kiosk's.

Revision ID: 0005_arch_hw
Revises: 0006_spanish
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_arch_hw"
down_revision = "0006_spanish"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signins") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signins") as batch_op:
        batch_op.drop_column("language")
