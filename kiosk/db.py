"""Opening the tally database: engine settings per backend, write transactions, and schema migrations.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` (NORMAL loses acknowledged commits
on power loss: see ``docs/power-loss.md``), foreign keys on and a busy timeout. Write transactions start with
``BEGIN IMMEDIATE`` so that two writers never both read and then both try to upgrade to a write lock (which
SQLite answers with an immediate "database is locked" instead of waiting).

PostgreSQL (psycopg 3, ``postgresql+psycopg://user:password@host/db``): row locks and unique constraints carry
the invariants. A kiosk on the hall's network must notice a dropped network in seconds, not after TCP's
minutes, and a kiosk that loses power mid-transaction must not hold its locks for hours; so unless the URL
says otherwise, connections get a connect timeout, TCP keepalives and a TCP user timeout, wait at most
``busy_timeout_ms`` for a lock (like SQLite's busy timeout), and the server ends a session left idle inside a
transaction. Every failure to reach the server becomes ``DatabaseError``; a transaction is all or nothing.
"""

from __future__ import annotations

import gc
import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from kiosk.errors import ConfigError, DatabaseError, StorageProblem, storage_problem

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
    from kiosk.schema import postgresql_options

    postgresql_options()
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the one driver we install and test
    if parsed.drivername == "postgresql+psycopg":
        problem = postgresql_driver_problem()
        if problem:
            raise ConfigError(f"[database] url is a PostgreSQL database, but {problem}")
    connect_args = {key: value for key, value in _postgres_defaults(busy_timeout_ms).items() if key not in parsed.query}
    try:
        engine = create_engine(
            parsed, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=10, connect_args=connect_args
        )
    except NoSuchModuleError as exc:
        raise ConfigError(f"[database] url: driver not installed ({exc})") from None
    # An engine dropped without dispose() (a CLI command's) closes its pooled connections instead of leaving
    # them to the garbage collector; dispose() replaces the pool, so the finalizer follows the current one.
    pools = [engine.pool]
    event.listen(engine, "engine_disposed", lambda _engine: pools.append(_engine.pool))
    weakref.finalize(engine, _dispose_pools, pools)
    return engine


POSTGRESQL_EXTRA_HINT = (
    "install assembly-kiosk[postgresql] (scripts/setup-venv postgresql, or .venv/bin/pip install -e '.[postgresql]'; "
    "on 32-bit Pi OS also: sudo apt install libpq5)"
)


def postgresql_driver_problem() -> str | None:
    """Why PostgreSQL cannot be used from this installation (None when it can): the driver is an extra,
    ``assembly-kiosk[postgresql]``, which SQLite-only kiosks do not install."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:  # not installed, or installed without a libpq (psycopg says which)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"its driver cannot be loaded ({first}): {POSTGRESQL_EXTRA_HINT}"
    return None


def _postgres_defaults(busy_timeout_ms: int) -> dict[str, Any]:
    return {
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,
        "application_name": "assembly-kiosk",
        "options": f"-c lock_timeout={int(busy_timeout_ms)} -c idle_in_transaction_session_timeout=30000",
    }


def _dispose_pools(pools: list[Any]) -> None:
    for pool in pools:
        pool.dispose()


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
        # On the driver directly: this runs before every transaction (see DriverStatement for why).
        execute_on_driver(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")


class CommitUnknown(DatabaseError):
    """The connection failed while committing: the change may or may not have been saved (never half of it)."""


# What "the database cannot be reached or is too busy" looks like through SQLAlchemy: the server or network
# (OperationalError), a connection already closed under us (InterfaceError), no free pooled connection.
_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock up front.

    All or nothing: any failure to reach the database raises ``DatabaseError`` and nothing was written, except
    ``CommitUnknown`` when the connection failed during the commit itself.
    """
    committing = False
    try:
        with engine.connect() as conn:
            conn.execution_options(kiosk_write=True)
            with conn.begin():
                yield conn
                committing = True
    except _UNREACHABLE as exc:
        # SQLite commits atomically or not at all, and a COMMIT it refuses for a lock or a full disk has
        # written nothing; only a failing device (an I/O error at the sync) or a server leaves it unknown.
        refused = engine.dialect.name == "sqlite" and storage_problem(exc) in (StorageProblem.BUSY, StorageProblem.FULL)
        if committing and not refused:
            raise CommitUnknown(
                f"the connection to the database failed while saving ({_reason(exc)}); "
                "the change may or may not have been saved"
            ) from exc
        raise DatabaseError(f"the database could not be written ({_reason(exc)}); nothing was saved") from exc


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reading."""
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except _UNREACHABLE as exc:
        raise DatabaseError(f"the database could not be read ({_reason(exc)})") from exc


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# --- hot statements ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled once for one dialect and run on the DB-API cursor of a connection that is
    already inside a transaction.

    Why: SQLAlchemy's per-execution work (building the statement, its cache key, the execution context, the
    result) costs about 50 µs a statement, several times what SQLite itself spends on a small indexed write. A
    ballot cast runs nine statements, so that work used to cost more than the durable commit (see
    ``bench/bench_ballots.py``). Only the hottest paths use this; everything else stays plain Core. The SQL
    is still generated by SQLAlchemy from the schema, and errors come out as SQLAlchemy's own exceptions, so
    ``write_transaction`` maps them exactly as it does for Core statements.
    """

    sql: str
    positional: tuple[str, ...] | None  # parameter order for "?"-style drivers; None for named parameters
    defaults: Mapping[str, Any]  # values the statement itself carries (e.g. ``.values(state="spent")``)
    processors: Mapping[str, Callable[[Any], Any]]  # the column types' conversions (e.g. datetimes)
    dialect: Dialect

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        merged = {**self.defaults, **values}
        for name, process in self.processors.items():
            merged[name] = process(merged[name])
        if self.positional is not None:
            return tuple(merged[name] for name in self.positional)
        return merged

    def execute(self, conn: Connection, values: Mapping[str, Any] | None = None) -> Any:
        """Run once; returns the DB-API cursor (``rowcount``, ``fetchone``)."""
        return self._run(conn, values or {}, many=False)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Any:
        return self._run(conn, rows, many=True)

    def _run(self, conn: Connection, values: Any, *, many: bool) -> Any:
        if many:
            return execute_on_driver(conn, self.sql, [self.params(row) for row in values], many=True)
        return execute_on_driver(conn, self.sql, self.params(values))


