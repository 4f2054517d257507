"""``kiosk install``: set up a Raspberry Pi to run the kiosk under systemd (and ``--uninstall`` to take it away).

What it does, as root, every step safe to repeat:

- creates the system user ``assembly-kiosk`` (groups gpio, dialout, lp: buttons, modem, printer) that runs the
  web app and the SMS gateway, and ``kiosk-screen`` (video, render, input) that runs Chromium, so the browser
  cannot read the tally database;
- creates the data folder (mode 0700, owned by the service user) and writes the configuration template to
  ``/etc/assembly-kiosk/kiosk.toml`` (0640, readable by the service user: it may hold the Twilio token) unless
  a configuration is there already (it is never overwritten);
- writes the units from ``systemd/*.in`` with this machine's paths (the venv's ``kiosk``), with device access
  derived from the configuration (GPIO only with ``buttons = "gpio"``, the printer's and the modem's devices),
  Chromium's managed policy and, for a USB printer, a udev rule; then enables them.

``--uninstall`` disables and removes the units, the policy and the udev rule, and never the data, the
configuration or the users. ``--root DIR`` writes into a directory instead of ``/`` (tests, image building):
users are then not created, ownership is not changed, and units are enabled with ``systemctl --root``.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from kiosk.config import Settings, parse_settings, template
from kiosk.db import postgresql_driver_problem
from kiosk.errors import KioskError
from kiosk.screen_browser import screen_flags

SOURCE = Path(__file__).resolve().parents[1]
TEMPLATES = SOURCE / "systemd"

TARGET = "assembly-kiosk.target"
WEB = "assembly-kiosk-web.service"
SMS = "assembly-kiosk-sms.service"
SCREEN = "assembly-kiosk-screen.service"
BACKUP = "assembly-kiosk-backup.service"
TIMER = "assembly-kiosk-backup.timer"
UNITS = (TARGET, WEB, SMS, SCREEN, BACKUP, TIMER)
ENABLED = (TARGET, WEB, SMS, SCREEN, TIMER)  # the backup service is started by its timer

SERVICE_GROUPS = ("gpio", "dialout", "lp")  # Pi OS Bookworm: /dev/gpiochip*, serial ports, printers
SCREEN_GROUPS = ("video", "render", "input")  # DRM/KMS, the GPU, the touchscreen


class InstallError(KioskError):
    """The installation cannot go on; nothing after the failing step was done."""


class StepKind(StrEnum):
    MKDIR = "mkdir"
    WRITE = "write"
    REMOVE = "remove"
    RUN = "run"


_DEFAULT_KIOSK_EXE = PurePosixPath(sys.prefix) / "bin" / "kiosk"
_DEFAULT_SOURCE = PurePosixPath(SOURCE)
_DEFAULT_CONFIG = PurePosixPath("/etc/assembly-kiosk/kiosk.toml")
_DEFAULT_DATA = PurePosixPath("/var/lib/assembly-kiosk")
_DEFAULT_SCREEN_HOME = PurePosixPath("/var/lib/kiosk-screen")
_DEFAULT_UNIT_DIR = PurePosixPath("/etc/systemd/system")
_DEFAULT_POLICY = PurePosixPath("/etc/chromium/policies/managed/assembly-kiosk.json")
_DEFAULT_UDEV_RULE = PurePosixPath("/etc/udev/rules.d/70-assembly-kiosk-printer.rules")


@dataclass(frozen=True)
class Layout:
    """Where everything goes, as absolute paths on the target system; ``root`` prefixes them on disk."""

    root: Path = Path("/")
    kiosk_exe: PurePosixPath = _DEFAULT_KIOSK_EXE
    source: PurePosixPath = _DEFAULT_SOURCE
    user: str = "assembly-kiosk"
    screen_user: str = "kiosk-screen"
    config: PurePosixPath = _DEFAULT_CONFIG
    data: PurePosixPath = _DEFAULT_DATA
    screen_home: PurePosixPath = _DEFAULT_SCREEN_HOME
    unit_dir: PurePosixPath = _DEFAULT_UNIT_DIR
    policy: PurePosixPath = _DEFAULT_POLICY
    udev_rule: PurePosixPath = _DEFAULT_UDEV_RULE

    def on_disk(self, path: PurePosixPath) -> Path:
        return self.root / path.relative_to("/")

    @property
    def real(self) -> bool:
        return self.root.resolve() == Path("/")


@dataclass(frozen=True)
class Step:
    kind: StepKind
    path: PurePosixPath | None = None
    content: str | None = None
    mode: int | None = None
    owner: str | None = None  # "user" or "user:group"
    argv: tuple[str, ...] = ()
    why: str = ""
    skip_if: Callable[[], bool] | None = field(default=None, compare=False)

    def describe(self) -> str:
        if self.kind is StepKind.RUN:
            return f"run: {' '.join(self.argv)}" + (f"  ({self.why})" if self.why else "")
        extra = f" mode {self.mode:04o}" if self.mode is not None else ""
        extra += f" owner {self.owner}" if self.owner else ""
        what = {"mkdir": "create folder", "write": "write", "remove": "remove"}[self.kind]
        return f"{what} {self.path}{extra}" + (f"  ({self.why})" if self.why else "")


# --- rendering -------------------------------------------------------------------------------------------


def _tty_class(port: str) -> list[str]:
    """systemd device classes (``/proc/devices`` names) a serial port may belong to."""
    if port.startswith("/dev/serial/"):  # by-id/by-path links to a USB serial device
        return ["char-ttyUSB", "char-ttyACM"]
    name = re.sub(r"\d+$", "", PurePosixPath(port).name)
    return [f"char-{name}"] if name.startswith("tty") else []


def _printer_access(url: str) -> tuple[list[str], list[str], bool]:
    """(DeviceAllow classes or paths, extra ReadWritePaths, needs netlink) for a printer URL."""
    scheme, _, rest = url.partition(":")
    if scheme == "usb":  # python-escpos over libusb: /dev/bus/usb/BBB/DDD; libusb watches hotplug over netlink
        return ["char-usb_device"], [], True
    if scheme == "serial":
        return _tty_class(rest.split("?")[0]), [], False
    if scheme == "file":
        path = rest.split("?")[0]
        if path.startswith("/dev/usb/lp"):
            return ["char-usb"], [], False  # usblp
        if path.startswith("/dev/"):
            return _tty_class(path) or [path], [], False
        return [], [str(PurePosixPath(path).parent)], False
    return [], [], False  # network, console, none


def web_device_access(settings: Settings) -> tuple[list[str], list[str], bool]:
    devices, paths, netlink = _printer_access(settings.printer.url)
    if settings.hardware.buttons == "gpio":
        devices = ["char-gpiochip", *devices]  # gpiozero 2 on Bookworm drives pins through lgpio: /dev/gpiochip*
    return devices, paths, netlink


def sms_device_access(settings: Settings) -> list[str]:
    return _tty_class(settings.modem.port) if settings.sms.backend == "modem" else []


def _device_block(devices: list[str], extra_paths: list[str], netlink: bool) -> str:
    families = "AF_UNIX AF_INET AF_INET6" + (" AF_NETLINK" if netlink else "")
    if not devices:
        lines = ["# No device: a private /dev with only null, zero, random and the like.", "PrivateDevices=yes"]
        lines += ["PrivateUsers=yes"]
    else:
        lines = ["# Only the devices the configuration names (re-run `kiosk install` after changing them)."]
        lines += ["PrivateDevices=no", "DevicePolicy=closed"]
        lines += [f"DeviceAllow={d} rw" for d in devices]
    lines += [f"ReadWritePaths={p}" for p in extra_paths]
    lines.append(f"RestrictAddressFamilies={families}")
    return "\n".join(lines)


def _local_url(settings: Settings) -> str:
    """The web app's own origin as the Pi's browser reaches it, with a trailing slash."""
    host = settings.server.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{settings.server.port}/"


def screen_url(settings: Settings) -> str:
    """The one page the kiosk screen opens: the attendee screen (``/`` is the meetings list, not for attendees).

    The screen unit, Chromium's start-up and home pages all use this, so they cannot disagree.
    """
    return _local_url(settings) + "kiosk/"


def _first_existing(layout: Layout, names: tuple[str, ...]) -> str:
    for name in names:
        if layout.on_disk(PurePosixPath(name)).exists():
            return name
    return names[-1]


def render_units(settings: Settings, layout: Layout) -> dict[str, str]:
    """Every unit's text, by file name, for this configuration and layout."""
    data = str(layout.data)
    backup = settings.backup_path
    backup_rw = "" if not settings.backup.folder else f"-{backup}"  # "-": a missing USB stick is not an error
    web_devices, web_paths, netlink = web_device_access(settings)
    under_home = str(layout.kiosk_exe).startswith("/home/") or str(layout.source).startswith("/home/")
    values = {
        "KIOSK": str(layout.kiosk_exe),
        "CONFIG": str(layout.config),
        "DATA": data,
        "USER": layout.user,
        "SCREEN_USER": layout.screen_user,
        "SCREEN_HOME": str(layout.screen_home),
        "SOURCE": str(layout.source),
        "POLICY": str(layout.policy),
        # A venv under /home must stay readable; /opt/assembly-kiosk (the guide's choice) allows ProtectHome=yes.
        "PROTECT_HOME": "read-only" if under_home else "yes",
        "BACKUP_RW": backup_rw,
        "HOST": "127.0.0.1" if settings.server.host in ("0.0.0.0", "::") else settings.server.host,
        "PORT": str(settings.server.port),
        "URL": screen_url(settings),
        "CAGE": _first_existing(layout, ("/usr/bin/cage",)),
        "CHROMIUM": _first_existing(layout, ("/usr/bin/chromium-browser", "/usr/bin/chromium")),
        "CHROMIUM_FLAGS": screen_flags(),
    }
    out = {}
    for name in UNITS:
        text = (TEMPLATES / f"{name}.in").read_text(encoding="utf-8")
        devices = ""
        if name == WEB:
            devices = _device_block(web_devices, web_paths, netlink)
        elif name == SMS:
            devices = _device_block(sms_device_access(settings), [], False)
        text = text.replace("@DEVICES@", devices)
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        text = re.sub(r"[ \t]+\n", "\n", text)
        leftover = re.findall(r"@[A-Z_]+@", text)
        if leftover:
            raise InstallError(f"{name}.in: unknown placeholders {leftover}")
        out[name] = text
    return out


