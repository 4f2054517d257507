"""Erasing the order of casting from the database files when voting closes, and finishing it if it could not.

SQLite keeps commits in order in the WAL until a checkpoint, and inside B-tree pages records keep the order
they were written in; ``VACUUM`` rebuilds every table in key order (ballots are keyed by their random code),
and ``PRAGMA wal_checkpoint(TRUNCATE)`` then copies the rewritten pages into the file and empties the WAL. The
checkpoint cannot finish while another process (a backup, a ``sqlite3`` shell, a long query) holds a read
transaction that started before the rewrite: SQLite then answers ``busy`` and leaves the WAL, with every ballot
in the order cast, in place. So the checkpoint's answer is checked, readers are waited for within
``[database] close_wait_s``, and a rewrite that could not finish stays marked (a ``device_status`` row
``storage_order``, written in the same transaction that closes the meeting, so a crash leaves it marked too):
``kiosk meeting close`` exits non-zero, the organizer pages and ``kiosk doctor`` show it, and every kiosk
process finishes it at start-up (the web server also retries every minute).

Copies the kiosk set aside in the data folder (``tally.db.damaged-*`` at start-up, ``tally.db.replaced-*`` by
``kiosk restore``) were copied page by page and may keep the order of casting; closing rewrites them in key
order too (``VACUUM INTO``), or deletes one that cannot be read, and says which.

PostgreSQL stamps every row version with the id of the transaction that wrote it (``xmin``, readable by any SQL
client): the spent token, its ballot's choices and rankings and the ballot share one, which names the voter. So one
transaction first rewrites every token, ballot, choice and ranking (all then carry its id), and ``CLUSTER`` rewrites the
ballot tables in the order of their random keys and the tokens in the order of their random hashes, leaving no
old row version behind; ``VACUUM FULL`` drops the deleted and erased ballot receipts from the print queue. (The
server's write-ahead log keeps older records until its segments are reused: see docs/multi-kiosk.md.)

Core-side: standard library and SQLAlchemy only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from kiosk import db
from kiosk.errors import DatabaseError
from kiosk.schema import ballot_choices, ballot_rankings, ballot_tokens, ballots, device_status

log = logging.getLogger(__name__)

DEVICE = "storage_order"  # the device_status row that marks a rewrite still to do
SET_ASIDE_MARKERS = (".damaged-", ".replaced-")
SIDE_ENDINGS = ("-wal", "-shm", "-journal")
PENDING_SUMMARY = (
    "Voting closed, but the database files still keep the order ballots were cast in: another program held the "
    "database open. Close it (a backup, a sqlite3 shell); the kiosk finishes the rewrite as soon as it can."
)


@dataclass(frozen=True)
class RewriteOutcome:
    complete: bool
    detail: str  # why it did not finish, or what was done
    copies: tuple[str, ...] = ()  # set-aside copies rewritten or deleted, one line each
    seconds: float = 0.0


def _now() -> datetime:
    return datetime.now(UTC)


def _set_status(conn: Connection, *, ok: bool, summary: str, detail: dict[str, Any], now: datetime) -> None:
    values = {"ok": ok, "summary": summary[:300], "detail": json.dumps(detail), "updated_at": now}
    if conn.execute(update(device_status).where(device_status.c.device == DEVICE).values(**values)).rowcount == 0:
        conn.execute(insert(device_status).values(device=DEVICE, **values))


def mark_pending(conn: Connection, meeting_code: str, now: datetime) -> None:
    """Inside the transaction that closes a meeting: the rewrite is owed until :func:`rewrite` finishes it."""
    _set_status(
        conn, ok=False, summary=PENDING_SUMMARY, detail={"meeting": meeting_code, "since": now.isoformat()}, now=now
    )


def pending(conn: Connection) -> str | None:
    """The reason a rewrite is still owed, or None."""
    row = conn.execute(
        select(device_status.c.ok, device_status.c.detail).where(device_status.c.device == DEVICE)
    ).first()
    if row is None or row.ok:
        return None
    try:
        reason = json.loads(row.detail).get("reason")
    except ValueError:
        reason = None
    return str(reason or PENDING_SUMMARY)


def is_pending(engine: Engine) -> bool:
    with db.read_transaction(engine) as conn:
        return pending(conn) is not None


def rewrite(engine: Engine, *, wait_s: float) -> RewriteOutcome:
    """Rewrite the files; clears the mark when done, records why when not. Never raises for a busy database."""
    started = time.monotonic()
    try:
        if db.is_sqlite(engine):
            complete, detail = _rewrite_sqlite(engine, wait_s)
        else:
            _rewrite_postgresql(engine)
            complete, detail = True, "rewritten"
    except (SQLAlchemyError, sqlite3.Error, DatabaseError) as exc:  # busy beyond the timeout, a full disk
        complete, detail = False, f"the database refused the rewrite: {str(getattr(exc, 'orig', exc)).strip()}"
    copies: tuple[str, ...] = ()
    if complete:
        copies = tuple(rewrite_set_aside_copies(engine))
    seconds = time.monotonic() - started
    now = _now()
    # The outcome is also returned; a status write refused by a busy database changes nothing else.
    with contextlib.suppress(SQLAlchemyError, DatabaseError), db.write_transaction(engine) as conn:
        was_pending = pending(conn) is not None
        if complete and was_pending:
            summary = "The database files were rewritten after voting closed: no order of casting is left."
            _set_status(conn, ok=True, summary=summary, detail={"copies": list(copies)}, now=now)
        elif not complete:
            _set_status(conn, ok=False, summary=PENDING_SUMMARY, detail={"reason": detail}, now=now)
    if complete:
        log.info("database rewritten so that storage order no longer follows casting order (%.1f s)", seconds)
        for line in copies:
            log.warning("%s", line)
    else:
        log.error("the database could not be rewritten after voting closed: %s", detail)
    return RewriteOutcome(complete, detail, copies, seconds)


def finish_if_pending(engine: Engine, *, wait_s: float) -> RewriteOutcome | None:
    """At start-up and from the server's retry: finish a rewrite still owed (None when nothing is owed)."""
    try:
        if not is_pending(engine):
            return None
    except (SQLAlchemyError, DatabaseError):
        return None
    return rewrite(engine, wait_s=wait_s)


