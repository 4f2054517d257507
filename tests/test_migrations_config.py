"""Schema migrations keep data; the configuration file is validated and fully documented."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from kiosk import db
from kiosk.config import documented_settings, load_settings, parse_settings, template
from kiosk.errors import ConfigError
from kiosk.schema import metadata
from kiosk.tally import Tally

ROOT = Path(__file__).resolve().parents[1]


def test_newest_migration_matches_the_schema(tally: Tally) -> None:
    with tally.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert db.current_revision(tally.engine) == db.head_revision()


@pytest.mark.empty_database
def test_old_database_upgrades_with_its_data(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001")  # the schema of the first release
    now = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (name, search_name, phone, status, created_at, updated_at) "
                "VALUES ('Ana Ramírez', 'ana ramirez', '+15105550101', 'member', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO meetings (code, title, starts_at, timezone, created_at) "
                "VALUES ('GA11', 'Old meeting', :now, 'America/Los_Angeles', :now)"
            ),
            {"now": now},
        )
    assert "language" not in [c["name"] for c in inspect(engine).get_columns("members")]
    assert db.needs_upgrade(engine)
    db.upgrade(engine)
    assert not db.needs_upgrade(engine)
    tally = Tally(engine)
    assert tally.meeting("GA11").title == "Old meeting"
    assert [p.display_name for p in tally.find_people("GA11", "Ana Ram")] == ["Ana R."]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT language FROM members")).scalar() is None
    engine.dispose()


# --- configuration ----------------------------------------------------------------------------------------


def test_defaults_need_no_file() -> None:
    settings = load_settings(None, env={})
    assert settings.hardware.buttons == "simulated" and settings.printer.url == "console"
    assert settings.sms.backend == "console"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("data/tally.db")


def test_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[organization]\nname = "RPA"\n[printer]\ncolumns = 32\n[sms.twilio]\ninbound = "webhook"\n'
        '[database]\nurl = "sqlite:////tmp/x.db"\n'
    )
    settings = load_settings(None, env={"KIOSK_CONFIG": str(path)})
    assert (settings.organization.name, settings.printer.columns, settings.twilio.inbound) == ("RPA", 32, "webhook")
    assert settings.database_url == "sqlite:////tmp/x.db"
    overridden = load_settings(path, env={"KIOSK_DATABASE_URL": "sqlite:////tmp/y.db"})
    assert overridden.database_url == "sqlite:////tmp/y.db"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[kiosk]\nfoo = 1\n", "unknown setting [kiosk] foo; allowed: data_dir, idle_seconds"),
        ("[kiosks]\n", "unknown section [kiosks]; allowed:"),
        ("[server]\nport = 'eighty'\n", "[server] port must be a whole number, not 'eighty'"),
        ("[hardware]\nbuttons = 'gpiozero'\n", "use one of: gpio, simulated, none"),
        ("[sms]\nbackend = 'carrier-pigeon'\n", "use one of: console, twilio, modem"),
        ("[organization]\ntimezone = 'Mars/Olympus'\n", "not an IANA time zone"),
        ("[buttons]\nyes = 5\n", "each pin may be used only once"),
        ("[printer]\ncolumns = 40\n", "columns must be 48"),
        ("[kiosk\n", "not valid TOML"),
        ("[sms.twilio]\nsid = 'x'\n", "unknown setting [sms.twilio] sid"),
    ],
)
def test_bad_files_name_the_file_and_key(toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(toml, "/etc/kiosk.toml")
    assert str(error.value).startswith("/etc/kiosk.toml: ")
    assert message in str(error.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_template_round_trips_to_the_defaults() -> None:
    settings = parse_settings(template(), "template")
    assert settings.printer == load_settings(None, env={}).printer
    assert settings.kiosk == load_settings(None, env={}).kiosk


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, key, _default, text_ in documented_settings():
        assert text_.strip(), f"[{section}] {key} has no documentation"
        assert f"`[{section}] {key}`" in doc, f"[{section}] {key} is missing from docs/configuration.md"