def chromium_policy(settings: Settings) -> dict[str, Any]:
    """Chromium's managed policy: only the local kiosk pages load; no dev tools, downloads, popups or profiles."""
    origin = _local_url(settings).rstrip("/")
    return {
        "URLBlocklist": ["*"],  # everything else, file:// and chrome:// (settings, flags, new tab) included
        "URLAllowlist": [origin],
        "DeveloperToolsAvailability": 2,
        "IncognitoModeAvailability": 1,
        "BrowserGuestModeEnabled": False,
        "BrowserAddPersonEnabled": False,
        "DefaultPopupsSetting": 2,  # pages cannot open new windows
        "AutoplayAllowed": True,  # the audio ballot speaks on button presses (not user gestures to Chromium)
        "DefaultNotificationsSetting": 2,
        "DefaultGeolocationSetting": 2,
        "DownloadRestrictions": 3,
        "AllowFileSelectionDialogs": False,
        "PrintingEnabled": False,
        "PasswordManagerEnabled": False,
        "AutofillAddressEnabled": False,
        "AutofillCreditCardEnabled": False,
        "TranslateEnabled": False,
        "SpellcheckEnabled": False,
        "SearchSuggestEnabled": False,
        "BookmarkBarEnabled": False,
        "EditBookmarksEnabled": False,
        "ExtensionInstallBlocklist": ["*"],
        "TaskManagerEnabled": False,
        "BackgroundModeEnabled": False,
        "MetricsReportingEnabled": False,
        "SafeBrowsingProtectionLevel": 0,  # no calls to Google from a kiosk that only shows a local page
        "ComponentUpdatesEnabled": False,
        "RestoreOnStartup": 4,
        "RestoreOnStartupURLs": [screen_url(settings)],
        "HomepageLocation": screen_url(settings),
        "NewTabPageLocation": screen_url(settings),
        "ShowHomeButton": False,
        "FullscreenAllowed": True,
    }


