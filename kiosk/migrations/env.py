"""Alembic environment: runs migrations on the engine the tally opened (no alembic.ini needed)."""

from alembic import context

from kiosk.schema import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
