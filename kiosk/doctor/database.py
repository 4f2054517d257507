"""Check: the database file is there and intact, no recovery notice is waiting, and the schema is up to date."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status


def check(env: Environment, settings: Settings) -> list[Finding]:
    from kiosk.backup import sqlite_path

    path = sqlite_path(settings)
    out: list[Finding] = []
    if path is not None:
        problem = _file_problem(path)
        if problem is not None:
            return [problem]
        out.extend(_recovery_notice(path))
    return [*out, *_schema(settings)]


def _file_problem(path: Path) -> Finding | None:
    """A SQLite file that is missing, unreadable to this user, or damaged."""
    from kiosk.backup import CannotCheck, check_file

    if not path.exists():
        return Finding(
            "database",
            Status.FAIL,
            f"there is no database at {path}",
            "Create it with `kiosk init` (on the Pi: sudo -u assembly-kiosk env "
            "KIOSK_CONFIG=/etc/assembly-kiosk/kiosk.toml /opt/assembly-kiosk/.venv/bin/kiosk init), "
            "or restore a backup with `kiosk restore FILE`.",
        )
    try:
        problem = check_file(path)
    except CannotCheck as exc:
        return Finding(
            "database",
            Status.FAIL,
            str(exc),
            "Run kiosk commands as the service user (sudo -u assembly-kiosk ..., see docs/pi-setup.md).",
        )
    if problem:
        return Finding(
            "database",
            Status.FAIL,
            f"{path} is damaged: {problem}",
            "Restarting the kiosk sets the damaged file aside and restores the newest backup "
            "(sudo systemctl restart assembly-kiosk.target); or stop the kiosk and run "
            "`kiosk restore BACKUP-FILE` yourself. Then check `kiosk audit verify`.",
        )
    return None


def _recovery_notice(path: Path) -> list[Finding]:
    from kiosk.backup import NOTICE_FILE

    notice = path.parent / NOTICE_FILE
    if not notice.exists():
        return []
    last = notice.read_text(encoding="utf-8").strip().splitlines()[-1:]
    return [
        Finding(
            "database recovery",
            Status.WARN,
            last[0] if last else "the database was restored from a backup",
            f"Tell the organizers what was lost, then delete {notice} to clear this warning.",
        )
    ]


def _schema(settings: Settings) -> list[Finding]:
    from kiosk import db

    engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
    try:
        current = db.current_revision(engine)
    except Exception as exc:
        return [
            Finding(
                "database",
                Status.FAIL,
                f"cannot open {settings.database_display}: {exc}",
                "Check [database] url and that the database server is running.",
            )
        ]
    finally:
        engine.dispose()
    head = db.head_revision()
    if current != head:
        return [
            Finding(
                "database",
                Status.FAIL,
                f"the schema is at {current or 'nothing'}, this version needs {head}",
                "Run `kiosk init` (it upgrades in place and keeps all data); take a `kiosk backup` first.",
            )
        ]
    return [Finding("database", Status.OK, f"intact, schema up to date ({head})")]
