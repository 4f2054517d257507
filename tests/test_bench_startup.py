"""What the memory and cold-start benchmarks found, kept: a start with the schema at head imports no alembic, the
web app imports no twilio until the webhook is used, and importing the accounts module computes no argon2 hash
(each takes 64 MiB of resident memory for a moment)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk import db


def run_python(code: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_head_read_from_the_migration_files_is_alembics_head() -> None:
    assert db._head_from_files() == db.head_revision()


def test_fast_path_answers_only_for_a_database_at_head(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 't.db'}")
    assert not db._at_head_fast(engine)  # empty: alembic decides
    db.upgrade(engine, "0001")
    assert not db._at_head_fast(engine)
    assert db.needs_upgrade(engine)
    db.upgrade(engine)
    assert db._at_head_fast(engine)
    assert not db.needs_upgrade(engine)
    engine.dispose()


def test_start_at_head_imports_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    out = run_python(
        f"""
        import sys
        from kiosk import db
        engine = db.make_engine({url!r})
        db.upgrade(engine)
        assert not db.needs_upgrade(engine)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "mako")))
        """,
        tmp_path,
    )
    assert out == "[]"


@pytest.mark.parametrize("module", ["kiosk.web.app", "kiosk.accounts"])
def test_web_modules_import_no_twilio_and_hash_nothing(tmp_path: Path, module: str) -> None:
    # An argon2 hash costs its memory_cost (12 MiB) of resident memory: none may be made at import, only at the
    # first login (the dummy hash for unknown names is cached once made).
    out = run_python(
        f"""
        import sys
        import {module}
        import kiosk.web.sms_webhook
        import kiosk.accounts
        made = kiosk.accounts._dummy_hash.cache_info().currsize
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("twilio", "requests")), made)
        """,
        tmp_path,
    )
    imported, hashes = out.rsplit(" ", 1)
    assert imported == "[]"
    assert hashes == "0"


def test_checking_the_printer_profile_imports_no_escpos(tmp_path: Path) -> None:
    """The web process checks [printer] profile when it starts; python-escpos (0.2 s of CPU, 1.3 s on a Pi 4 core)
    is imported only when a receipt is printed."""
    out = run_python(
        """
        import sys
        from hardware import printer
        printer.open_printer("network:127.0.0.1:9", profile="TM-T20II")
        names = printer.known_profiles()
        print("TM-T88V" in names, "escpos" in sys.modules)
        try:
            printer.open_printer("network:127.0.0.1:9", profile="No-Such-Printer")
        except ValueError as exc:
            print("refused", "No-Such-Printer" in str(exc))
        """,
        tmp_path,
    )
    assert out.splitlines() == ["True False", "refused True"]


def test_web_start_imports_no_phonenumbers(tmp_path: Path) -> None:
    out = run_python(
        """
        import sys
        import kiosk.web.app, kiosk.services, kiosk.tally
        print("phonenumbers" in sys.modules)
        from kiosk.roster import normalize_phone
        print(normalize_phone("(510) 555-0101", "US"))
        """,
        tmp_path,
    )
    assert out.splitlines() == ["False", "+15105550101"]


def test_a_sqlite_kiosk_loads_no_postgresql_dialect(tmp_path: Path) -> None:
    """The PostgreSQL dialect (with asyncpg's, pg8000's and psycopg's modules) cost a SQLite kiosk's start a
    tenth of its CPU; it is loaded only for a PostgreSQL database (kiosk.schema.postgresql_options). (Migrating
    loads it, through alembic: a start at the newest revision does not migrate.)"""
    run_python(f"from kiosk import db; db.upgrade(db.make_engine('sqlite:///{tmp_path}/t.db'))", tmp_path)
    out = run_python(
        f"""
        import sys
        import kiosk.cli, kiosk.web.app, kiosk.services
        from kiosk import db
        engine = db.make_engine("sqlite:///{tmp_path}/t.db")
        db.upgrade(engine)
        print("sqlalchemy.dialects.postgresql" in sys.modules)
        from kiosk.schema import ballot_tokens, postgresql_options
        postgresql_options()
        from sqlalchemy.dialects import postgresql
        from sqlalchemy.schema import CreateIndex
        [index] = [i for i in ballot_tokens.indexes if i.name == "uq_ballot_tokens_live"]
        print(CreateIndex(index).compile(dialect=postgresql.dialect()))
        """,
        tmp_path,
    )
    lines = out.splitlines()
    assert lines[0] == "False"
    assert "WHERE state != 'void'" in lines[1]
