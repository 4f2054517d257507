"""Backups, restore and the damaged-database recovery at start-up, on real SQLite files."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.backup import (
    NOTICE_FILE,
    BackupError,
    backup_database,
    check_file,
    list_backups,
    recover_if_damaged,
    restore_database,
)
from kiosk.config import Settings, parse_settings
from kiosk.device_status import device_statuses
from kiosk.runtime import open_tally
from kiosk.tally import Tally
from tests.conftest import FakeClock


def settings_for(tmp_path: Path, keep_days: int = 14) -> Settings:
    text = f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[backup]\nkeep_days = {keep_days}\n'
    return parse_settings(text, "test.toml")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


def seeded(settings: Settings, roster_csv: str) -> Tally:
    tally = open_tally(settings)
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    return tally


def db_file(settings: Settings) -> Path:
    return settings.data_path / "tally.db"


def test_backup_and_restore_round_trip(settings: Settings, roster_csv: str) -> None:
    tally = seeded(settings, roster_csv)
    members = tally.member_count()
    result = backup_database(settings)
    assert result.backup.path.parent == settings.backup_path
    assert check_file(result.backup.path) is None
    # Later work, then a restore brings back exactly the backed-up state and keeps the replaced database.
    tally.create_meeting(code="GA13", title="Later", starts="2026-12-10T19:00")
    tally.engine.dispose()
    kept = restore_database(settings, result.backup.path, service_running=lambda: False)
    assert kept is not None and kept.exists() and check_file(kept) is None
    restored = open_tally(settings)
    assert [m.code for m in restored.meetings()] == ["GA12"]
    assert restored.member_count() == members
    assert restored.audit_verify().ok
    # The replaced file still has the later meeting: nothing was thrown away.
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT count(*) FROM meetings").fetchone()[0] == 2
    restored.engine.dispose()


def test_backup_is_consistent_while_the_kiosk_writes(settings: Settings, roster_csv: str) -> None:
    tally = seeded(settings, roster_csv)
    # An open read transaction plus pending WAL frames: the copy still holds every committed row.
    tally.create_meeting(code="GA13", title="In the WAL", starts="2026-12-10T19:00")
    assert Path(str(db_file(settings)) + "-wal").exists()
    result = backup_database(settings)
    with sqlite3.connect(result.backup.path) as conn:
        codes = sorted(r[0] for r in conn.execute("SELECT code FROM meetings"))
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert codes == ["GA12", "GA13"]
    tally.engine.dispose()


def test_retention_keeps_keep_days_and_always_the_newest(tmp_path: Path, roster_csv: str) -> None:
    settings = settings_for(tmp_path, keep_days=3)
    tally = seeded(settings, roster_csv)
    clock = FakeClock(datetime(2026, 11, 1, 3, 30, tzinfo=UTC))
    made = []
    for _ in range(6):
        made.append(backup_database(settings, clock=clock).backup.path)
        clock.advance(days=1)
    names = [b.path.name for b in list_backups(settings.backup_path)]
    # On Nov 6 with keep_days 3: Nov 3, 4, 5, 6 remain.
    assert names == [p.name for p in made[2:]]
    # Far in the future, the newest backup is still never deleted.
    clock.advance(days=100)
    backup_database(settings, clock=clock)
    assert len(list_backups(settings.backup_path)) == 1
    tally.engine.dispose()


def test_backup_to_another_folder_and_its_errors(tmp_path: Path, settings: Settings, roster_csv: str) -> None:
    with pytest.raises(BackupError, match="kiosk init"):
        backup_database(settings)
    tally = seeded(settings, roster_csv)
    stick = tmp_path / "usb-stick"
    result = backup_database(settings, stick)
    assert result.backup.path.parent == stick
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(BackupError, match="cannot create the backup folder"):
        backup_database(settings, blocked / "sub")
    assert not [p for p in stick.iterdir() if p.name.endswith(".partial")]
    tally.engine.dispose()


def test_restore_refuses_while_running_or_a_bad_file(tmp_path: Path, settings: Settings, roster_csv: str) -> None:
    tally = seeded(settings, roster_csv)
    good = backup_database(settings).backup.path
    tally.engine.dispose()
    before = db_file(settings).read_bytes()
    with pytest.raises(BackupError, match="the kiosk is running"):
        restore_database(settings, good, service_running=lambda: True)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="not a good SQLite database"):
        restore_database(settings, bad, service_running=lambda: False)
    with pytest.raises(BackupError, match="no such backup"):
        restore_database(settings, tmp_path / "missing.db", service_running=lambda: False)
    assert db_file(settings).read_bytes() == before
    # --force restores even while "running".
    assert restore_database(settings, good, force=True, service_running=lambda: True) is not None


def tear_pages(path: Path) -> None:
    """Overwrite pages in the middle of the file, as a torn write or a failing SD card would."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        for offset in range(4096, size, 8192):
            fh.seek(offset)
            fh.write(os.urandom(4096))


