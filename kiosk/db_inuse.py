"""Knowing whether any process has the SQLite database open, so ``kiosk restore`` never replaces it underneath one.

Two signs, either of which means "in use":

* ``tally.db.inuse``: every long-running kiosk process (``kiosk serve``, ``kiosk demo``, ``kiosk sms run``) holds a
  shared ``flock`` on it for as long as it runs; the kernel drops it when the process ends, even on SIGKILL.
  Restore tries an exclusive lock without waiting.
* SQLite's own lock: every connection to a WAL database holds a shared POSIX lock on one byte of ``tally.db-shm``
  (the "DMS" byte at offset 128 in SQLite's unix VFS) while it has the file open. ``F_GETLK`` asks the kernel
  whether another process holds it, without taking it (taking and releasing it would drop the locks of this
  process's own connections), and names that process. This catches a ``sqlite3`` shell or any other program.

Core-side: standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
from collections.abc import Iterator
from pathlib import Path

DMS_OFFSET = 128  # UNIX_SHM_DMS in sqlite3's os_unix.c: (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK


def inuse_path(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".inuse")


@contextlib.contextmanager
def holding(db_file: Path | None) -> Iterator[None]:
    """Hold the shared in-use lock while the body runs (a no-op for PostgreSQL: ``db_file`` None)."""
    if db_file is None:
        yield
        return
    db_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(inuse_path(db_file), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _inuse_lock_held(db_file: Path) -> bool:
    path = inuse_path(db_file)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _sqlite_lock_holder(db_file: Path) -> int | None:
    """The pid of another process with the database open through SQLite, or None."""
    shm = db_file.with_name(db_file.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return None
    try:
        # struct flock: l_type, l_whence, l_start, l_len, l_pid; native alignment fits both 64-bit and 32-bit
        # (large-file) ARM builds, and the tail is padded to the kernel's size.
        query = struct.pack("@hhqqi", fcntl.F_WRLCK, os.SEEK_SET, DMS_OFFSET, 1, 0)
        query += b"\0" * (32 - len(query))
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        l_type, _whence, _start, _len, pid = struct.unpack("@hhqqi", answer[: struct.calcsize("@hhqqi")])
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if l_type == fcntl.F_UNLCK else pid


def _describe(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmdline = ""
    return f"process {pid}" + (f" ({cmdline[:120]})" if cmdline else "")


def database_users(db_file: Path) -> str | None:
    """A plain sentence naming what holds the database open, or None when nothing does."""
    holder = _sqlite_lock_holder(db_file)
    if holder is not None:
        return f"{_describe(holder)} has the database open"
    if _inuse_lock_held(db_file):
        return "a kiosk process (kiosk serve, kiosk demo or kiosk sms run) is running on this database"
    return None
