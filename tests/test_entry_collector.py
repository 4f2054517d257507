"""The ``kiosk`` command keeps the garbage collector off only while its modules load (kiosk/entry.py): every
command runs with it on, a long-running one once its start-up objects are frozen."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import db, entry
from kiosk.server import freeze_startup_objects


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()  # this test worker's objects back in reach of the collector
    if was:
        gc.enable()
    else:  # pragma: no cover
        gc.disable()


def test_a_command_runs_with_the_collector_on(
    collector_restored: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # entry.main turns the collector off and never back on: kiosk.cli.main does, before the command runs.
    monkeypatch.setattr(sys, "argv", ["kiosk", "config", "template"])
    assert entry.main() == 0
    assert gc.isenabled()
    assert "[kiosk]" in capsys.readouterr().out


def test_freezing_the_start_up_objects_turns_the_collector_on(collector_restored: None) -> None:
    gc.disable()
    freeze_startup_objects()
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_the_installed_command_uses_this_entry_point() -> None:
    script = Path(sys.prefix) / "bin" / "kiosk"
    assert "from kiosk.entry import main" in script.read_text(encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiosk", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip()


def test_a_migration_with_the_collector_off_leaves_no_garbage_to_freeze(
    collector_restored: None, tmp_path: Path
) -> None:
    # `kiosk serve` migrates with the collector off, then freezes what start-up made: Alembic's cycles (about
    # 8,900 objects on a fresh database) would stay for the life of the process.
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tally.db'}")
    gc.collect()
    gc.disable()
    try:
        db.upgrade(engine)
        assert gc.collect() < 500
    finally:
        engine.dispose()
