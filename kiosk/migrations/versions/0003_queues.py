"""Queues for receipts and texts, the opt-out list, SMS conversations and device status.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_status",
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device", name=op.f("pk_device_status")),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=False),
        sa.Column("meeting_code", sa.String(length=16), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("reprint", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=8), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'printing', 'printed', 'failed')", name=op.f("ck_print_jobs_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_print_jobs_dedupe_key")),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_print_jobs_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "sms_conversations",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("awaiting_name_for", sa.String(length=16), nullable=True),
        sa.Column("asked_name", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_conversations")),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=120), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("intent", sa.String(length=8), nullable=False),
        sa.Column("meeting_code", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=10), server_default="rsvp", nullable=False),
        sa.Column("processed", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_sms_inbound_provider_id")),
    )
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.create_index("ix_sms_inbound_sender", ["sender", "id"], unique=False)

    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "sms_outbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("state", sa.String(length=8), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("provider_id", sa.String(length=120), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'failed', 'blocked')", name=op.f("ck_sms_outbound_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbound")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_outbound_dedupe_key")),
    )
    with op.batch_alter_table("sms_outbound", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbound_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbound", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbound_due")

    op.drop_table("sms_outbound")
    op.drop_table("sms_opt_outs")
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_inbound_sender")

    op.drop_table("sms_inbound")
    op.drop_table("sms_conversations")
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_print_jobs_due")

    op.drop_table("print_jobs")
    op.drop_table("device_status")
