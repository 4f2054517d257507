"""The roster's search names in memory, for the sign-in look-up by name.

Why: a name look-up is a substring search (``LIKE '%ana r%'``), which no B-tree index can answer, so SQLite read
every search name of the roster whenever fewer than a page of people matched: about 1 ms (a name matching
nobody, 3-5 ms) of this machine's CPU over 10,000 members, six times that on a Pi 4 core, and most of what an
attendee waited for at the door. Here the same names, in the same order (``search_name, id`` as the database
sorts them), are one string searched by Python's ``str.find``: tens of microseconds.

Never stale: the database keeps a counter (``roster_version``, moved by triggers on ``members``, migration
0008_pi15) that every add, removal or change of a search name moves, in any process. Each look-up reads it in
its own transaction and rebuilds the names when it has moved; the people found are then read from ``members``
in that transaction (their names, phones and sign-ins as stored now), so the index only ever chooses ids.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from kiosk import db
from kiosk.schema import members, roster_version

_STATEMENTS = db.DriverStatements(
    version=select(roster_version.c.version).where(roster_version.c.id == 1),
    names=select(members.c.id, members.c.search_name).order_by(members.c.search_name, members.c.id),
)
# Between two names: a character no search name or pattern holds (kiosk.tally.search.name_pattern keeps only
# letters, digits and " '-."), so a match never runs from one name into the next.
_SEPARATOR = "\x00"


@dataclass(frozen=True)
class _Snapshot:
    version: int
    ids: array[int]
    starts: array[int]  # where each name begins in the texts (the same in both), and the end as the last entry
    names: str  # every search name, in order, each followed by the separator
    words: str  # the same names as " name " with hyphens read as spaces, for whole-word matches


def _padded(name: str) -> str:
    return " " + name.replace("-", " ") + " "


def _snapshot(version: int, rows: list[tuple[int, str]]) -> _Snapshot:
    ids = array("q", (row[0] for row in rows))
    starts = array("q")
    position = 0
    plain: list[str] = []
    padded: list[str] = []
    for _id, name in rows:
        name = name.replace(_SEPARATOR, " ")
        starts.append(position)
        # Both texts give each name the same room (the padded form is two characters longer), so one table of
        # starts serves both.
        plain.append(name + _SEPARATOR * 3)
        padded.append(_padded(name) + _SEPARATOR)
        position += len(name) + 3
    starts.append(position)
    return _Snapshot(version, ids, starts, "".join(plain), "".join(padded))


class NameIndex:
    """The search names of one database's roster; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def candidates(self, conn: Connection, needle: str, *, whole_word: bool, limit: int) -> list[int] | None:
        """The ids of the first ``limit`` members (in ``search_name, id`` order) whose search name holds
        ``needle`` (``whole_word``: whose padded name holds it, e.g. " vu "), read in ``conn``'s transaction.
        None when this database has no roster version (the caller searches in SQL instead)."""
        statements = _STATEMENTS.on(conn)
        row = statements["version"].execute(conn).fetchone()
        if row is None:
            return None
        snapshot = self._current(conn, int(row[0]), statements)
        text = snapshot.words if whole_word else snapshot.names
        found: list[int] = []
        position = text.find(needle)
        while position >= 0 and len(found) < limit:
            line = bisect_right(snapshot.starts, position) - 1
            found.append(snapshot.ids[line])
            position = text.find(needle, snapshot.starts[line + 1])
        return found

    def _current(self, conn: Connection, version: int, statements: Any) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:  # one thread rebuilds; the others wait for it rather than each reading the roster
            snapshot = self._snapshot
            if snapshot is None or snapshot.version != version:
                # Read after the version, in the same transaction: the names are at least as new as the label
                # (on PostgreSQL's read-committed they may be newer; the next look-up then simply rebuilds).
                rows = statements["names"].execute(conn).fetchall()
                snapshot = self._snapshot = _snapshot(version, rows)
            return snapshot
