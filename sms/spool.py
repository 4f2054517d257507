"""A durable spool between the Twilio webhook (in the web process) and the gateway daemon.

The webhook must answer Twilio within a second even while the database is busy or slow, and Twilio does not
send a text again once we answered 200. So the webhook only appends the text to a spool file and fsyncs it
(well under a millisecond on an SD card's page cache plus one flush), and the gateway daemon drains the spool
into the tally. Draining renames the file first, so texts that arrive meanwhile go to a new file; a daemon
killed mid-drain finds the renamed file next start, and the tally ignores texts it already stored (by SID).

A full disk: ``append`` raises ``StorageFull`` and leaves the file as it was (a partly written line is cut
off again), so the webhook answers 503 and no half text is ever read; a line torn earlier (a power cut) is
ended before the next text is appended, so it cannot take that text down with it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kiosk.errors import StorageFull
from sms.backends import InboundText

log = logging.getLogger(__name__)

_lock = threading.Lock()


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.current = self.folder / "inbound.jsonl"
        (self.folder / ".lock").touch(mode=0o600)  # made now, not when the disk may be full

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Appending and claiming exclude each other across processes (the webhook's and the daemon's), not
        only threads: a claim between an append's open and its write would rename, read and delete the file
        under it, and a text already answered 200 would be written into a deleted file."""
        with _lock:
            fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def append(self, text: InboundText) -> None:
        line = (
            json.dumps(
                {"id": text.provider_id, "from": text.sender, "body": text.body, "at": text.received_at.isoformat()},
                ensure_ascii=False,
            )
            + "\n"
        )
        data = line.encode("utf-8")
        with self._locked():
            fd = os.open(self.current, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # A line torn by a power cut or a full disk: end it, or this text would be glued to it and
                    # both lost when read.
                    data = b"\n" + data
                try:
                    written = os.write(fd, data)
                    if written != len(data):  # a short write: the disk filled mid-line
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.current))
                    os.fsync(fd)
                except OSError as exc:
                    # Take back whatever part of this text reached the file, so no torn line is left behind.
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, size)
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise StorageFull(
                            f"the disk is full: the text {text.provider_id} could not be spooled in {self.folder}"
                        ) from exc
                    raise
            finally:
                os.close(fd)

    def claim(self) -> list[Path]:
        """Files to drain: any left by an earlier run, plus the current one (renamed so appends go elsewhere)."""
        with self._locked():
            if self.current.exists() and self.current.stat().st_size:
                os.replace(self.current, self.folder / f"draining-{os.getpid()}-{datetime.now().timestamp():.6f}.jsonl")
        return sorted(self.folder.glob("draining-*.jsonl"))

    @staticmethod
    def read(path: Path) -> list[InboundText]:
        texts = []
        # Split on "\n" only: json.dumps escapes it inside strings, but not U+2028 or U+0085, which splitlines()
        # would also cut at (a text with one of those was lost).
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            if not line:
                continue
            try:
                item = json.loads(line)
                texts.append(
                    InboundText(
                        str(item["id"]), str(item["from"]), str(item["body"]), datetime.fromisoformat(item["at"])
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                # a torn last line from a power cut: the rest is still read
                log.warning("skipping an unreadable line of %s (%s: %s)", path.name, type(exc).__name__, exc)
        return texts

    @staticmethod
    def done(path: Path) -> None:
        path.unlink(missing_ok=True)