def execute_on_driver(conn: Connection, sql: str, params: Any = (), *, many: bool = False) -> Any:
    """Run SQL on the connection's DB-API cursor; failures come out as SQLAlchemy's exceptions (as from Core).

    Listeners for the engine's ``before_cursor_execute`` event still see the statement (instrumentation and the
    tests that cut the network at a given statement rely on it); they cannot rewrite it.
    """
    dialect = conn.dialect
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    if conn.dispatch.before_cursor_execute:
        conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, many)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except dialect.loaded_dbapi.Error as exc:
        invalidated = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if invalidated:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,  # ballot codes and token hashes stay out of logs
            connection_invalidated=invalidated,
            dialect=dialect,
        ) from exc
    return cursor


def compile_for_driver(statement: Any, dialect: Dialect) -> DriverStatement:
    compiled = statement.compile(dialect=dialect)
    defaults: dict[str, Any] = {}
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            defaults[name] = bind.value
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    positional = tuple(compiled.positiontup) if compiled.positional else None
    return DriverStatement(compiled.string, positional, defaults, processors, dialect)


class DriverStatements:
    """Named Core statements, each compiled once per dialect (per engine) on first use."""

    def __init__(self, **statements: Any) -> None:
        self._statements = statements
        self._compiled: weakref.WeakKeyDictionary[Dialect, dict[str, DriverStatement]] = weakref.WeakKeyDictionary()

    def on(self, conn: Connection) -> Mapping[str, DriverStatement]:
        compiled = self._compiled.get(conn.dialect)
        if compiled is None:
            compiled = {name: compile_for_driver(stmt, conn.dialect) for name, stmt in self._statements.items()}
            self._compiled[conn.dialect] = compiled
        return compiled


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


def _at_head_fast(engine: Engine) -> bool:
    """True when the database is surely at the newest revision, found without importing alembic.

    Every start (each CLI command, each daemon) asks this; alembic with its templates costs ~7 MB of resident
    memory per process and tens of ms. The newest revision is read from the migration files themselves (each
    says ``revision = "..."`` and ``down_revision = ...``), and the database's from ``alembic_version``.
    Anything unexpected (no table, several heads, a file that does not parse) answers False, and the caller
    asks alembic.
    """
    head = _head_from_files()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except Exception:  # no table yet, or no database: alembic decides
        return False
    return [r[0] for r in rows] == [head]


def _head_from_files() -> str | None:
    import re

    revisions: dict[str, str | None] = {}
    pattern = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(None|[\"'][^\"']+[\"'])\s*$", re.M)
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(m.groups() for m in pattern.finditer(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue  # __init__.py
        if "down_revision" not in found:
            return None
        down = found["down_revision"]
        revisions[found["revision"].strip("\"'")] = None if down == "None" else down.strip("\"'")
    heads = set(revisions) - {d for d in revisions.values() if d is not None}
    return heads.pop() if len(heads) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), keeping all data."""
    if revision == "head" and _at_head_fast(engine):
        return  # every start ends here: the migration machinery is not even imported
    from alembic import command

    before = current_revision(engine)
    if revision == "head" and before == head_revision():
        return
    command.upgrade(_alembic_config(engine), revision)
    # Alembic leaves thousands of objects in reference cycles (10,000 on a first start). `kiosk serve` starts with
    # the collector off and freezes what start-up made (kiosk/entry.py), so with the collector off they are collected
    # now, once. With it on (every other process, the tests' included) it does so itself: a collection here cost
    # each test that migrates a fresh database about 60 ms (the suite ran 2.5 min longer in CI).
    if not gc.isenabled():
        gc.collect()
    after = current_revision(engine)
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)


def needs_upgrade(engine: Engine) -> bool:
    if _at_head_fast(engine):
        return False
    return current_revision(engine) != head_revision()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())