def checkpointed(settings: Settings, roster_csv: str) -> None:
    tally = seeded(settings, roster_csv)
    tally.engine.dispose()  # last connection closed: the WAL is checkpointed into the main file


def test_torn_database_at_start_up_is_set_aside_and_the_backup_restored(settings: Settings, roster_csv: str) -> None:
    checkpointed(settings, roster_csv)
    backup = backup_database(settings).backup
    tear_pages(db_file(settings))
    assert check_file(db_file(settings)) is not None
    tally = open_tally(settings)  # what `kiosk serve` and `kiosk sms run` do at start-up: no crash
    assert [m.code for m in tally.meetings()] == ["GA12"]
    damaged = list(settings.data_path.glob("tally.db.damaged-*"))
    assert len([p for p in damaged if p.name.count("-") == 2]) == 1  # the file itself (plus any -wal/-shm)
    status = device_statuses(tally.engine)["database"]
    assert status["ok"] is False
    assert backup.path.name in status["summary"] and "is not in the database" in status["summary"]
    notice = (settings.data_path / NOTICE_FILE).read_text(encoding="utf-8")
    assert "set aside" in notice and backup.path.name in notice
    tally.engine.dispose()
    # The next start finds a good database and does nothing more.
    assert recover_if_damaged(settings) is None


def test_truncated_database_and_garbage_header_are_recovered(settings: Settings, roster_csv: str) -> None:
    checkpointed(settings, roster_csv)
    backup_database(settings)
    path = db_file(settings)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    recovery = recover_if_damaged(settings)
    assert recovery is not None and recovery.restored_from is not None
    assert check_file(path) is None
    path.write_bytes(b"\0" * 100 + path.read_bytes()[100:])  # header gone: "file is not a database"
    recovery = recover_if_damaged(settings)
    assert recovery is not None and "not a database" in recovery.problem


def test_truncated_or_missing_wal_keeps_what_the_main_file_has(settings: Settings, roster_csv: str) -> None:
    """A WAL cut short loses only commits in its missing part: SQLite stops at the first bad frame."""
    checkpointed(settings, roster_csv)
    tally = open_tally(settings)
    tally.create_meeting(code="GA13", title="Only in the WAL", starts="2026-12-10T19:00")
    wal = Path(str(db_file(settings)) + "-wal")
    copy = settings.data_path / "copy.db"
    for name in ("", "-wal"):
        Path(str(copy) + name).write_bytes(Path(str(db_file(settings)) + name).read_bytes())
    tally.engine.dispose()
    assert not wal.exists()
    copy_wal = Path(str(copy) + "-wal")
    with open(copy_wal, "r+b") as fh:
        fh.truncate(copy_wal.stat().st_size - 100)
    assert check_file(copy) is None
    copy_settings = replace(settings, database=replace(settings.database, url=f"sqlite:///{copy}"))
    assert recover_if_damaged(copy_settings) is None
    reopened = open_tally(copy_settings)
    assert "GA12" in [m.code for m in reopened.meetings()]
    reopened.engine.dispose()


def test_damaged_without_a_backup_starts_empty_and_says_so(settings: Settings, roster_csv: str) -> None:
    checkpointed(settings, roster_csv)
    tear_pages(db_file(settings))
    tally = open_tally(settings)
    assert tally.meetings() == []
    status = device_statuses(tally.engine)["database"]
    assert "EMPTY" in status["summary"]
    tally.engine.dispose()


def test_damaged_newest_backup_falls_back_to_an_older_one(settings: Settings, roster_csv: str) -> None:
    checkpointed(settings, roster_csv)
    clock = FakeClock()
    older = backup_database(settings, clock=clock).backup
    clock.advance(hours=1)
    newer = backup_database(settings, clock=clock).backup
    tear_pages(newer.path)
    tear_pages(db_file(settings))
    recovery = recover_if_damaged(settings, clock=lambda: clock() + timedelta(hours=1))
    assert recovery is not None and recovery.restored_from == older


def test_a_database_that_cannot_be_opened_is_never_set_aside(settings: Settings) -> None:
    """Only corruption counts: a file SQLite cannot open (here a folder in its place) is left alone."""
    db_file(settings).mkdir(parents=True)
    assert recover_if_damaged(settings) is None
    assert db_file(settings).is_dir() and not list(settings.data_path.glob("tally.db.damaged-*"))
