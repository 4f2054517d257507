"""A durable spool between the Twilio webhook (in the web process) and the gateway daemon.

The webhook must answer Twilio within a second even while the database is busy or slow, and Twilio does not
send a text again once we answered 200. So the webhook only appends the text to a spool file and fsyncs it
(well under a millisecond on an SD card's page cache plus one flush), and the gateway daemon drains the spool
into the tally. Draining renames the file first, so texts that arrive meanwhile go to a new file; a daemon
killed mid-drain finds the renamed file next start, and the tally ignores texts it already stored (by SID).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path

from sms.backends import InboundText

_lock = threading.Lock()


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.current = self.folder / "inbound.jsonl"

    def append(self, text: InboundText) -> None:
        line = (
            json.dumps(
                {"id": text.provider_id, "from": text.sender, "body": text.body, "at": text.received_at.isoformat()},
                ensure_ascii=False,
            )
            + "\n"
        )
        with _lock:
            fd = os.open(self.current, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def claim(self) -> list[Path]:
        """Files to drain: any left by an earlier run, plus the current one (renamed so appends go elsewhere)."""
        with _lock:
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
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a power cut: the rest is still read
        return texts

    @staticmethod
    def done(path: Path) -> None:
        path.unlink(missing_ok=True)
