"""The demo's own helpers: starting it over (`kiosk demo --reset`) and the roster its banner shows.

`--reset` deletes a database only when it is plainly the demo's: SQLite, not in use by another process, and
every meeting in it created by the demo itself (audit actor "demo"). Anything else is refused with the reason,
and nothing is changed: a kiosk's real database must never be one typo away from deletion.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.people import roster_people
from kiosk.tally import Tally

DEMO_ACTOR = "demo"


def _foreign_meetings(db_file: Path) -> list[str]:
    """Codes of meetings in the file that the demo did not create (read-only; the file is not changed)."""
    conn = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meetings" not in tables:
            return []
        codes = [r[0] for r in conn.execute("SELECT code FROM meetings ORDER BY id")]
        if "audit_log" not in tables:
            return codes
        by_demo = {
            r[0]
            for r in conn.execute(
                "SELECT meeting_code FROM audit_log WHERE action = 'meeting_created' AND actor = ?", (DEMO_ACTOR,)
            )
        }
        return [code for code in codes if code not in by_demo]
    except sqlite3.DatabaseError as exc:
        raise KioskError(f"--reset: cannot read {db_file} ({exc}); nothing was changed") from None
    finally:
        conn.close()


def reset_demo_database(settings: Settings) -> Path | None:
    """Delete the demo's SQLite database (and its WAL files) so the demo starts fresh; the deleted path, or None
    when there was nothing to delete. Refuses (KioskError) unless the database is plainly the demo's."""
    from kiosk.backup import sqlite_path
    from kiosk.db_inuse import database_users

    db_file = sqlite_path(settings)
    if db_file is None:
        raise KioskError(
            f"--reset starts over only a SQLite demo database, not {settings.database_display}; nothing was changed"
        )
    if not db_file.exists():
        return None
    users = database_users(db_file)
    if users:
        raise KioskError(f"--reset: {db_file} is in use ({users}); stop it first. Nothing was changed")
    foreign = _foreign_meetings(db_file)
    if foreign:
        raise KioskError(
            f"--reset: {db_file} holds meetings the demo did not create ({', '.join(foreign)}): it is not a demo "
            "database, so it is not deleted. Run the demo with another data folder (KIOSK_DATABASE_URL or "
            "[kiosk] data_dir)"
        )
    for path in (db_file, db_file.with_name(db_file.name + "-wal"), db_file.with_name(db_file.name + "-shm")):
        path.unlink(missing_ok=True)
    return db_file


def _phone_for_people(phone: str | None) -> str:
    """A North American number as people write it ("510-555-0101"); others as stored."""
    if phone and phone.startswith("+1") and len(phone) == 12:
        return f"{phone[2:5]}-{phone[5:8]}-{phone[8:]}"
    return phone or "no phone"


def roster_banner(tally: Tally, *, per_line: int = 4) -> list[str]:
    """Lines naming the demo roster by first name and phone, so a first user knows whom to sign in as.

    The demo roster's numbers are fictional 555 numbers, so they are printed whole (unlike `kiosk people`)."""
    entries = []
    for person in roster_people(tally, None):
        note = "" if person.status == "member" else f", {person.status}"
        entries.append(f"{person.name.split()[0]} {_phone_for_people(person.phone)}{note}")
    if not entries:
        return []
    lines = ["  demo roster (sign in by first name or phone; `kiosk people` lists it):"]
    for start in range(0, len(entries), per_line):
        lines.append("    " + " · ".join(entries[start : start + per_line]))
    return lines
