"""Initial schema: roster, meetings, planks, RSVPs, sign-ins, ballot tokens, secret ballots, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("meeting_code", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=200), server_default="", nullable=False),
        sa.Column("state", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("quorum_kind", sa.String(length=8), server_default="count", nullable=False),
        sa.Column("quorum_value", sa.Integer(), server_default="0", nullable=False),
        sa.Column("min_membership_days", sa.Integer(), nullable=True),
        sa.Column("guests_may_vote", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("show_choices_on_receipt", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("quorum_kind <> 'percent' OR quorum_value <= 100", name=op.f("ck_meetings_quorum_percent")),
        sa.CheckConstraint("quorum_kind IN ('count', 'percent')", name=op.f("ck_meetings_quorum_kind")),
        sa.CheckConstraint(
            "state IN ('draft', 'signin_open', 'voting_open', 'closed')", name=op.f("ck_meetings_state")
        ),
        sa.CheckConstraint("quorum_value >= 0", name=op.f("ck_meetings_quorum_value")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("code", name=op.f("uq_meetings_code")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("joined", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('member', 'lapsed', 'pending', 'guest')", name=op.f("ck_members_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_members_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_members_search_name"), ["search_name"], unique=False)

    op.create_table(
        "ballots",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_ballots_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("code", name="pk_ballots"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "planks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "threshold IN ('majority', 'three-fifths', 'two-thirds', 'three-quarters')",
            name=op.f("ck_planks_threshold"),
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_planks_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planks")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_planks_position"),
        sa.UniqueConstraint("meeting_id", "title", name="uq_planks_title"),
    )
    op.create_table(
        "rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("answer", sa.String(length=5), nullable=False),
        sa.Column("guests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("answer IN ('yes', 'no', 'maybe')", name=op.f("ck_rsvps_answer")),
        sa.CheckConstraint("source IN ('sms', 'web', 'kiosk', 'organizer')", name=op.f("ck_rsvps_source")),
        sa.CheckConstraint("guests BETWEEN 0 AND 10", name=op.f("ck_rsvps_guests")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_rsvps_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_rsvps_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvps")),
    )
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.create_index("ix_rsvps_latest", ["meeting_id", "person_key", "id"], unique=False)

    op.create_table(
        "signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=240), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('member', 'guest', 'pending')", name=op.f("ck_signins_kind")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_signins_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_signins_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signins")),
        sa.UniqueConstraint("meeting_id", "person_key", name="uq_signins_person"),
    )
    op.create_table(
        "ballot_choices",
        sa.Column("ballot_code", sa.String(length=16), nullable=False),
        sa.Column("plank_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=7), nullable=False),
        sa.CheckConstraint("choice IN ('yes', 'no', 'abstain')", name=op.f("ck_ballot_choices_choice")),
        sa.ForeignKeyConstraint(["ballot_code"], ["ballots.code"], name=op.f("fk_ballot_choices_ballot_code_ballots")),
        sa.ForeignKeyConstraint(["plank_id"], ["planks.id"], name=op.f("fk_ballot_choices_plank_id_planks")),
        sa.PrimaryKeyConstraint("ballot_code", "plank_id", name="pk_ballot_choices"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ballot_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("signin_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=6), server_default="issued", nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('issued', 'spent', 'void')", name=op.f("ck_ballot_tokens_state")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_ballot_tokens_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["signin_id"], ["signins.id"], name=op.f("fk_ballot_tokens_signin_id_signins")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ballot_tokens_token_hash")),
    )
    with op.batch_alter_table("ballot_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "uq_ballot_tokens_live",
            ["signin_id"],
            unique=True,
            sqlite_where=sa.text("state != 'void'"),
            postgresql_where=sa.text("state != 'void'"),
        )


def downgrade() -> None:

    with op.batch_alter_table("ballot_tokens", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ballot_tokens_live",
            sqlite_where=sa.text("state != 'void'"),
            postgresql_where=sa.text("state != 'void'"),
        )

    op.drop_table("ballot_tokens")
    op.drop_table("ballot_choices")
    op.drop_table("signins")
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_rsvps_latest")

    op.drop_table("rsvps")
    op.drop_table("planks")
    op.drop_table("ballots")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_search_name"))
        batch_op.drop_index(batch_op.f("ix_members_phone"))
        batch_op.drop_index(batch_op.f("ix_members_email"))

    op.drop_table("members")
    op.drop_table("meetings")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
