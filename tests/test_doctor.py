"""`kiosk doctor` finds each simulated fault and says how to fix it: real simulators, an injected clock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.backup import backup_database
from kiosk.cli import main
from kiosk.config import parse_settings
from kiosk.doctor import Doctor, Finding, Options, Status, failed, format_report
from kiosk.install import Layout, run
from kiosk.runtime import open_tally
from tests.fake_twilio import FakeTwilio
from tests.printer_emulator import PrinterEmulator
from tests.sim_modem import PROFILES, SimModem

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def doctor(**kwargs) -> Doctor:
    defaults = {
        "options": Options(),
        "clock": lambda: NOW,
        "ntp_synced": lambda: True,
        "service_active": lambda unit: False,
        "prompt": lambda name, pin: None,
        "layout": Layout(root=Path("/nonexistent-root")),
    }
    return Doctor(**(defaults | kwargs))


def write_config(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n{extra}', encoding="utf-8")
    return str(path)


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


@pytest.fixture
def healthy(tmp_path: Path) -> str:
    """A configuration with an initialised database and a fresh backup."""
    config = write_config(tmp_path)
    settings = parse_settings(Path(config).read_text(encoding="utf-8"), config)
    open_tally(settings).engine.dispose()
    backup_database(settings, clock=lambda: NOW)
    return config


def test_a_healthy_setup_passes(healthy: str) -> None:
    findings = doctor().run(healthy, env={})
    checks = by_check(findings)
    assert checks["configuration"].status is Status.OK
    assert checks["database"].status is Status.OK and "up to date" in checks["database"].message
    assert checks["backups"].status is Status.OK
    assert checks["disk"].status is Status.OK
    assert checks["clock"].status is Status.OK
    assert not failed(findings), format_report(findings)


def test_bad_configuration_is_reported_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[printer]\ncolums = 48\n", encoding="utf-8")
    checks = by_check(doctor().run(str(path), env={}))
    assert checks["configuration"].status is Status.FAIL
    assert "colums" in checks["configuration"].message and "kiosk config template" in checks["configuration"].fix
    # Through the command: the report, not a one-line crash, and a non-zero exit.
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] configuration" in out and "fix:" in out


def test_missing_database(tmp_path: Path) -> None:
    checks = by_check(doctor().run(write_config(tmp_path), env={}))
    assert checks["database"].status is Status.FAIL
    assert "no database" in checks["database"].message and "kiosk init" in checks["database"].fix


def test_corrupt_database(healthy: str, tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "tally.db"
    with open(db_file, "r+b") as fh:
        for offset in range(4096, db_file.stat().st_size, 8192):
            fh.seek(offset)
            fh.write(b"\xff" * 4096)
    findings = doctor().run(healthy, env={})
    checks = by_check(findings)
    assert checks["database"].status is Status.FAIL and "damaged" in checks["database"].message
    assert "kiosk restore" in checks["database"].fix
    assert failed(findings)


def test_old_schema_needs_kiosk_init(healthy: str, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "data" / "tally.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    checks = by_check(doctor().run(healthy, env={}))
    assert checks["database"].status is Status.FAIL and "kiosk init" in checks["database"].fix


def test_stale_or_missing_backups_warn(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    settings = parse_settings(Path(config).read_text(encoding="utf-8"), config)
    open_tally(settings).engine.dispose()
    assert by_check(doctor().run(config, env={}))["backups"].status is Status.WARN
    backup_database(settings, clock=lambda: datetime(2026, 11, 20, tzinfo=UTC))
    backups = by_check(doctor().run(config, env={}))["backups"]
    assert backups.status is Status.WARN and "days old" in backups.message and "timer" in backups.fix


def test_printer_refusing_and_the_test_page(healthy: str, tmp_path: Path) -> None:
    with PrinterEmulator(mode="refuse") as refusing:
        config = write_config(tmp_path, f'[printer]\nurl = "{refusing.url}"\ntimeout_s = 1.0\n')
        printer = by_check(doctor().run(config, env={}))["printer"]
    assert printer.status is Status.FAIL and "switched on" in printer.fix
    with PrinterEmulator() as ok:
        config = write_config(tmp_path, f'[printer]\nurl = "{ok.url}"\ntimeout_s = 1.0\n')
        printer = by_check(doctor().run(config, env={}))["printer"]
        assert printer.status is Status.OK
        assert not any(b"PRINTER TEST" in job for job in ok.jobs)  # nothing printed without --print-test
        printer = by_check(doctor(options=Options(print_test=True)).run(config, env={}))["printer"]
        assert printer.status is Status.OK and "test page" in printer.message
        assert [b"PRINTER TEST" in job for job in ok.wait_for_jobs(3)].count(True) == 1


@pytest.fixture
def modem(tmp_path: Path) -> Iterator[SimModem]:
    sim = SimModem(tmp_path / "dev")
    yield sim
    sim.close()


@pytest.fixture
def modem_dir(tmp_path: Path) -> Path:
    (tmp_path / "dev").mkdir()
    return tmp_path / "dev"


def test_modem_present_and_registered(healthy: str, tmp_path: Path, modem_dir: Path) -> None:
    with SimModem(modem_dir) as sim:
        config = write_config(tmp_path, f'[sms]\nbackend = "modem"\n[sms.modem]\nport = "{sim.path}"\n')
        checks = by_check(doctor().run(config, env={}))
    assert checks["modem network"].status is Status.OK and "home" in checks["modem network"].message
    assert checks["modem signal"].status is Status.OK


def test_modem_unplugged(healthy: str, tmp_path: Path, modem_dir: Path) -> None:
    sim = SimModem(modem_dir)
    sim.unplug()
    config = write_config(tmp_path, f'[sms]\nbackend = "modem"\n[sms.modem]\nport = "{sim.path}"\n')
    checks = by_check(doctor().run(config, env={}))
    assert checks["modem"].status is Status.FAIL and "no modem" in checks["modem"].message
    assert "/dev/serial/by-id" in checks["modem"].fix


def test_modem_not_registered_and_locked_sim(healthy: str, tmp_path: Path, modem_dir: Path) -> None:
    with SimModem(modem_dir) as sim:
        sim.creg = "0,3"
        sim.csq = "99,99"
        config = write_config(tmp_path, f'[sms]\nbackend = "modem"\n[sms.modem]\nport = "{sim.path}"\n')
        checks = by_check(doctor().run(config, env={}))
    assert checks["modem network"].status is Status.FAIL and "antenna" in checks["modem network"].fix
    assert checks["modem signal"].status is Status.WARN
    with SimModem(modem_dir, PROFILES["sim_busy_pin"]) as sim:
        config = write_config(tmp_path, f'[sms]\nbackend = "modem"\n[sms.modem]\nport = "{sim.path}"\n')
        checks = by_check(doctor().run(config, env={}))
    assert checks["modem"].status is Status.FAIL and "PIN" in checks["modem"].fix


def test_running_gateway_keeps_the_modem(healthy: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, '[sms]\nbackend = "modem"\n[sms.modem]\nport = "/dev/ttyUSB9"\n')
    checks = by_check(doctor(service_active=lambda unit: unit.endswith("sms.service")).run(config, env={}))
    assert checks["modem"].status is Status.OK and "owns the modem" in checks["modem"].message


def test_twilio_credentials_format_and_online(healthy: str, tmp_path: Path) -> None:
    bad = write_config(tmp_path, '[sms]\nbackend = "twilio"\n[sms.twilio]\naccount_sid = "SK123"\n')
    twilio = by_check(doctor().run(bad, env={}))["twilio"]
    assert twilio.status is Status.FAIL and "AC followed by 32" in twilio.message and "console" in twilio.fix
    sid, token = "AC" + "1" * 32, "0123456789abcdef" * 2
    with FakeTwilio(account_sid=sid, auth_token=token) as fake:
        good = (
            f'[sms]\nbackend = "twilio"\n[sms.twilio]\naccount_sid = "{sid}"\nauth_token = "{token}"\n'
            f'from_number = "+15105550199"\napi_base = "{fake.base_url}"\n'
        )
        checks = by_check(doctor().run(write_config(tmp_path, good), env={}))
        assert checks["twilio"].status is Status.OK and "twilio online" not in checks
        assert fake.requests() == []  # no API call without --online
        checks = by_check(doctor(options=Options(online=True)).run(write_config(tmp_path, good), env={}))
        assert checks["twilio online"].status is Status.OK
        wrong = good.replace(token, "f" * 32)
        checks = by_check(doctor(options=Options(online=True)).run(write_config(tmp_path, wrong), env={}))
        assert checks["twilio online"].status is Status.FAIL


def test_wrong_clock(healthy: str) -> None:
    clock = by_check(doctor(clock=lambda: datetime(1970, 1, 1, tzinfo=UTC)).run(healthy, env={}))["clock"]
    assert clock.status is Status.FAIL and "1970" in clock.message and "timedatectl" in clock.fix
    clock = by_check(doctor(ntp_synced=lambda: False).run(healthy, env={}))["clock"]
    assert clock.status is Status.FAIL and "not synchronized" in clock.message


def test_buttons_listed_by_default_and_pressed_with_buttons(healthy: str, tmp_path: Path) -> None:
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    config = write_config(tmp_path, '[hardware]\nbuttons = "gpio"\n')
    listed = by_check(doctor().run(config, env={}))["buttons"]
    assert listed.status is Status.OK and "yes BCM 17 (header pin 11)" in listed.message

    factory = MockFactory()
    previous = Device.pin_factory
    Device.pin_factory = factory
    try:
        timers: list[threading.Timer] = []

        def press(name: str, pin: int) -> None:
            """A person pressing the button a moment after being asked (the back button's wire is broken)."""
            if name == "back":
                return
            mock = factory.pin(pin)
            timers.extend([threading.Timer(0.05, mock.drive_low), threading.Timer(0.15, mock.drive_high)])
            timers[-2].start()
            timers[-1].start()

        findings = doctor(options=Options(buttons=True, press_timeout=1.0), prompt=press).run(config, env={})
        for timer in timers:
            timer.join()
    finally:
        factory.reset()
        Device.pin_factory = previous
    checks = by_check(findings)
    assert checks["button yes"].status is Status.OK
    assert checks["button back"].status is Status.FAIL
    assert "header pin 16" in checks["button back"].message and "ground" in checks["button back"].fix
    busy = by_check(doctor(options=Options(buttons=True), service_active=lambda u: "web" in u).run(config, env={}))
    assert busy["buttons"].status is Status.FAIL and "systemctl stop" in busy["buttons"].fix


def test_installed_units_out_of_date(tmp_path: Path) -> None:
    root = tmp_path / "root"
    lay = Layout(root=root)
    run(lay, systemctl=False)
    config = root / "etc/assembly-kiosk/kiosk.toml"
    checks = by_check(doctor(layout=lay).run(str(config), env={}))
    assert checks["systemd units"].status is Status.OK
    config.write_text(config.read_text(encoding="utf-8").replace('backend = "console"', 'backend = "modem"'))
    units = by_check(doctor(layout=lay).run(str(config), env={}))["systemd units"]
    assert units.status is Status.WARN and "kiosk install" in units.fix