def udev_rule(settings: Settings, layout: Layout) -> str | None:
    """A USB printer opened through libusb needs its device node writable by the service user."""
    url = settings.printer.url
    if not url.startswith("usb:"):
        return None
    parts = url.split("?")[0].split(":")
    if len(parts) < 3:
        return None
    vid, pid = (p.lower().removeprefix("0x").zfill(4) for p in parts[1:3])
    return (
        "# Written by `kiosk install`: the receipt printer, for the kiosk's service user (group lp).\n"
        f'SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vid}", ATTR{{idProduct}}=="{pid}", MODE="0660", GROUP="lp"\n'
    )


def config_text(layout: Layout) -> str:
    """The configuration template, with this machine's data folder and real buttons."""
    text = template()
    text = text.replace('data_dir = "data"', f'data_dir = "{layout.data}"', 1)
    text = text.replace('buttons = "simulated"', 'buttons = "gpio"', 1)
    return text


def effective_settings(layout: Layout) -> tuple[Settings, bool]:
    """The configuration the units are written for: the existing file, else the template about to be written."""
    path = layout.on_disk(layout.config)
    if path.exists():
        return parse_settings(path.read_text(encoding="utf-8"), str(path)), True
    return parse_settings(config_text(layout), str(layout.config)), False


# --- planning --------------------------------------------------------------------------------------------


