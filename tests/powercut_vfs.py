"""A SQLite VFS (through apsw) that simulates a power cut: what was not fsynced is lost.

Modelled on SQLite's own crash test (``src/test6.c``, "the effect on the database file of an OS crash or power
failure"). The files on the real disk always hold exactly what a power cut would leave; everything newer lives
in memory, the way the kernel's page cache holds it:

- ``xWrite`` and ``xTruncate`` change an in-memory copy of the file (reads see it) and are queued as unsynced.
- ``xSync`` of a file writes that file's queued changes to the real file. Like SQLite's unix VFS, the first
  sync of a journal or WAL opened with ``SQLITE_OPEN_CREATE`` also syncs the directory.
- ``xDelete`` is a directory change: the file disappears at once for readers, but the real file goes only when
  the directory is synced (``syncdir``, or a later directory sync). A file created since the last directory
  sync vanishes in a cut. (Syncing such a file's data without syncing its directory stops the test with an
  AssertionError: SQLite never does it, and the model would need a detached inode to answer it.)
- ``SQLITE_FCNTL_SIZE_HINT`` is ignored (the real VFS would grow the real file behind the model's back).
- ``cut_at=N``: the N-th mutating operation (write, truncate, sync, delete; or the N-th of one kind) does not
  happen; the power is cut instead. In ``lose`` mode every unsynced change is dropped. In ``scramble`` mode
  (test6.c's crash: each unsynced write is either written, not written, or written as garbage) a random subset
  of them, in any order, reaches the disk; garbage stays inside the written range, because SQLite's unix VFS
  declares POWERSAFE_OVERWRITE, and unsynced directory changes are lost in both modes. After the cut every
  operation fails with an I/O error until ``reset()``.

Locks and the WAL index (``-shm``, shared memory that a reboot throws away) go to the real file through
apsw's inherited default VFS. Temporary files pass straight through. The model is for one process.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import apsw

# Files whose contents must survive a power cut (temporary files don't).
_DURABLE_KINDS = apsw.SQLITE_OPEN_MAIN_DB | apsw.SQLITE_OPEN_MAIN_JOURNAL | apsw.SQLITE_OPEN_WAL
# SQLite's unix VFS syncs the directory on the first sync of a journal or WAL it created (UNIXFILE_DIRSYNC).
_DIRSYNC_KINDS = apsw.SQLITE_OPEN_MAIN_JOURNAL | apsw.SQLITE_OPEN_SUPER_JOURNAL | apsw.SQLITE_OPEN_WAL


class CutMode(StrEnum):
    LOSE = "lose"  # every unsynced write is lost
    SCRAMBLE = "scramble"  # test6.c: each unsynced write is written, lost, or written as garbage


class PowerCut(apsw.IOError):
    """Raised by every file operation once the power is off."""


@dataclass
class _Pending:
    offset: int  # the new size for a truncate
    data: bytes | None  # None: a truncate


@dataclass
class _FileState:
    """One path as the kernel sees it (shared by every handle open on it) and what is already on the disk."""

    path: str
    data: bytearray  # what reads see
    exists: bool = True  # what the directory says now
    on_disk: bool = True  # what the directory on the disk says (the real file)
    dir_dirty: bool = False  # created or deleted since the directory was last synced
    recreated: bool = False  # deleted and created again since then: a new file, not the one on the disk
    pending: list[_Pending] = field(default_factory=list)  # unsynced writes and truncates, in order


@dataclass
class CutReport:
    cut_at: int
    unsynced_writes: int  # writes and truncates that were not synced when the power went
    unsynced_bytes: int
    written_anyway: int  # scramble mode: unsynced writes that reached the disk whole
    trashed: int  # scramble mode: unsynced writes that reached the disk as garbage
    during: str  # the operation the power went instead of: write, truncate, sync, delete, or "no I/O"
    ops_by_kind: dict[str, int]  # mutating operations done before the cut


class PowerCutVFS(apsw.VFS):
    """Register once per process (``name``); ``arm()`` before a run, ``cut()`` or ``reset()`` after it."""

    def __init__(self, name: str = "powercut") -> None:
        self.name = name
        self.files: dict[str, _FileState] = {}
        self.ops = 0
        self.ops_by_kind: Counter[str] = Counter()
        self.cut_at: int | None = None
        self.cut_kind: str | None = None
        self.lying = False
        self.mode = CutMode.LOSE
        self.rng = random.Random(0)
        self.dead = False
        self.report: CutReport | None = None
        self._fds: dict[str, int] = {}
        super().__init__(name, "")

    # --- control ------------------------------------------------------------------------------------------

    def arm(
        self,
        cut_at: int | None,
        *,
        kind: str | None = None,
        mode: CutMode = CutMode.LOSE,
        seed: int = 0,
        lying: bool = False,
    ) -> None:
        """Start a run: forget every file, count operations from zero, cut at operation ``cut_at`` (or never).

        With ``kind`` (write, truncate, sync, delete) the cut comes at the ``cut_at``-th operation of that kind, as
        test6.c crashes at the N-th sync: syncs and deletes are rare among the writes, and they are the edges.
        ``lying``: every sync answers at once and keeps nothing, like a storage device that acknowledges a flush
        while the data is still in its volatile cache.
        """
        self.reset()
        self.cut_at = cut_at
        self.cut_kind = kind
        self.lying = lying
        self.mode = mode
        self.rng = random.Random(seed)

    def reset(self) -> None:
        """Power back on with nothing in memory (call after every connection on this VFS is closed)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        self.files.clear()
        self.ops = 0
        self.ops_by_kind.clear()
        self.cut_at = None
        self.cut_kind = None
        self.lying = False
        self.dead = False
        self.report = None

    def cut(self, during: str = "no I/O") -> CutReport:
        """Cut the power now (if it is still on): the disk keeps what was synced, per the mode."""
        if self.report is not None:
            return self.report
        unsynced = [(state, p) for state in self.files.values() for p in state.pending]
        report = CutReport(
            cut_at=self.ops,
            unsynced_writes=len(unsynced),
            unsynced_bytes=sum(len(p.data or b"") for _, p in unsynced),
            written_anyway=0,
            trashed=0,
            during=during,
            ops_by_kind=dict(self.ops_by_kind),
        )
        if self.mode is CutMode.SCRAMBLE:
            # Written in any order: a later write to the same place may land while an earlier one is lost.
            for state, pending in unsynced:
                if state.dir_dirty:
                    continue  # a file whose directory entry is not on the disk: its data has nowhere to go
                choice = self.rng.randrange(4)
                if choice == 0:
                    continue
                if pending.data is None or choice < 3:
                    self._apply(state, pending)
                    report.written_anyway += 1
                else:
                    # Garbage only inside the written range: SQLite's unix VFS claims POWERSAFE_OVERWRITE.
                    self._apply(state, _Pending(pending.offset, self.rng.randbytes(len(pending.data))))
                    report.trashed += 1
        for state in self.files.values():
            if state.dir_dirty and not state.on_disk and os.path.exists(state.path):
                os.remove(state.path)  # created since the last directory sync: the entry never reached the disk
            state.pending.clear()
        self.dead = True
        self.report = report
        return report

    @property
    def unsynced(self) -> int:
        return sum(len(state.pending) for state in self.files.values())

    # --- the disk -----------------------------------------------------------------------------------------

    def _fd(self, path: str) -> int:
        fd = self._fds.get(path)
        if fd is None:
            fd = self._fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        return fd

    def _apply(self, state: _FileState, pending: _Pending) -> None:
        fd = self._fd(state.path)
        if pending.data is None:
            os.ftruncate(fd, pending.offset)
        else:
            os.pwrite(fd, pending.data, pending.offset)

    def _sync_directory(self, directory: str) -> None:
        for state in self.files.values():
            if os.path.dirname(state.path) != directory or not state.dir_dirty:
                continue
            if not state.exists:
                fd = self._fds.pop(state.path, None)
                if fd is not None:
                    os.close(fd)
                if os.path.exists(state.path):
                    os.remove(state.path)
            elif state.recreated:
                os.ftruncate(self._fd(state.path), 0)  # the new file replaces the old one, whose data is gone
            state.on_disk = state.exists
            state.dir_dirty = state.recreated = False

    def _step(self, kind: str) -> None:
        """Count one mutating operation; at ``cut_at`` the power goes instead of the operation."""
        if self.dead:
            raise PowerCut("the power is off")
        self.ops += 1
        self.ops_by_kind[kind] += 1
        count = self.ops if self.cut_kind is None else self.ops_by_kind[kind] if kind == self.cut_kind else 0
        if self.cut_at is not None and count >= self.cut_at:
            self.cut(during=kind)
            raise PowerCut("power cut")

    def _alive(self) -> None:
        if self.dead:
            raise PowerCut("the power is off")

    # --- VFS methods --------------------------------------------------------------------------------------

    def xOpen(self, name: Any, flags: list[int]) -> apsw.VFSFile:
        if name is None or not flags[0] & _DURABLE_KINDS:
            return apsw.VFSFile("", name, flags)
        self._alive()
        path = os.path.abspath(name.filename() if isinstance(name, apsw.URIFilename) else name)
        state = self.files.get(path)
        if state is None:
            on_disk = os.path.exists(path)
            if not on_disk and not flags[0] & apsw.SQLITE_OPEN_CREATE:
                raise apsw.CantOpenError(f"no file {path}")
            content = bytearray(Path(path).read_bytes()) if on_disk else bytearray()
            state = self.files[path] = _FileState(path, content, on_disk=on_disk, dir_dirty=not on_disk)
        elif not state.exists:
            if not flags[0] & apsw.SQLITE_OPEN_CREATE:
                raise apsw.CantOpenError(f"no file {path}")
            state.exists = state.recreated = state.dir_dirty = True
            state.data = bytearray()
        dirsync = bool(flags[0] & _DIRSYNC_KINDS and flags[0] & apsw.SQLITE_OPEN_CREATE)
        return PowerCutFile(self, state, name, flags, dirsync)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        path = os.path.abspath(filename)
        state = self.files.get(path)
        if state is None:
            if not os.path.exists(path):
                raise apsw.exception_for(apsw.SQLITE_IOERR_DELETE_NOENT)
            state = self.files[path] = _FileState(path, bytearray())
        elif not state.exists:
            raise apsw.exception_for(apsw.SQLITE_IOERR_DELETE_NOENT)
        self._step("delete")
        state.exists = state.recreated = False
        state.dir_dirty = True
        state.data = bytearray()
        state.pending.clear()  # the deleted file's unsynced data has nowhere to go
        if syncdir:
            self._sync_directory(os.path.dirname(path))

    def xAccess(self, pathname: str, flags: int) -> bool:
        self._alive()
        state = self.files.get(os.path.abspath(pathname))
        if state is not None:
            return state.exists
        return super().xAccess(pathname, flags)


