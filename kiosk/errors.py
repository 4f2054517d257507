"""The one exception root of Assembly Kiosk; each failure a person can cause or fix has its own subclass.

Messages are plain words for the person who sees them (an organizer at the CLI, an attendee's screen via the
web layer's translation), never a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum


class KioskError(Exception):
    """Anything the kiosk reports to a person in one line."""


class ConfigError(KioskError, ValueError):
    """The configuration file or an option is wrong; the message names the file and the key."""


class NotFound(KioskError, LookupError):
    """A meeting, person, plank or ballot that does not exist."""


class InvalidInput(KioskError, ValueError):
    """Input that cannot be used as given (a bad phone number, an unknown threshold, ...)."""


class StateError(KioskError):
    """The action is not allowed in the meeting's current state (e.g. voting before voting opens)."""


class TokenRejected(KioskError):
    """A ballot token that cannot be spent; ``reason`` says why: unknown, spent, void, other_meeting, closed."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DatabaseError(KioskError):
    """The database cannot be reached or written; nothing was half-written."""


class StorageFull(KioskError, OSError):
    """A file could not be written because the disk is full; nothing of it was kept (no torn record)."""


class StorageProblem(StrEnum):
    """Why storage refused a write, in the words each audience needs (see ``storage_problem``)."""

    BUSY = "busy"  # another writer held the database longer than the busy timeout: try again shortly
    FULL = "full"  # the disk (or the database's size limit) is full: an organizer must free space
    UNREACHABLE = "unreachable"  # anything else: the server, the network, a damaged file


# SQLite's primary result codes (the low byte of an extended code) and PostgreSQL's SQLSTATEs for the same.
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_SQLITE_FULL = {sqlite3.SQLITE_FULL}
_PG_BUSY = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock_detected
_PG_FULL = {"53100"}  # disk_full
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen) or len(seen) > 10:
            continue
        seen.append(item)
        todo.extend([getattr(item, "orig", None), item.__cause__, item.__context__])
    return seen


def storage_problem(exc: BaseException) -> StorageProblem | None:
    """Classify a failed write by the driver's error code somewhere in ``exc``'s chain (SQLAlchemy's ``orig``,
    ``raise ... from``); None when nothing in the chain is a storage error.

    The codes decide, not the words: SQLite says "database is locked" and "database or disk is full",
    PostgreSQL "canceling statement due to lock timeout" and "could not extend file".
    """
    found: StorageProblem | None = None
    for item in _causes(exc):
        code = getattr(item, "sqlite_errorcode", None)
        state = getattr(item, "sqlstate", None)
        if isinstance(item, StorageFull):
            return StorageProblem.FULL
        if isinstance(code, int):
            if code & 0xFF in _SQLITE_FULL:
                return StorageProblem.FULL
            if code & 0xFF in _SQLITE_BUSY:
                return StorageProblem.BUSY
        if state in _PG_FULL:
            return StorageProblem.FULL
        if state in _PG_BUSY:
            return StorageProblem.BUSY
        if isinstance(item, OSError) and item.errno in _FULL_ERRNOS:
            return StorageProblem.FULL
        if isinstance(item, DatabaseError):
            found = found or StorageProblem.UNREACHABLE
    return found


def describe_storage(exc: BaseException) -> str:
    """One line for organizers (logs, the devices page, the CLI): what happened and what to do."""
    problem = storage_problem(exc)
    if problem is StorageProblem.FULL:
        return f"the disk is full; nothing was saved. Free some space (see `kiosk doctor`). ({exc})"
    if problem is StorageProblem.BUSY:
        return (
            "the database is busy: another program held it longer than the busy timeout; nothing was saved. "
            f"Try again; if it lasts, look for a stuck `kiosk` command or backup. ({exc})"
        )
    return str(exc)
