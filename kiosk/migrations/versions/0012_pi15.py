"""The roster's version: one counter that database triggers move whenever a member is added or removed or a
search name changes, so the kiosk can keep the search names in memory for the door's look-up (issue 15).

Triggers rather than the tally's own writes: every path that changes ``members`` (an import, a walk-in who
joins, a merge, an SMS handler, a shell with ``sqlite3``) moves the counter, whichever process it runs in.

Revision ID: 0008_pi15
Revises: 0005_arch_hw
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pi15"
down_revision = "0008_attend17"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = {
    "roster_version_insert": "AFTER INSERT ON members",
    "roster_version_delete": "AFTER DELETE ON members",
    "roster_version_update": "AFTER UPDATE OF search_name ON members",
}


def upgrade() -> None:
    op.create_table(
        "roster_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO roster_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for name, when in _SQLITE_TRIGGERS.items():  # SQLite triggers run for each row: an import moves it often
            op.execute(
                f"CREATE TRIGGER {name} {when} BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END"
            )
        return
    op.execute(
        "CREATE FUNCTION roster_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE roster_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER roster_version_bump AFTER INSERT OR DELETE OR UPDATE OF search_name ON members "
        "FOR EACH STATEMENT EXECUTE FUNCTION roster_version_bump()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS roster_version_bump ON members")
        op.execute("DROP FUNCTION IF EXISTS roster_version_bump()")
    op.drop_table("roster_version")