class PowerCutFile(apsw.VFSFile):
    def __init__(self, vfs: PowerCutVFS, state: _FileState, name: Any, flags: list[int], dirsync: bool) -> None:
        self.vfs = vfs
        self.state = state
        self.dirsync = dirsync
        super().__init__("", name, flags)  # the real file: locks and the WAL index

    def excepthook(self, etype: Any, evalue: Any, etraceback: Any) -> bool:
        # After the cut SQLite's clean-up calls fail by design; nothing else should end up here.
        if isinstance(evalue, PowerCut):
            return True
        return bool(super().excepthook(etype, evalue, etraceback))

    def xRead(self, amount: int, offset: int) -> bytes:
        self.vfs._alive()
        return bytes(self.state.data[offset : offset + amount])  # short at the end: apsw zero-fills

    def xWrite(self, data: Any, offset: int) -> None:
        self.vfs._step("write")
        chunk = bytes(data)
        content = self.state.data
        if offset > len(content):
            content.extend(bytes(offset - len(content)))
        content[offset : offset + len(chunk)] = chunk
        self.state.pending.append(_Pending(offset, chunk))

    def xTruncate(self, newsize: int) -> None:
        self.vfs._step("truncate")
        content = self.state.data
        if newsize < len(content):
            del content[newsize:]
        else:
            content.extend(bytes(newsize - len(content)))
        self.state.pending.append(_Pending(newsize, None))

    def xSync(self, flags: int) -> None:
        self.vfs._step("sync")
        state = self.state
        if not state.exists or self.vfs.lying:
            return
        if state.dir_dirty and not self.dirsync:
            # SQLite never does this (it syncs the directory of what it creates); the model has no answer.
            raise AssertionError(f"{state.path}: synced before its directory entry was durable")
        if self.dirsync:
            self.vfs._sync_directory(os.path.dirname(state.path))
            self.dirsync = False
        for pending in state.pending:
            self.vfs._apply(state, pending)
        state.pending.clear()

    def xFileSize(self) -> int:
        self.vfs._alive()
        return len(self.state.data)

    def xFileControl(self, op: int, ptr: int) -> bool:
        if op == apsw.SQLITE_FCNTL_SIZE_HINT:
            return True  # the real VFS would grow the real file behind our back; a hint may be ignored
        return bool(super().xFileControl(op, ptr))
