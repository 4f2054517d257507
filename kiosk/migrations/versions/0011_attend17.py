"""The attendance rule: a meeting's "at least N of the last M closed meetings", the meetings it counts (fixed when
the meeting leaves draft) and each member's attended count at sign-in.

Revision ID: 0008_attend17
Revises: 0005_arch_hw
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_attend17"
down_revision = "0008_contests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("min_attended", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("of_last", sa.Integer(), nullable=True))
    with op.batch_alter_table("signins") as batch_op:
        batch_op.add_column(sa.Column("attended", sa.Integer(), nullable=True))
    op.create_index("ix_signins_member", "signins", ["member_id", "meeting_id"])
    op.create_table(
        "attendance_windows",
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("counted_meeting_id", sa.Integer(), sa.ForeignKey("meetings.id"), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "counted_meeting_id", name="pk_attendance_windows"),
    )


def downgrade() -> None:
    op.drop_table("attendance_windows")
    op.drop_index("ix_signins_member", table_name="signins")
    with op.batch_alter_table("signins") as batch_op:
        batch_op.drop_column("attended")
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("of_last")
        batch_op.drop_column("min_attended")
