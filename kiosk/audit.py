"""The audit log: append-only entries, each chained to the previous one by a SHA-256 hash.

Each entry's hash covers its number, time, actor, action, meeting and details, and the previous entry's hash.
Editing, removing or reordering any entry breaks the chain from that point on, and ``verify`` says where.
Entries never carry anything that identifies a ballot or a choice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.db import DriverStatements
from kiosk.schema import audit_head, audit_log

GENESIS = "0" * 64


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, meeting_code: str | None, detail: str, prev: str
) -> str:
    payload = json.dumps(
        [seq, at.isoformat(timespec="microseconds"), actor, action, meeting_code, detail, prev],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_LOCKED_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()

# Every write appends an entry, so these three run on the driver directly (see ``kiosk.db.DriverStatement``).
_HOT = DriverStatements(
    head=_LOCKED_HEAD,
    add=insert(audit_log),
    move_head=update(audit_head).where(audit_head.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash")),
)


def append(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    meeting_code: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> str:
    """Add one entry inside the caller's write transaction; returns its hash."""
    hot = _HOT.on(conn)
    head = hot["head"].execute(conn).fetchone()
    if head is None:
        # The very first entry. On PostgreSQL two first writers can both find no head row (there is no row to
        # lock yet): the second insert waits for the first and fails, and the savepoint lets it lock theirs.
        try:
            with conn.begin_nested():
                conn.execute(insert(audit_head).values(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        head = conn.execute(_LOCKED_HEAD).one()
    seq, prev = head[0] + 1, head[1]
    text = json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = entry_hash(seq, at, actor, action, meeting_code, text, prev)
    hot["add"].execute(
        conn,
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "meeting_code": meeting_code,
            "detail": text,
            "prev_hash": prev,
            "hash": digest,
        },
    )
    hot["move_head"].execute(conn, {"seq": seq, "hash": digest})
    return digest


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    meeting_code: str | None
    detail: str
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "action": self.action,
            "meeting": self.meeting_code,
            "detail": json.loads(self.detail),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class AuditReport:
    entries: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def entries(conn: Connection, meeting_code: str | None = None) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.seq)
    if meeting_code is not None:
        query = query.where(audit_log.c.meeting_code == meeting_code)
    return [AuditEntry(**row._mapping) for row in conn.execute(query)]


def verify_entries(rows: Iterable[AuditEntry], expected_head: str | None = None) -> AuditReport:
    """Check the chain: numbering without gaps, each hash recomputed, each link to the previous entry."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    for expected_seq, entry in enumerate(rows, start=1):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entry {entry.seq}: expected entry {expected_seq} here (an entry was removed or moved)")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow the entry before it (removed, inserted or reordered)")
        recomputed = entry_hash(
            entry.seq, entry.at, entry.actor, entry.action, entry.meeting_code, entry.detail, entry.prev_hash
        )
        if recomputed != entry.hash:
            problems.append(f"entry {entry.seq} ({entry.action}): its contents were changed after it was written")
        prev = entry.hash
        if len(problems) > 50:
            problems.append("... more problems not listed")
            break
    if expected_head is not None and prev != expected_head:
        problems.append("the newest entries are missing: the log ends before the recorded head")
    return AuditReport(entries=count, head=prev, problems=problems)


def verify(conn: Connection) -> AuditReport:
    head = conn.execute(select(audit_head.c.hash).where(audit_head.c.id == 1)).scalar()
    return verify_entries(entries(conn), expected_head=head)
