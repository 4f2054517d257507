"""`kiosk install` into a temporary root: files, modes, hardening, `systemd-analyze verify` and `security`."""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from kiosk.cli import main
from kiosk.config import parse_settings
from kiosk.install import (
    BACKUP,
    ENABLED,
    SCREEN,
    SMS,
    TARGET,
    TIMER,
    UNITS,
    WEB,
    InstallError,
    Layout,
    chromium_policy,
    config_text,
    render_units,
    run,
)
from kiosk.screen_browser import screen_flags

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (scripts/test installs it)"
)
KIOSK = PurePosixPath(sys.prefix) / "bin" / "kiosk"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


def parse_unit(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def all_values(text: str, section: str, key: str) -> list[str]:
    """Every value of a key that systemd allows repeated (DeviceAllow=, ReadWritePaths=, ...)."""
    out, current = [], None
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and line.startswith(f"{key}="):
            out.append(line.split("=", 1)[1])
    return out


def settings_with(extra: str = "", data: str = "/var/lib/assembly-kiosk"):
    return parse_settings(f'[kiosk]\ndata_dir = "{data}"\n' + extra, "test.toml")


def layout(root: Path) -> Layout:
    return Layout(root=root, kiosk_exe=KIOSK)


def test_units_carry_the_hardening_and_the_right_paths(tmp_path: Path) -> None:
    units = render_units(settings_with('[hardware]\nbuttons = "gpio"\n'), layout(tmp_path))
    assert set(units) == set(UNITS)
    for name in (WEB, SMS, BACKUP):
        unit = parse_unit(units[name])
        service = unit["Service"]
        for key, value in HARDENING.items():
            assert service.get(key) == value, (name, key)
        assert service["User"] == "assembly-kiosk"
        assert service["ExecStart"].startswith(f"{KIOSK} ")
        assert all_values(units[name], "Service", "ReadWritePaths")[0].split() == ["/var/lib/assembly-kiosk"]
        assert "Environment=KIOSK_CONFIG=/etc/assembly-kiosk/kiosk.toml" in units[name]
    for name in (WEB, SMS):
        unit = parse_unit(units[name])
        assert unit["Service"]["Restart"] == "on-failure"
        assert int(unit["Unit"]["StartLimitBurst"]) >= 3 and int(unit["Unit"]["StartLimitIntervalSec"]) >= 60
        assert unit["Unit"]["PartOf"] == TARGET
        assert unit["Install"]["WantedBy"] == TARGET
    # The web app's filter gives sched_setscheduler back after denying @resources (systemd reads a later allow as
    # taking a call off the deny list): the audio render lowers its own thread to SCHED_IDLE (kiosk/audio/service.py).
    assert all_values(units[WEB], "Service", "SystemCallFilter") == [
        "@system-service",
        "~@privileged @resources",
        "sched_setscheduler",
    ]
    assert all_values(units[SMS], "Service", "SystemCallFilter") == ["@system-service", "~@privileged @resources"]
    sms = parse_unit(units[SMS])
    assert sms["Service"]["Type"] == "notify" and int(sms["Service"]["WatchdogSec"]) > 0
    assert "network-online.target" in sms["Unit"]["Wants"] and "network-online.target" in sms["Unit"]["After"]
    assert sms["Service"]["PrivateDevices"] == "yes"  # console backend: no device at all
    assert all_values(units[WEB], "Service", "DeviceAllow") == ["char-gpiochip rw"]
    assert parse_unit(units[WEB])["Service"]["DevicePolicy"] == "closed"
    screen = parse_unit(units[SCREEN])
    assert screen["Service"]["Restart"] == "always"
    assert screen["Service"]["User"] == "kiosk-screen"
    assert "--kiosk" in screen["Service"]["ExecStart"]
    assert "http://127.0.0.1:8080/kiosk/" in screen["Service"]["ExecStart"]  # the attendee screen
    assert "cage" in screen["Service"]["ExecStart"]
    # The screen's Chromium flags come from one place, which the memory bench also starts Chromium with.
    assert screen_flags() in screen["Service"]["ExecStart"]
    assert screen["Service"]["ExecStart"].split().count("--renderer-process-limit=1") == 1
    target = parse_unit(units[TARGET])
    assert set(target["Unit"]["Wants"].split()) == {WEB, SMS, SCREEN}
    timer = parse_unit(units[TIMER])
    assert timer["Timer"]["Persistent"] == "true" and "OnCalendar" in timer["Timer"]
    assert parse_unit(units[BACKUP])["Service"]["PrivateNetwork"] == "yes"


@pytest.mark.parametrize(
    ("extra", "web_devices", "sms_devices"),
    [
        ('[hardware]\nbuttons = "none"\n[printer]\nurl = "network:192.168.1.50"\n', [], []),
        (
            '[hardware]\nbuttons = "gpio"\n[printer]\nurl = "usb:04b8:0202"\n'
            '[sms]\nbackend = "modem"\n[sms.modem]\nport = "/dev/serial/by-id/usb-Huawei-if00"\n',
            ["char-gpiochip rw", "char-usb_device rw"],
            ["char-ttyUSB rw", "char-ttyACM rw"],
        ),
        (
            '[printer]\nurl = "serial:/dev/ttyAMA0?baudrate=19200"\n[sms]\nbackend = "modem"\n'
            '[sms.modem]\nport = "/dev/ttyUSB2"\n',
            ["char-ttyAMA rw"],
            ["char-ttyUSB rw"],
        ),
        ('[printer]\nurl = "file:/dev/usb/lp0"\n[sms]\nbackend = "twilio"\n', ["char-usb rw"], []),
    ],
)
def test_device_access_follows_the_configuration(
    tmp_path: Path, extra: str, web_devices: list[str], sms_devices: list[str]
) -> None:
    units = render_units(settings_with(extra), layout(tmp_path))
    for name, devices in ((WEB, web_devices), (SMS, sms_devices)):
        assert all_values(units[name], "Service", "DeviceAllow") == devices
        service = parse_unit(units[name])["Service"]
        assert service["PrivateDevices"] == ("no" if devices else "yes")
    assert ("AF_NETLINK" in units[WEB]) == ("usb:" in extra)


def test_chromium_policy_allows_only_the_local_page() -> None:
    policy = chromium_policy(settings_with("[server]\nport = 8090\n"))
    assert policy["URLBlocklist"] == ["*"]
    assert policy["URLAllowlist"] == ["http://127.0.0.1:8090"]
    assert policy["DeveloperToolsAvailability"] == 2
    assert policy["IncognitoModeAvailability"] == 1 and policy["DefaultPopupsSetting"] == 2
    assert policy["DownloadRestrictions"] == 3


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    assert main(["install", "--dry-run", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert not root.exists()
    for name in UNITS:
        assert f"/etc/systemd/system/{name}" in out
    assert "would create folder /var/lib/assembly-kiosk mode 0700" in out
    assert "enable" in out


def test_install_into_a_root_is_complete_idempotent_and_uninstall_keeps_data(tmp_path: Path) -> None:
    root = tmp_path / "root"
    lay = layout(root)
    first = run(lay, systemctl=False)
    data = root / "var/lib/assembly-kiosk"
    assert data.is_dir() and data.stat().st_mode & 0o777 == 0o700
    config = root / "etc/assembly-kiosk/kiosk.toml"
    assert config.stat().st_mode & 0o777 == 0o640
    assert config.read_text(encoding="utf-8") == config_text(lay)
    assert parse_settings(config.read_text(encoding="utf-8")).kiosk.data_dir == "/var/lib/assembly-kiosk"
    for name in UNITS:
        assert (root / "etc/systemd/system" / name).stat().st_mode & 0o777 == 0o644
    policy = json.loads((root / "etc/chromium/policies/managed/assembly-kiosk.json").read_text(encoding="utf-8"))
    assert policy["URLBlocklist"] == ["*"]
    assert len(first) > len(UNITS)
    # Again: nothing changes; an organizer's edited configuration is never overwritten.
    config.write_text(config.read_text(encoding="utf-8").replace('name = "Assembly Kiosk Demo"', 'name = "RPA"'))
    assert run(lay, systemctl=False) == ["nothing to change: already installed"]
    assert 'name = "RPA"' in config.read_text(encoding="utf-8")
    # Uninstall removes units and policy, never the data or the configuration.
    (data / "tally.db").write_bytes(b"precious")
    lines = run(lay, uninstall=True, systemctl=False)
    assert any("kept" in line for line in lines)
    assert not any((root / "etc/systemd/system" / name).exists() for name in UNITS)
    assert (data / "tally.db").read_bytes() == b"precious" and config.exists()


def test_config_with_a_relative_data_dir_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc/assembly-kiosk").mkdir(parents=True)
    (root / "etc/assembly-kiosk/kiosk.toml").write_text('[kiosk]\ndata_dir = "data"\n')
    with pytest.raises(InstallError, match="absolute"):
        run(layout(root), systemctl=False)


def test_changed_configuration_rewrites_the_units(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(layout(root), systemctl=False)
    config = root / "etc/assembly-kiosk/kiosk.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('backend = "console"', 'backend = "modem"'))
    lines = run(layout(root), systemctl=False)
    assert any(SMS in line for line in lines)
    assert "DeviceAllow=char-ttyUSB rw" in (root / "etc/systemd/system" / SMS).read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed")
def test_systemctl_root_enables_the_units(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(layout(root), systemctl=True)
    system = root / "etc/systemd/system"
    assert (system / "multi-user.target.wants" / TARGET).is_symlink()
    assert (system / "timers.target.wants" / TIMER).is_symlink()
    for name in (WEB, SMS, SCREEN):
        assert (system / f"{TARGET}.wants" / name).is_symlink()
    assert set(ENABLED) == {TARGET, WEB, SMS, SCREEN, TIMER}
    run(layout(root), uninstall=True, systemctl=True)
    assert not (system / "multi-user.target.wants" / TARGET).exists()


@needs_analyze
@pytest.mark.parametrize(
    "extra",
    [
        "",
        '[hardware]\nbuttons = "gpio"\n[printer]\nurl = "usb:04b8:0202"\n[sms]\nbackend = "modem"\n',
    ],
)
def test_systemd_analyze_verify_passes_on_every_unit(tmp_path: Path, extra: str) -> None:
    root = tmp_path / "root"
    lay = replace(layout(root), config=PurePosixPath("/etc/assembly-kiosk/kiosk.toml"))
    if extra:
        (root / "etc/assembly-kiosk").mkdir(parents=True)
        (root / "etc/assembly-kiosk/kiosk.toml").write_text(
            '[kiosk]\ndata_dir = "/var/lib/assembly-kiosk"\n' + extra, encoding="utf-8"
        )
    run(lay, systemctl=False)
    system = root / "etc/systemd/system"
    for name in UNITS:
        proc = subprocess.run(
            [ANALYZE, "verify", "--man=no", str(system / name)], capture_output=True, text=True, timeout=60
        )
        problems = [line for line in proc.stderr.splitlines() if name in line or "Failed" in line]
        assert proc.returncode == 0 and not problems, (name, proc.stderr)


def _supports_offline() -> bool:
    if ANALYZE is None:
        return False
    proc = subprocess.run([ANALYZE, "security", "--help"], capture_output=True, text=True, timeout=30)
    return "--offline" in proc.stdout


@pytest.mark.skipif(not _supports_offline(), reason="systemd-analyze security --offline needs systemd 252+")
def test_security_exposure_of_the_units(tmp_path: Path) -> None:
    root = tmp_path / "root"
    run(layout(root), systemctl=False)
    system = root / "etc/systemd/system"
    scores = {}
    for name in (WEB, SMS, BACKUP, SCREEN):
        proc = subprocess.run(
            [ANALYZE, "security", "--offline=yes", "--no-pager", str(system / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        last = [line for line in proc.stdout.splitlines() if "Overall exposure level" in line][-1]
        scores[name] = float(last.split(":")[1].split()[0])
    # Units that touch no device (Twilio/console gateway, backup) and the web app with only the GPIO chip.
    assert scores[SMS] <= 2.0 and scores[BACKUP] <= 2.0, scores
    assert scores[WEB] <= 2.0, scores
    assert scores[SCREEN] < 6.0, scores  # Chromium's sandbox needs namespaces; cage needs DRM and input


@pytest.mark.skipif(Path("/etc/assembly-kiosk").exists(), reason="this machine has a real installation")
def test_dry_run_on_the_real_system_lists_users_and_systemctl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would run: useradd --system --user-group --home-dir /var/lib/assembly-kiosk" in out
    assert "--shell /usr/sbin/nologin" in out and "kiosk-screen" in out
    assert "would run: systemctl daemon-reload" in out
    assert "would run: systemctl enable assembly-kiosk.target" in out
    assert not Path("/etc/assembly-kiosk").exists()
