"""Backups of the SQLite tally database, restoring one, and recovering from a damaged database at start-up.

A backup is a consistent copy made with ``VACUUM INTO`` while the kiosk keeps running: it rebuilds every table
in key order, so a backup taken while voting is open does not keep the order ballots were cast in (a page copy
with the online backup API did, forever), and it never copies the WAL. Ballot receipts still waiting in the print
queue (which follow the order of casting) are left out of the copy. It is written under a temporary name,
checked (``quick_check``), flushed to disk and only then given its final name ``tally-YYYYMMDD-HHMMSS.db``,
so a half-written copy (a USB stick pulled out, a power cut) never looks like a
backup. Backups older than ``[backup] keep_days`` are deleted; the newest is always kept.

Restoring never deletes anything: the replaced database is renamed ``tally.db.replaced-<time>``.

At start-up (``kiosk.runtime.open_tally``) a SQLite file that fails ``PRAGMA quick_check`` (torn pages, a
truncated file, garbage) is set aside as ``tally.db.damaged-<time>`` with its WAL, the newest good backup is
copied into place, and the organizers are told what was lost: a log line, a notice file in the data folder
(``DATABASE-RESTORED.txt``) and a ``device_status`` row ``database`` for the organizer page. The kiosk then
starts instead of crash-looping on a file it cannot read.

This module is core-side: it uses only the standard library and SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from kiosk.config import Settings
from kiosk.db_inuse import database_users
from kiosk.errors import KioskError
from kiosk.storage_order import vacuum_into

log = logging.getLogger(__name__)

BACKUP_RE = re.compile(r"^tally-(\d{8}-\d{6})\.db$")
STAMP = "%Y%m%d-%H%M%S"
NOTICE_FILE = "DATABASE-RESTORED.txt"
SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(KioskError):
    """A backup or restore that could not be done; nothing was changed."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # UTC, from the file name

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class BackupResult:
    backup: Backup
    deleted: tuple[Path, ...]
    seconds: float


