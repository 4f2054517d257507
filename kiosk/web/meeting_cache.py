"""The meeting the kiosk serves, read from the database only when the database has changed.

Every kiosk request needs the current meeting (is sign-in open? its title in the header), and reading it cost
about a fifth of a look-up's server time at Pi speed: a connection checkout, a transaction and a Core query,
for an answer that changes a few times a meeting. On SQLite the kiosk keeps one extra read-only connection
whose ``PRAGMA data_version`` changes whenever any other connection (this process's pool, the organizer pages,
``kiosk meeting ...`` in a shell, the SMS process) commits: while it is unchanged, the meeting read last is
still what the database holds. Time also moves the answer (the next meeting is one that started at most six
hours ago): a cached meeting is used only while that still holds. PostgreSQL has no such cheap probe, so
there every request reads the meeting as before.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from kiosk.errors import NotFound
from kiosk.tally import Meeting, Tally

# kiosk.tally.Tally.next_meeting: the soonest meeting not closed that started no more than this long ago.
STARTED_AT_MOST = timedelta(hours=6)


class MeetingCache:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self._lock = threading.Lock()
        self._probe: sqlite3.Connection | None = None
        self._cached: dict[str | None, tuple[int, Meeting | None]] = {}
        url = tally.engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(make_url(str(url)).database or "")
            # Read-only, never in a transaction: it only asks whether others have committed.
            self._probe = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )

    def _version(self) -> int | None:
        if self._probe is None:
            return None
        try:
            with self._lock:
                return int(self._probe.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None  # whatever went wrong, the tally's own read says it plainly

    def meeting(self, code: str | None) -> Meeting | None:
        """``code``'s meeting, or (no code) the next meeting; None when there is none."""
        version = self._version()  # before reading: a commit in between shows as a new version next time
        if version is not None:
            hit = self._cached.get(code)
            if hit is not None and hit[0] == version and self._still_current(code, hit[1]):
                return hit[1]
        try:
            meeting = self.tally.meeting(code) if code else self.tally.next_meeting()
        except NotFound:
            meeting = None
        if version is not None:
            self._cached[code] = (version, meeting)
        return meeting

    def _still_current(self, code: str | None, meeting: Meeting | None) -> bool:
        if code or meeting is None:  # a meeting by code, or no meeting at all: time alone changes neither
            return True
        try:
            return meeting.starts_at >= self.tally.clock() - STARTED_AT_MOST
        except TypeError:  # naive and aware datetimes: do not guess
            return False

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None
