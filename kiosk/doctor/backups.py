"""Check: a recent backup of the SQLite database exists."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status

BACKUP_STALE_DAYS = 2


def check(env: Environment, settings: Settings) -> list[Finding]:
    from kiosk.backup import list_backups, sqlite_path

    if sqlite_path(settings) is None:
        return [Finding("backups", Status.SKIP, "PostgreSQL: back it up with pg_dump")]
    backups = list_backups(settings.backup_path)
    fix = (
        "Run `kiosk backup` now, and make sure the nightly timer is on: "
        "sudo systemctl enable --now assembly-kiosk-backup.timer"
    )
    if not backups:
        return [Finding("backups", Status.WARN, f"no backup in {settings.backup_path}", fix)]
    newest = backups[-1]
    age = env.clock() - newest.taken_at
    if age.days >= BACKUP_STALE_DAYS:
        return [Finding("backups", Status.WARN, f"the newest backup is {age.days} days old ({newest.path})", fix)]
    return [Finding("backups", Status.OK, f"{len(backups)} backup(s); newest {newest.path.name}")]