@dataclass(frozen=True)
class Recovery:
    """What start-up did about a damaged database."""

    damaged: Path  # where the damaged file was set aside
    problem: str
    restored_from: Backup | None
    at: datetime

    @property
    def summary(self) -> str:
        """One short line for the organizer page (device_status summaries hold 300 characters)."""
        if self.restored_from is None:
            what = "no backup found: started EMPTY"
        else:
            when = self.restored_from.taken_at.strftime("%Y-%m-%d %H:%M UTC")
            what = f"restored {self.restored_from.path.name}: anything recorded after {when} is not in the database"
        return f"Database damaged at start-up; {what}. Damaged file kept as {self.damaged.name}."

    @property
    def message(self) -> str:
        if self.restored_from is None:
            lost = "no backup was found, so the kiosk started with an EMPTY database: import the roster again"
        else:
            when = self.restored_from.taken_at.strftime("%Y-%m-%d %H:%M UTC")
            lost = (
                f"restored the backup taken {when} ({self.restored_from.path.name}); anything recorded after "
                f"{when} (sign-ins, ballots, RSVPs) is not in the database"
            )
        return (
            f"The database was damaged at start-up ({self.problem}). It was set aside as {self.damaged} and "
            f"{lost}. Keep the damaged file for inspection; see docs/pi-setup.md, section 7."
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None for PostgreSQL or an in-memory database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _require_sqlite(settings: Settings) -> Path:
    path = sqlite_path(settings)
    if path is None:
        raise BackupError("backups here are for the SQLite database; for PostgreSQL use pg_dump")
    return path


# SQLITE_CORRUPT and SQLITE_NOTADB (primary codes): the file itself is bad. Anything else (cannot open, busy,
# no permission) says nothing about the file and must never get a good database set aside.
_DAMAGE_CODES = (11, 26)


class CannotCheck(BackupError):
    """The file could not be checked (permissions, locked, missing): not evidence of damage."""


def check_file(path: Path) -> str | None:
    """None when ``path`` is a SQLite database that passes ``quick_check``; else what is wrong with it.

    Raises :class:`CannotCheck` when the file cannot be read at all (so a permission problem is never taken
    for a damaged database).
    """
    if not os.access(path, os.R_OK):
        raise CannotCheck(f"{path}: cannot read the database file (permissions?)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _DAMAGE_CODES:
            return str(exc)
        raise CannotCheck(f"{path}: cannot check the database: {exc}") from None
    results = [r[0] for r in rows]
    return None if results == ["ok"] else "; ".join(results[:3])


def _damage(path: Path) -> str | None:
    """Like :func:`check_file`, but a file that cannot be checked counts as damaged (for backups and copies)."""
    try:
        return check_file(path)
    except CannotCheck as exc:
        return str(exc)


def list_backups(folder: Path) -> list[Backup]:
    """Backups in ``folder``, oldest first (by the time in their names)."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.iterdir():
            m = BACKUP_RE.match(entry.name)
            if m and entry.is_file():
                taken = datetime.strptime(m.group(1), STAMP).replace(tzinfo=UTC)
                found.append(Backup(entry, taken))
    return sorted(found, key=lambda b: b.taken_at)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_database(source: Path, target: Path) -> None:
    """Copy ``source`` into the new file ``target`` in key order (never page by page), then make it durable.

    A read transaction on the source: kiosk writers go on meanwhile (WAL), and the copy is one snapshot.
    """
    vacuum_into(source, target)
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA secure_delete=ON")
        with dst:
            tables = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            dropped = (
                dst.execute("DELETE FROM print_jobs WHERE kind = 'ballot'").rowcount if "print_jobs" in tables else 0
            )
        if dropped:
            dst.execute("VACUUM")  # the freed pages are zeroed by secure_delete; this also keeps the file small
    finally:
        dst.close()
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())


def prune(folder: Path, keep_days: int, *, now: datetime) -> list[Path]:
    """Delete backups older than ``keep_days``; the newest backup is never deleted."""
    backups = list_backups(folder)
    cutoff = now - timedelta(days=keep_days)
    deleted = []
    for b in backups[:-1]:
        if b.taken_at < cutoff:
            b.path.unlink()
            deleted.append(b.path)
    return deleted


def backup_database(
    settings: Settings, folder: Path | None = None, *, clock: Callable[[], datetime] = _utcnow
) -> BackupResult:
    """Copy the live database into ``folder`` (default ``[backup] folder``) and prune old backups."""
    source = _require_sqlite(settings)
    if not source.exists():
        raise BackupError(f"there is no database at {source} to back up (run `kiosk init` first)")
    folder = folder or settings.backup_path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"cannot create the backup folder {folder}: {exc.strerror} (is the USB stick mounted?)"
        ) from None
    started = _utcnow()
    now = clock()
    target = folder / f"tally-{now.strftime(STAMP)}.db"
    partial = folder / f".{target.name}.partial"
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        _copy_database(source, partial)
        problem = _damage(partial)
        if problem:
            raise BackupError(f"the copy failed its check ({problem}); the live database may be damaged")
        partial.replace(target)
        _fsync_dir(folder)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise BackupError(f"the backup to {folder} failed: {exc} (is the disk or USB stick full?)") from None
    deleted = prune(folder, settings.backup.keep_days, now=now)
    seconds = (_utcnow() - started).total_seconds()
    log.info("database backed up to %s in %.2f s; %d old backup(s) deleted", target, seconds, len(deleted))
    return BackupResult(Backup(target, now.replace(microsecond=0)), tuple(deleted), seconds)


def _chown_like(path: Path, like: Path) -> None:
    """When root restores, give the file to the service user that owns the data folder."""
    if os.geteuid() == 0:
        st = like.stat()
        os.chown(path, st.st_uid, st.st_gid)


def _set_aside(db_file: Path, suffix: str) -> Path:
    """Rename the database and its WAL/SHM to ``<name>.<suffix>`` (WAL and SHM keep their own endings)."""
    aside = db_file.with_name(f"{db_file.name}.{suffix}")
    for ending in SIDE_FILES:
        side = db_file.with_name(db_file.name + ending)
        if side.exists():
            side.replace(db_file.with_name(f"{db_file.name}.{suffix}{ending}"))
    db_file.replace(aside)
    return aside


def restore_database(
    settings: Settings,
    backup_file: Path,
    *,
    force: bool = False,
    service_running: Callable[[], bool] | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> Path | None:
    """Put ``backup_file`` in place of the database; returns where the replaced database was kept (if any)."""
    target = _require_sqlite(settings)
    running = service_running or kiosk_running
    if not force and running():
        raise BackupError(
            "the kiosk is running; stop it first (sudo systemctl stop assembly-kiosk.target), "
            "or add --force if you are sure nothing is writing"
        )
    users = None if force else database_users(target)
    if users:
        raise BackupError(
            f"the database is in use: {users}. Stop it first (Ctrl-C in its window, or "
            "sudo systemctl stop assembly-kiosk.target); nothing was changed"
        )
    if not backup_file.is_file():
        raise BackupError(f"{backup_file}: no such backup file")
    problem = _damage(backup_file)
    if problem:
        raise BackupError(f"{backup_file} is not a good SQLite database ({problem}); nothing was changed")
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = clock().strftime(STAMP)
    partial = target.with_name(f".{target.name}.restoring")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    _copy_database(backup_file, partial)
    kept = _set_aside(target, f"replaced-{stamp}") if target.exists() else None
    partial.replace(target)
    _chown_like(target, target.parent)
    _fsync_dir(target.parent)
    log.warning("database restored from %s; the replaced database is kept as %s", backup_file, kept)
    return kept


def kiosk_running() -> bool:
    """True when systemd says a kiosk service that writes the database is active."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return False
    import subprocess

    units = ["assembly-kiosk-web.service", "assembly-kiosk-sms.service"]
    try:
        proc = subprocess.run([systemctl, "is-active", *units], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.strip() in ("active", "activating", "reloading") for line in proc.stdout.splitlines())


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One process at a time decides about a damaged database (web, SMS and CLI may start together).

    The lock is on the folder itself, so no lock file is left that another user might not be able to open.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def recover_if_damaged(settings: Settings, *, clock: Callable[[], datetime] = _utcnow) -> Recovery | None:
    """At start-up: if the SQLite database fails ``quick_check``, set it aside and restore the newest good backup."""
    db_file = sqlite_path(settings)
    if db_file is None or not db_file.exists():
        return None
    with _lock(db_file.parent):
        try:
            problem = check_file(db_file)
        except CannotCheck as exc:
            log.warning("%s; starting without the start-up check", exc)
            return None
        if problem is None:
            return None
        now = clock()
        damaged = _set_aside(db_file, f"damaged-{now.strftime(STAMP)}")
        restored = None
        for candidate in reversed(list_backups(settings.backup_path)):
            if _damage(candidate.path) is None:
                _copy_database(candidate.path, db_file)
                _chown_like(db_file, db_file.parent)
                restored = candidate
                break
            log.error("backup %s is damaged too; trying an older one", candidate.path)
        recovery = Recovery(damaged, problem, restored, now)
        log.critical("%s", recovery.message)
        notice = db_file.parent / NOTICE_FILE
        with open(notice, "a", encoding="utf-8") as fh:
            fh.write(f"{now.isoformat(timespec='seconds')} {recovery.message}\n")
        return recovery


def report_recovery(engine: Engine, recovery: Recovery) -> None:
    """Show the recovery on the organizer page (device_status row ``database``)."""
    from kiosk.device_status import set_device_status

    set_device_status(
        engine,
        "database",
        ok=False,
        summary=recovery.summary,
        detail={
            "message": recovery.message,
            "damaged_file": str(recovery.damaged),
            "problem": recovery.problem,
            "restored_from": str(recovery.restored_from.path) if recovery.restored_from else None,
            "backup_taken_at": recovery.restored_from.taken_at.isoformat() if recovery.restored_from else None,
        },
        now=recovery.at,
    )
