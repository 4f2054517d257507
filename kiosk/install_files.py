"""What ``kiosk install`` writes, and where: the ``Layout`` of paths on the target system, the systemd units rendered
from ``systemd/*.in`` with device access derived from the configuration, Chromium's managed policy, the udev rule
for a USB printer and the configuration template. Pure functions of the configuration and the layout; ``kiosk.install``
plans and applies the steps that put them on disk, and ``kiosk doctor`` compares the installed units with them."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kiosk.config import Settings, parse_settings, template
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