def _existing_groups(names: tuple[str, ...]) -> list[str]:
    out = []
    for name in names:
        try:
            grp.getgrnam(name)
        except KeyError:
            continue
        out.append(name)
    return out


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def plan_install(layout: Layout, *, systemctl: bool = True) -> list[Step]:
    settings, have_config = effective_settings(layout)
    if have_config:
        if not PurePosixPath(settings.kiosk.data_dir).is_absolute():
            raise InstallError(
                f"{layout.config}: [kiosk] data_dir must be an absolute path for the services "
                f'(e.g. data_dir = "{layout.data}")'
            )
        layout = replace(layout, data=PurePosixPath(settings.kiosk.data_dir))
    if settings.database.url.strip().lower().startswith("postgresql"):
        problem = postgresql_driver_problem()
        if problem:  # the services would fail at every start; say so now, while someone is at the terminal
            raise InstallError(f"{layout.config}: [database] url is a PostgreSQL database, but {problem}")
    owner = f"{layout.user}:{layout.user}"
    steps: list[Step] = []
    if layout.real:
        for user, home, groups, comment in [
            (layout.user, layout.data, SERVICE_GROUPS, "Assembly Kiosk"),
            (layout.screen_user, layout.screen_home, SCREEN_GROUPS, "Assembly Kiosk screen"),
        ]:
            steps.append(
                Step(
                    StepKind.RUN,
                    argv=(
                        "useradd",
                        "--system",
                        "--user-group",
                        "--home-dir",
                        str(home),
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        "--comment",
                        comment,
                        user,
                    ),
                    why="the user the services run as",
                    skip_if=lambda u=user: _user_exists(u),  # type: ignore[misc]
                )
            )
            present = _existing_groups(groups)
            if present:
                steps.append(Step(StepKind.RUN, argv=("usermod", "--append", "--groups", ",".join(present), user)))
    steps.append(Step(StepKind.MKDIR, layout.data, mode=0o700, owner=owner, why="the database and state"))
    steps.append(
        Step(StepKind.MKDIR, layout.screen_home, mode=0o700, owner=f"{layout.screen_user}:{layout.screen_user}")
    )
    steps.append(Step(StepKind.MKDIR, layout.config.parent, mode=0o750, owner=f"root:{layout.user}"))
    if not have_config:
        steps.append(
            Step(StepKind.WRITE, layout.config, config_text(layout), 0o640, f"root:{layout.user}", why="edit me")
        )
    for name, text in render_units(settings, layout).items():
        steps.append(Step(StepKind.WRITE, layout.unit_dir / name, text, 0o644))
    policy = json.dumps(chromium_policy(settings), indent=2) + "\n"
    steps.append(Step(StepKind.MKDIR, layout.policy.parent, mode=0o755))
    steps.append(Step(StepKind.WRITE, layout.policy, policy, 0o644, why="Chromium shows only the kiosk"))
    rule = udev_rule(settings, layout)
    if rule:
        steps.append(Step(StepKind.WRITE, layout.udev_rule, rule, 0o644, why="USB printer access"))
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("udevadm", "control", "--reload-rules")))
            steps.append(Step(StepKind.RUN, argv=("udevadm", "trigger", "--subsystem-match=usb")))
    if systemctl:
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("systemctl", "daemon-reload")))
            steps.append(Step(StepKind.RUN, argv=("systemctl", "enable", *ENABLED)))
        else:
            steps.append(Step(StepKind.RUN, argv=("systemctl", f"--root={layout.root}", "enable", *ENABLED)))
    return steps


