"""Just enough of PEP 249 over apsw for SQLAlchemy's SQLite dialect, so the tally's own SQL runs on a test VFS.

The stdlib ``sqlite3`` module cannot use a VFS written in Python; apsw (its own SQLite, from its PyPI wheel) can.
``register()`` makes ``sqlite+powercut:///path/tally.db`` a URL that ``kiosk.db.make_engine`` accepts unchanged:
the same engine settings and the same connect/begin hooks as production (WAL, ``synchronous=FULL``,
``BEGIN IMMEDIATE``), only the driver differs. Connections open through the VFS named by ``VFS_NAME``.

It behaves like ``sqlite3`` where SQLAlchemy and kiosk.db rely on it: ``isolation_level = None`` leaves
transactions to the caller (otherwise a DML statement opens one, as sqlite3 does), ``commit``/``rollback`` act
only inside a transaction, ``rowcount`` is the changes of the last DML statement, and errors map to the PEP 249
classes (a constraint is ``IntegrityError``, an I/O or busy error ``OperationalError``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import apsw
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

VFS_NAME = "powercut"

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"
sqlite_version = apsw.sqlite_lib_version()
sqlite_version_info = tuple(int(part) for part in sqlite_version.split("."))
Binary = bytes


class Warning(Exception):
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


def _translate(exc: apsw.Error) -> Error:
    if isinstance(exc, apsw.ConstraintError):
        return IntegrityError(str(exc))
    if isinstance(exc, apsw.ConnectionClosedError | apsw.CursorClosedError):
        return ProgrammingError("Cannot operate on a closed database.")  # what SQLAlchemy takes as a disconnect
    return OperationalError(str(exc))


_DML = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def connect(database: str, timeout: float = 5.0, isolation_level: str | None = "", **_ignored: Any) -> Connection:
    try:
        raw = apsw.Connection(
            database, flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE, vfs=VFS_NAME, statementcachesize=100
        )
        raw.set_busy_timeout(int(timeout * 1000))
    except apsw.Error as exc:
        raise _translate(exc) from exc
    return Connection(raw, isolation_level)


class Connection:
    def __init__(self, raw: apsw.Connection, isolation_level: str | None) -> None:
        self.raw = raw
        self.isolation_level = isolation_level

    @property
    def in_transaction(self) -> bool:
        return not self.raw.get_autocommit()

    def cursor(self) -> Cursor:
        return Cursor(self)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        # SQLite closes the connection even when the checkpoint it tries on the way fails (sqlite3 says nothing
        # then; apsw re-raises the VFS's exception): the next open recovers from the WAL.
        with contextlib.suppress(apsw.Error):
            self.raw.close()

    def create_function(self, name: str, narg: int, func: Callable[..., Any], *, deterministic: bool = False) -> None:
        self.raw.create_scalar_function(name, func, narg, deterministic=deterministic)


class Cursor:
    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        self._cursor: apsw.Cursor | None = None

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        conn = self.connection
        raw = conn.raw
        if conn.isolation_level is not None and not conn.in_transaction and _DML.match(sql):
            raw.execute("BEGIN")  # sqlite3's legacy implicit transaction
        columns: list[tuple[Any, ...]] = []

        def trace(cursor: apsw.Cursor, _sql: str, _bindings: Any) -> bool:
            # apsw has no description for a statement that returned no rows once it has run: take it before.
            columns[:] = cursor.get_description()
            return True

        self.close()
        cursor = self._cursor = raw.cursor()
        cursor.exec_trace = trace
        try:
            cursor.execute(sql, tuple(parameters))
        except apsw.Error as exc:
            raise _translate(exc) from exc
        if columns:
            self.description = tuple((column[0], None, None, None, None, None, None) for column in columns)
            self.rowcount = -1
            self._rows = self._fetching(cursor)
        else:
            self.description = None
            self.rowcount = raw.changes() if _DML.match(sql) else -1
            self._rows = iter(())
        if _DML.match(sql):
            self.lastrowid = raw.last_insert_rowid()
        return self

    @staticmethod
    def _fetching(cursor: apsw.Cursor) -> Iterator[tuple[Any, ...]]:
        try:
            yield from cursor
        except apsw.Error as exc:
            raise _translate(exc) from exc

    def executemany(self, sql: str, seq_of_parameters: Sequence[Sequence[Any]]) -> Cursor:
        total = 0
        for parameters in seq_of_parameters:
            self.execute(sql, parameters)
            total += max(self.rowcount, 0)
        self.rowcount = total
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return next(self._rows, None)

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        rows = []
        for _ in range(size or self.arraysize):
            row = next(self._rows, None)
            if row is None:
                break
            rows.append(row)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self._rows

    def close(self) -> None:
        self._rows = iter(())
        if self._cursor is not None:
            self._cursor.close(force=True)  # a half-read statement must not hold the transaction open
            self._cursor = None

    def setinputsizes(self, *_args: Any) -> None:
        pass

    def setoutputsize(self, *_args: Any) -> None:
        pass


class PowerCutDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect with this module as its DB-API."""

    driver = "powercut"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        import sys

        return sys.modules[__name__]


def register() -> None:
    """Make ``sqlite+powercut://`` URLs use this driver (idempotent)."""
    registry.register("sqlite.powercut", __name__, "PowerCutDialect")
