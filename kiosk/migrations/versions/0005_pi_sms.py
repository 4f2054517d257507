"""Inbound texts whose PDU arrived damaged (user data cut short or too long) are stored marked as such.

Revision ID: 0005_pi_sms
Revises: 0005_sec_storage
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_pi_sms"
down_revision = "0005_sec_storage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_inbound") as batch_op:
        batch_op.add_column(sa.Column("damaged", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sms_inbound") as batch_op:
        batch_op.drop_column("damaged")