def plan_uninstall(layout: Layout, *, systemctl: bool = True) -> list[Step]:
    steps: list[Step] = []
    if systemctl:
        if layout.real:
            steps.append(Step(StepKind.RUN, argv=("systemctl", "disable", "--now", *UNITS)))
        else:
            steps.append(Step(StepKind.RUN, argv=("systemctl", f"--root={layout.root}", "disable", *UNITS)))
    for name in UNITS:
        steps.append(Step(StepKind.REMOVE, layout.unit_dir / name))
    steps.append(Step(StepKind.REMOVE, layout.policy))
    steps.append(Step(StepKind.REMOVE, layout.udev_rule))
    if systemctl and layout.real:
        steps.append(Step(StepKind.RUN, argv=("systemctl", "daemon-reload")))
    return steps


# --- applying --------------------------------------------------------------------------------------------


def _chown(layout: Layout, path: Path, owner: str | None) -> str:
    if not owner or not layout.real:
        return ""
    user, _, group = owner.partition(":")
    try:
        uid = pwd.getpwnam(user).pw_uid
        gid = grp.getgrnam(group or user).gr_gid
    except KeyError:
        return f" (owner {owner} does not exist yet)"
    st = path.stat()
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
        return " (owner set)"
    return ""


def apply_step(step: Step, layout: Layout) -> str | None:
    """Do one step; a line saying what changed, or None when it was already so."""
    if step.kind is StepKind.RUN:
        if step.skip_if is not None and step.skip_if():
            return None
        exe = shutil.which(step.argv[0])
        if exe is None:
            raise InstallError(f"{step.argv[0]} is not installed; cannot {step.describe()}")
        proc = subprocess.run([exe, *step.argv[1:]], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise InstallError(f"`{' '.join(step.argv)}` failed: {(proc.stderr or proc.stdout).strip()}")
        return f"ran {' '.join(step.argv)}"
    assert step.path is not None
    path = layout.on_disk(step.path)
    if step.kind is StepKind.REMOVE:
        if not path.exists():
            return None
        path.unlink()
        return f"removed {step.path}"
    changed = False
    if step.kind is StepKind.MKDIR:
        if not path.is_dir():
            path.mkdir(parents=True, mode=step.mode or 0o755)
            changed = True
    else:
        assert step.content is not None
        if not path.exists() or path.read_text(encoding="utf-8") != step.content:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.new")
            tmp.write_text(step.content, encoding="utf-8")
            os.chmod(tmp, step.mode or 0o644)
            tmp.replace(path)
            changed = True
    note = ""
    if step.mode is not None and (path.stat().st_mode & 0o7777) != step.mode:
        os.chmod(path, step.mode)
        changed = True
    note = _chown(layout, path, step.owner)
    if changed or note:
        return f"{step.describe()}{note}"
    return None


def run(layout: Layout, *, uninstall: bool = False, dry_run: bool = False, systemctl: bool | None = None) -> list[str]:
    """Install (or uninstall) into ``layout``; returns the lines to print. ``systemctl`` None: use it if present."""
    if systemctl is None:
        systemctl = shutil.which("systemctl") is not None
    if layout.real and os.geteuid() != 0 and not dry_run:
        raise InstallError("kiosk install changes the system: run it as root (sudo .venv/bin/kiosk install)")
    if not uninstall and not dry_run and not Path(layout.kiosk_exe).exists() and layout.real:
        raise InstallError(f"{layout.kiosk_exe} does not exist; run kiosk install from the venv's kiosk")
    steps = plan_uninstall(layout, systemctl=systemctl) if uninstall else plan_install(layout, systemctl=systemctl)
    if dry_run:
        return ["would " + s.describe() for s in steps]
    lines = [line for s in steps if (line := apply_step(s, layout))]
    if not lines:
        lines = ["nothing to change: already installed" if not uninstall else "nothing to remove"]
    if uninstall:
        lines.append(f"kept: the data in {layout.data}, the configuration {layout.config} and the users")
    return lines


def layout_for(root: str | None, kiosk_exe: str | None = None) -> Layout:
    layout = Layout()
    if root:
        layout = replace(layout, root=Path(root))
    if kiosk_exe:
        layout = replace(layout, kiosk_exe=PurePosixPath(kiosk_exe))
    return layout


def units_up_to_date(settings: Settings, layout: Layout | None = None) -> list[str]:
    """Installed units that differ from what this configuration would write (for ``kiosk doctor``)."""
    layout = layout or Layout()
    stale = []
    for name, text in render_units(settings, layout).items():
        path = layout.on_disk(layout.unit_dir / name)
        if path.exists() and path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