def _rewrite_sqlite(engine: Engine, wait_s: float) -> tuple[bool, str]:
    path = sqlite_file(engine)
    # The raw driver connection is in autocommit mode (see kiosk.db), as VACUUM requires.
    raw = engine.raw_connection()
    conn: Any = raw.driver_connection
    (busy_timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    deadline = time.monotonic() + wait_s
    try:
        conn.execute("VACUUM")
        while True:
            remaining = deadline - time.monotonic()
            # TRUNCATE waits (through the busy handler) for readers; bounded by what is left of close_wait_s.
            conn.execute(f"PRAGMA busy_timeout={int(max(0.0, min(remaining, 1.0)) * 1000)}")
            busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            wal = path.with_name(path.name + "-wal") if path is not None else None
            wal_size = wal.stat().st_size if wal is not None and wal.exists() else 0
            if busy == 0 and wal_size == 0:
                return True, "rewritten"
            if remaining <= 0:
                return False, (
                    f"another process held a read transaction for more than {wait_s:g} s, so the rewritten "
                    f"file could not replace the old one ({frames} pages still in the WAL)"
                )
            time.sleep(0.1)
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        raw.close()


def _rewrite_postgresql(engine: Engine) -> None:
    from sqlalchemy import update as sa_update

    with engine.begin() as conn:
        conn.execute(sa_update(ballot_tokens).values(state=ballot_tokens.c.state))
        conn.execute(sa_update(ballots).values(meeting_id=ballots.c.meeting_id))
        conn.execute(sa_update(ballot_choices).values(choice=ballot_choices.c.choice))
        conn.execute(sa_update(ballot_rankings).values(rank=ballot_rankings.c.rank))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CLUSTER ballots USING pk_ballots"))
        conn.execute(text("CLUSTER ballot_choices USING pk_ballot_choices"))
        conn.execute(text("CLUSTER ballot_rankings USING pk_ballot_rankings"))
        conn.execute(text("CLUSTER ballot_tokens USING uq_ballot_tokens_token_hash"))
        conn.execute(text("VACUUM FULL print_jobs"))


def sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if not db.is_sqlite(engine) or not database or database == ":memory:":
        return None
    return Path(database)


def set_aside_copies(db_file: Path) -> list[Path]:
    """Copies of the database the kiosk set aside next to it (not their -wal/-shm side files)."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in db_file.parent.iterdir():
            name = entry.name
            if not name.startswith(db_file.name + ".") or name.endswith(SIDE_ENDINGS):
                continue
            if any(marker in name for marker in SET_ASIDE_MARKERS) and entry.is_file():
                found.append(entry)
    return sorted(found)


def vacuum_into(source: Path, target: Path) -> None:
    """Write a copy of ``source`` (its WAL included) into the new file ``target``, every table in key order."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        src.execute("VACUUM INTO ?", (str(target),))
    finally:
        src.close()
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, never a WAL beside it
    finally:
        dst.close()
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())


def _remove_with_sides(path: Path) -> None:
    for ending in SIDE_ENDINGS:
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + ending).unlink()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def rewrite_set_aside_copies(engine: Engine) -> list[str]:
    """Rewrite each set-aside copy in key order (or delete one that cannot be read); one line per copy."""
    db_file = sqlite_file(engine)
    if db_file is None:
        return []
    lines = []
    for copy in set_aside_copies(db_file):
        fresh = copy.with_name(f".{copy.name}.rewriting")
        with contextlib.suppress(FileNotFoundError):
            fresh.unlink()
        try:
            vacuum_into(copy, fresh)
            with contextlib.suppress(FileNotFoundError):
                for ending in SIDE_ENDINGS:
                    copy.with_name(copy.name + ending).unlink(missing_ok=True)
            fresh.replace(copy)
            lines.append(f"set-aside copy {copy.name} rewritten in key order (no order of casting left)")
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(FileNotFoundError):
                fresh.unlink()
            _remove_with_sides(copy)
            lines.append(
                f"set-aside copy {copy.name} could not be read ({exc}) and was deleted: it kept ballots in cast order"
            )
    return lines
