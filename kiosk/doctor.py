"""``kiosk doctor``: check everything a meeting depends on, and say in plain words how to fix what fails.

Checks: the configuration, the database (integrity, schema up to date, a recent backup, a recovery notice),
disk space, the printer (prints only with ``--print-test``), the buttons (asks for presses only with
``--buttons``), the SMS path (the modem's SIM, signal and registration, or Twilio's credentials, with an API
call only with ``--online``), the clock, and whether the installed systemd units match the configuration.

Devices owned by a running service are not opened a second time: if the SMS gateway is running, its last
report is read from the database instead of opening the modem port under it.

Every device and the clock are injectable, so each fault can be produced in tests with real simulators.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.config import ButtonPins, Settings, load_settings
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

DISK_FULL = 8 * 1024 * 1024  # less than this: a few SQLite pages, a spool line; call it full
MIN_FREE_FAIL = 200 * 1024 * 1024
MIN_FREE_WARN = 1024 * 1024 * 1024
BACKUP_STALE_DAYS = 2
EARLIEST_YEAR = 2025

# BCM number -> physical pin on the 40-pin header (for wiring messages).
HEADER_PIN = {
    2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31, 13: 33, 19: 35,
    26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 1: 28, 12: 32, 16: 36, 20: 38, 21: 40,
}  # fmt: skip
GROUND_PINS = (6, 9, 14, 20, 25, 30, 34, 39)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Options:
    print_test: bool = False
    buttons: bool = False
    online: bool = False
    press_timeout: float = 10.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def timedatectl_synced() -> bool | None:
    """NTP synchronized according to timedatectl; None when that cannot be asked."""
    exe = shutil.which("timedatectl")
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, "show", "--property=NTPSynchronized", "--value"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip()
    return {"yes": True, "no": False}.get(value) if proc.returncode == 0 else None


def unit_active(unit: str) -> bool:
    exe = shutil.which("systemctl")
    if exe is None:
        return False
    try:
        proc = subprocess.run([exe, "is-active", "--quiet", unit], capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def pin_label(bcm: int) -> str:
    header = HEADER_PIN.get(bcm)
    return f"BCM {bcm} (header pin {header})" if header else f"BCM {bcm}"


@dataclass
class Doctor:
    """Runs the checks. Every outside thing it asks is a parameter, for tests."""

    options: Options
    clock: Callable[[], datetime] = _utcnow
    ntp_synced: Callable[[], bool | None] = timedatectl_synced
    service_active: Callable[[str], bool] = unit_active
    prompt: Callable[[str, int], None] = lambda name, pin: print(
        f"  press the {name.upper()} button ({pin_label(pin)}) ...", flush=True
    )
    layout: Any = None  # kiosk.install.Layout; None: the real system

    def run(self, config_path: str | None, env: dict[str, str] | None = None) -> list[Finding]:
        findings: list[Finding] = []
        try:
            settings = load_settings(config_path, env)
        except KioskError as exc:
            findings.append(
                Finding(
                    "configuration",
                    Status.FAIL,
                    str(exc),
                    "Fix the file at the place named above, then run `kiosk config check`. "
                    "`kiosk config template` prints every setting with its default and an explanation.",
                )
            )
            findings.append(self.check_clock())
            return findings
        findings.append(self.check_config(settings))
        for check in (
            self.check_database,
            self.check_secrecy,
            self.check_backups,
            self.check_disk,
            self.check_printer,
            self.check_buttons,
            self.check_sms,
            self.check_audio,
            self.check_units,
        ):
            try:
                findings.extend(check(settings))
            except Exception as exc:  # one broken check must not hide the others
                log.debug("check failed", exc_info=True)
                name = check.__name__.removeprefix("check_")
                findings.append(
                    Finding(name, Status.FAIL, f"the check itself failed: {exc}", "Run with -v and report it.")
                )
        findings.append(self.check_clock())
        return findings

    # --- configuration and storage -------------------------------------------------------------------

    def check_config(self, settings: Settings) -> Finding:
        if settings.source == "(built-in defaults)":
            return Finding(
                "configuration",
                Status.WARN,
                "no configuration file: running on built-in defaults (simulated buttons, receipts on screen)",
                "Give one with --config PATH or KIOSK_CONFIG "
                "(sudo kiosk install writes /etc/assembly-kiosk/kiosk.toml).",
            )
        return Finding("configuration", Status.OK, f"{settings.source} is valid")

    def check_database(self, settings: Settings) -> list[Finding]:
        from kiosk import db
        from kiosk.backup import NOTICE_FILE, CannotCheck, check_file, sqlite_path

        path = sqlite_path(settings)
        out: list[Finding] = []
        if path is not None:
            if not path.exists():
                return [
                    Finding(
                        "database",
                        Status.FAIL,
                        f"there is no database at {path}",
                        "Create it with `kiosk init` (on the Pi: sudo -u assembly-kiosk env "
                        "KIOSK_CONFIG=/etc/assembly-kiosk/kiosk.toml /opt/assembly-kiosk/.venv/bin/kiosk init), "
                        "or restore a backup with `kiosk restore FILE`.",
                    )
                ]
            try:
                problem = check_file(path)
            except CannotCheck as exc:
                return [
                    Finding(
                        "database",
                        Status.FAIL,
                        str(exc),
                        "Run kiosk commands as the service user (sudo -u assembly-kiosk ..., see docs/pi-setup.md).",
                    )
                ]
            if problem:
                return [
                    Finding(
                        "database",
                        Status.FAIL,
                        f"{path} is damaged: {problem}",
                        "Restarting the kiosk sets the damaged file aside and restores the newest backup "
                        "(sudo systemctl restart assembly-kiosk.target); or stop the kiosk and run "
                        "`kiosk restore BACKUP-FILE` yourself. Then check `kiosk audit verify`.",
                    )
                ]
            notice = path.parent / NOTICE_FILE
            if notice.exists():
                last = notice.read_text(encoding="utf-8").strip().splitlines()[-1:]
                out.append(
                    Finding(
                        "database recovery",
                        Status.WARN,
                        last[0] if last else "the database was restored from a backup",
                        f"Tell the organizers what was lost, then delete {notice} to clear this warning.",
                    )
                )
        engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
        try:
            current = db.current_revision(engine)
        except Exception as exc:
            return [
                *out,
                Finding(
                    "database",
                    Status.FAIL,
                    f"cannot open {settings.database_display}: {exc}",
                    "Check [database] url and that the database server is running.",
                ),
            ]
        finally:
            engine.dispose()
        head = db.head_revision()
        if current != head:
            out.append(
                Finding(
                    "database",
                    Status.FAIL,
                    f"the schema is at {current or 'nothing'}, this version needs {head}",
                    "Run `kiosk init` (it upgrades in place and keeps all data); take a `kiosk backup` first.",
                )
            )
        else:
            out.append(Finding("database", Status.OK, f"intact, schema up to date ({head})"))
        return out

    def check_secrecy(self, settings: Settings) -> list[Finding]:
        from kiosk.doctor_secrecy import secrecy_findings

        return secrecy_findings(settings)

    def check_backups(self, settings: Settings) -> list[Finding]:
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
        age = self.clock() - newest.taken_at
        if age.days >= BACKUP_STALE_DAYS:
            return [Finding("backups", Status.WARN, f"the newest backup is {age.days} days old ({newest.path})", fix)]
        return [Finding("backups", Status.OK, f"{len(backups)} backup(s); newest {newest.path.name}")]

    def check_disk(self, settings: Settings) -> list[Finding]:
        from kiosk.backup import sqlite_path

        fix = (
            "Free space: delete old files in the backup folder, `sudo apt clean`, `sudo journalctl --vacuum-size=50M`."
        )
        # The data folder (the SMS spool) and the SQLite file may sit on different disks: check each once.
        places = [settings.data_path]
        database = sqlite_path(settings)
        if database is not None:
            places.append(database.parent)
        out: list[Finding] = []
        seen: set[int] = set()
        for place in places:
            where = place.resolve()
            while not where.exists():
                where = where.parent
            device = where.stat().st_dev
            if device in seen:
                continue
            seen.add(device)
            free = shutil.disk_usage(where).free
            if free < DISK_FULL:
                text = (
                    f"the disk is full ({free / 1024**2:.1f} MB free on {where}): the kiosk cannot save sign-ins, "
                    "votes, texts or print jobs until space is freed (it carries on by itself then)"
                )
                out.append(Finding("disk", Status.FAIL, text, fix))
                continue
            text = f"{free / 1024**3:.1f} GB free on {where}"
            if free < MIN_FREE_FAIL:
                out.append(Finding("disk", Status.FAIL, text, fix))
            elif free < MIN_FREE_WARN:
                out.append(Finding("disk", Status.WARN, text, fix))
            else:
                out.append(Finding("disk", Status.OK, text))
        return out

    # --- devices -------------------------------------------------------------------------------------

    def check_printer(self, settings: Settings) -> list[Finding]:
        return [*self._probe_printer(settings), *self._print_queue_report(settings)]

    def _print_queue_report(self, settings: Settings) -> list[Finding]:
        """What the running kiosk's print worker last said: a printer that answers the doctor's status query
        can still have dropped mid-receipt, and receipts may be waiting."""
        from kiosk import db
        from kiosk.backup import sqlite_path
        from kiosk.device_status import device_statuses
        from kiosk.print_queue import PrintQueue

        path = sqlite_path(settings)
        if settings.printer.url == "none" or (path is not None and not path.exists()):
            return []
        engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
        try:
            status = device_statuses(engine).get("printer")
            waiting = PrintQueue(engine).pending()
        except Exception as exc:  # no tables yet, an old schema: the database check says so
            log.debug("print queue report unavailable: %s", exc)
            return []
        finally:
            engine.dispose()
        if status is None or status["ok"]:
            return []
        return [
            Finding(
                "print queue",
                Status.FAIL,
                f"the kiosk's print worker reports: {status['summary']} ({waiting} receipt(s) waiting, "
                f"as of {status['updated_at']:%H:%M:%S} UTC)",
                "Fix the printer (power, cable, paper, cover); waiting receipts then print by themselves, in order, "
                "each once. Receipts cut off by a restart are listed on the organizer devices page for reprinting.",
            )
        ]

    def _probe_printer(self, settings: Settings) -> list[Finding]:
        from hardware.printer import PrinterError, open_printer, print_test_page

        p = settings.printer
        if p.url == "none":
            return [Finding("printer", Status.WARN, "printing is turned off ([printer] url = none)", "")]
        if p.url == "console":
            return [
                Finding(
                    "printer",
                    Status.WARN,
                    "receipts are shown on screen only ([printer] url = console)",
                    "Set [printer] url to your printer (e.g. usb:04b8:0202 or network:192.168.1.50).",
                )
            ]
        fix = (
            "Check that the printer is switched on, its cable is in, its cover is closed and it has paper; "
            "then check [printer] url. `kiosk printer test` prints a test page."
        )
        try:
            printer = open_printer(
                p.url, profile=p.profile, columns=p.columns, timeout=p.timeout_s, codepage=p.codepage
            )
        except (ValueError, PrinterError) as exc:
            return [Finding("printer", Status.FAIL, str(exc), "Correct [printer] url in the configuration.")]
        try:
            if self.options.print_test:
                try:
                    summary = print_test_page(printer)
                except PrinterError as exc:
                    return [Finding("printer", Status.FAIL, f"the test page did not print: {exc}", fix)]
                return [Finding("printer", Status.OK, summary)]
            status = printer.status()
        finally:
            printer.close()
        if status.online is False:
            return [Finding("printer", Status.FAIL, status.detail, fix)]
        if status.paper == "out":
            return [Finding("printer", Status.FAIL, status.detail, "Load a new paper roll.")]
        if status.paper == "low":
            return [Finding("printer", Status.WARN, status.detail, "Have a spare paper roll ready.")]
        return [Finding("printer", Status.OK, f"{status.detail} (add --print-test to print a test page)")]

    def check_buttons(self, settings: Settings) -> list[Finding]:
        mode = settings.hardware.buttons
        if mode == "none":
            return [Finding("buttons", Status.OK, "no buttons configured (touch and keyboard only)")]
        if mode == "simulated":
            return [
                Finding(
                    "buttons",
                    Status.WARN,
                    "buttons are simulated (on-screen panel)",
                    'For the arcade buttons set [hardware] buttons = "gpio".',
                )
            ]
        pins = {f.name: getattr(settings.buttons, f.name) for f in fields(ButtonPins)}
        listing = ", ".join(f"{name} {pin_label(pin)}" for name, pin in pins.items())
        if not self.options.buttons:
            return [Finding("buttons", Status.OK, f"configured: {listing} (add --buttons to test each one)")]
        if self.service_active("assembly-kiosk-web.service"):
            return [
                Finding(
                    "buttons",
                    Status.FAIL,
                    "the kiosk web app is running and holds the button pins",
                    "Stop it for the test (sudo systemctl stop assembly-kiosk-web), then start it again.",
                )
            ]
        return [self._press(name, pin) for name, pin in pins.items()]

    def _press(self, name: str, pin: int) -> Finding:
        from gpiozero import Button
        from gpiozero.exc import GPIOZeroError

        wiring = (
            f"Check the wires: one leg of the {name} button to {pin_label(pin)}, the other to a ground pin "
            f"(e.g. header pin {GROUND_PINS[1]}); check the pin number in [buttons] {name}."
        )
        try:
            button = Button(pin, pull_up=True, bounce_time=None)
        except (GPIOZeroError, OSError) as exc:
            return Finding(f"button {name}", Status.FAIL, f"cannot open {pin_label(pin)}: {exc}", wiring)
        try:
            if button.is_pressed:
                return Finding(
                    f"button {name}",
                    Status.FAIL,
                    f"{pin_label(pin)} reads pressed before anyone pressed it (stuck button or a short to ground)",
                    wiring,
                )
            self.prompt(name, pin)
            if button.wait_for_press(timeout=self.options.press_timeout):
                return Finding(f"button {name}", Status.OK, f"press seen on {pin_label(pin)}")
            return Finding(
                f"button {name}",
                Status.FAIL,
                f"no press seen on {pin_label(pin)} within {self.options.press_timeout:g} s",
                wiring,
            )
        finally:
            button.close()

    def check_audio(self, settings: Settings) -> list[Finding]:
        from kiosk.audio.doctor import audio_findings

        return [
            Finding(check, Status(status), message, fix) for check, status, message, fix in audio_findings(settings)
        ]

    def check_sms(self, settings: Settings) -> list[Finding]:
        backend = settings.sms.backend
        if backend == "console":
            return [
                Finding(
                    "sms",
                    Status.WARN,
                    "texts are simulated ([sms] backend = console)",
                    'For real texts set [sms] backend = "twilio" or "modem" (see docs/pi-setup.md).',
                )
            ]
        if backend == "twilio":
            return self._check_twilio(settings)
        return self._check_modem(settings)

    def _check_twilio(self, settings: Settings) -> list[Finding]:
        import re

        t = settings.twilio
        out = []
        problems = []
        if not re.fullmatch(r"AC[0-9a-f]{32}", t.account_sid):
            problems.append("account_sid must be AC followed by 32 hex digits")
        if not re.fullmatch(r"[0-9a-f]{32}", t.auth_token):
            problems.append("auth_token must be 32 hex digits")
        if not re.fullmatch(r"\+[1-9]\d{6,14}", t.from_number):
            problems.append("from_number must be in E.164 form, e.g. +15105550199")
        if t.inbound == "webhook" and not t.public_url.startswith("https://"):
            problems.append("inbound = webhook needs public_url, the https:// address Twilio calls")
        fix = (
            "Copy the Account SID and Auth Token from the Twilio console (console.twilio.com, Account Info) "
            "into [sms.twilio]; the number from Phone Numbers > Active numbers."
        )
        if problems:
            return [Finding("twilio", Status.FAIL, "; ".join(problems), fix)]
        out.append(Finding("twilio", Status.OK, f"credentials look right; sending from {t.from_number}"))
        if self.options.online:
            out.append(self._twilio_online(settings, fix))
        return out

    def _twilio_online(self, settings: Settings, fix: str) -> Finding:
        from sms.twilio_backend import TwilioBackend

        t = settings.twilio
        backend = TwilioBackend(t.account_sid, t.auth_token, t.from_number, api_base=t.api_base or None, timeout=10)
        try:
            texts = backend.poll()  # one authenticated list call
            status = backend.status()
        finally:
            backend.close()
        if status.last_error:
            return Finding("twilio online", Status.FAIL, f"Twilio said: {status.last_error}", fix)
        return Finding("twilio online", Status.OK, f"Twilio answered; {len(texts)} recent inbound text(s)")

    def _check_modem(self, settings: Settings) -> list[Finding]:
        m = settings.modem
        if self.service_active("assembly-kiosk-sms.service"):
            return [self._gateway_report(settings)]
        if not Path(m.port).exists():
            return [
                Finding(
                    "modem",
                    Status.FAIL,
                    f"no modem at {m.port}",
                    "Plug the modem in (a powered USB hub helps), wait 20 s, and look for it with "
                    "`ls -l /dev/serial/by-id/`; put that path in [sms.modem] port.",
                )
            ]
        from sms.gsm_modem import GsmModemBackend

        modem = GsmModemBackend(m.port, baudrate=m.baudrate, pin=m.pin or None, timeout=3.0, sim_busy_wait=5.0)
        try:
            info = modem.status()
        finally:
            modem.close()
        if info.fatal:
            return [
                Finding(
                    "modem",
                    Status.FAIL,
                    f"SIM: {info.fatal}",
                    "Put the SIM's PIN in [sms.modem] pin, or remove the PIN by putting the SIM in a phone.",
                )
            ]
        if not info.connected:
            return [
                Finding(
                    "modem",
                    Status.FAIL,
                    f"the modem at {m.port} does not answer ({info.last_error or 'no reply'})",
                    "Unplug the modem and plug it in again; check [sms.modem] port and baudrate.",
                )
            ]
        out = []
        reg = info.registration
        if reg in ("home", "roaming"):
            out.append(Finding("modem network", Status.OK, f"registered ({reg}), operator {info.operator}"))
        else:
            out.append(
                Finding(
                    "modem network",
                    Status.FAIL,
                    f"not registered on a network ({reg})",
                    "Check the SIM is active and has credit, and that the antenna is screwed on; move the "
                    "modem nearer a window.",
                )
            )
        signal = info.signal
        bars = signal.bars if signal else None
        if bars is None:
            out.append(Finding("modem signal", Status.WARN, "no signal reading", "Check the antenna."))
        elif bars <= 1:
            out.append(
                Finding(
                    "modem signal",
                    Status.WARN,
                    f"weak signal ({signal.dbm if signal else None} dBm)",
                    "Move the modem or its antenna nearer a window; use a USB extension cable.",
                )
            )
        else:
            out.append(Finding("modem signal", Status.OK, f"{bars} bars ({signal.dbm if signal else None} dBm)"))
        return out

    def _gateway_report(self, settings: Settings) -> Finding:
        from kiosk import db
        from kiosk.device_status import device_statuses

        engine = db.make_engine(settings.database_url)
        try:
            rows = {k: v for k, v in device_statuses(engine).items() if k.startswith("sms")}
        finally:
            engine.dispose()
        bad = [f"{k}: {v['summary']}" for k, v in rows.items() if not v["ok"]]
        if bad:
            return Finding(
                "modem",
                Status.FAIL,
                "the running SMS gateway reports: " + "; ".join(bad),
                "See `kiosk sms status`; `journalctl -u assembly-kiosk-sms` has the details.",
            )
        summary = "; ".join(f"{k}: {v['summary']}" for k, v in rows.items()) or "no report yet"
        return Finding("modem", Status.OK, f"the SMS gateway is running and owns the modem ({summary})")

    # --- clock and installation ----------------------------------------------------------------------

    def check_clock(self) -> Finding:
        now = self.clock()
        fix = (
            "Connect the Pi to a network so it can set its clock (check `timedatectl`), or set it by hand: "
            "sudo date -s '2026-12-03 18:30'. A wrong clock breaks meeting times and Twilio's signatures; "
            "a Pi has no battery clock unless you add one."
        )
        if now.year < EARLIEST_YEAR:
            return Finding("clock", Status.FAIL, f"the clock says {now:%Y-%m-%d %H:%M} UTC, which cannot be right", fix)
        synced = self.ntp_synced()
        if synced is False:
            return Finding(
                "clock",
                Status.FAIL,
                f"the clock ({now:%Y-%m-%d %H:%M} UTC) is not synchronized with the network (NTP)",
                fix,
            )
        suffix = "" if synced else " (cannot ask timedatectl whether it is synchronized)"
        return Finding("clock", Status.OK, f"{now:%Y-%m-%d %H:%M} UTC{suffix}")

    def check_units(self, settings: Settings) -> list[Finding]:
        from kiosk.install import TARGET, Layout, units_up_to_date

        layout = self.layout or Layout()
        if not layout.on_disk(layout.unit_dir / TARGET).exists():
            return [Finding("systemd units", Status.SKIP, "not installed (sudo kiosk install sets up a Pi)")]
        stale = units_up_to_date(settings, layout)
        if stale:
            return [
                Finding(
                    "systemd units",
                    Status.WARN,
                    f"out of date with the configuration: {', '.join(stale)}",
                    "Run `sudo /opt/assembly-kiosk/.venv/bin/kiosk install` again, then "
                    "`sudo systemctl restart assembly-kiosk.target`.",
                )
            ]
        return [Finding("systemd units", Status.OK, "installed and matching the configuration")]


def failed(findings: list[Finding]) -> bool:
    return any(f.status is Status.FAIL for f in findings)


def format_report(findings: list[Finding]) -> str:
    label = {Status.OK: " OK ", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "SKIP"}
    lines = []
    for f in findings:
        lines.append(f"[{label[f.status]}] {f.check}: {f.message}")
        if f.fix and f.status in (Status.FAIL, Status.WARN):
            lines.append(f"       fix: {f.fix}")
    n_fail = sum(f.status is Status.FAIL for f in findings)
    n_warn = sum(f.status is Status.WARN for f in findings)
    lines.append(f"{n_fail} problem(s), {n_warn} warning(s)" if n_fail or n_warn else "everything looks right")
    return "\n".join(lines)


def report_json(findings: list[Finding]) -> str:
    return json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2)
