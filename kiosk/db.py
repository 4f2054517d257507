"""Opening the tally database: engine settings per backend, write transactions, and schema migrations.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` (NORMAL loses acknowledged commits
on power loss: see ``docs/durability.md``), foreign keys on and a busy timeout. Write transactions start with
``BEGIN IMMEDIATE`` so that two writers never both read and then both try to upgrade to a write lock (which
SQLite answers with an immediate "database is locked" instead of waiting).

PostgreSQL needs nothing special: row locks and unique constraints carry the invariants.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from kiosk.errors import ConfigError, DatabaseError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, *, busy_timeout_ms: int = 10000) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"[database] url {url!r} is not a database URL (e.g. sqlite:////path/tally.db)") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"[database] url: {parsed.get_backend_name()} is not supported; use sqlite or postgresql")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000})
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except NoSuchModuleError as exc:
        raise ConfigError(f"[database] url: driver not installed ({exc})") from None


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred and comes too late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased tokens and verification codes must not linger in freed pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("kiosk_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock up front."""
    try:
        with engine.connect() as conn:
            conn.execution_options(kiosk_write=True)
            with conn.begin():
                yield conn
    except OperationalError as exc:
        raise DatabaseError(f"the database could not be written: {exc.orig}") from exc


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reading."""
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except OperationalError as exc:
        raise DatabaseError(f"the database could not be read: {exc.orig}") from exc


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# --- migrations -------------------------------------------------------------------------------------------


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), keeping all data."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), revision)
    after = current_revision(engine)
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)


def needs_upgrade(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())
