"""The one configuration file: its settings, their defaults and documentation, and validation at start-up.

Every setting is declared once here, with its type, default and a sentence of documentation. The documented
template (`kiosk config template`, and ``docs/configuration.md``) is generated from these declarations, and a
test fails when a setting lacks documentation. ``kiosk demo`` runs with no file at all.

The file comes from ``--config PATH`` or ``KIOSK_CONFIG``; the database URL may be overridden by
``KIOSK_DATABASE_URL``. A bad file, an unknown key or a value of the wrong kind stops start-up with a message
naming the file, the key and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_args, get_origin
from zoneinfo import ZoneInfo

from kiosk.config_checks import validate
from kiosk.errors import ConfigError


def setting(default: Any, doc: str, *, choices: tuple[str, ...] | None = None) -> Any:
    """Declare a setting: its default, one line of documentation, and (for strings) the allowed values."""
    meta = {"doc": doc, "choices": choices}
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class OrganizationSettings:
    name: str = setting("Assembly Kiosk Demo", "The organization's name, shown on pages, receipts and texts.")
    timezone: str = setting("America/Los_Angeles", "IANA time zone for meeting times entered without an offset.")
    default_region: str = setting(
        "US", "Region for phone numbers written without a country code (ISO 3166 code, e.g. US, MX)."
    )
    sms_number: str = setting(
        "", "The number members text to RSVP, printed on receipts (e.g. +1 510 555 0199). Empty: not shown."
    )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = setting(
        "",
        "SQLAlchemy URL of the tally database. Empty: SQLite file tally.db in [kiosk] data_dir. "
        "PostgreSQL (needs assembly-kiosk[postgresql]): postgresql+psycopg://user:password@host/dbname. "
        "Overridden by KIOSK_DATABASE_URL.",
    )
    busy_timeout_ms: int = setting(
        10000, "How long a writer waits for another writer's lock before giving up (SQLite), in ms."
    )
    close_wait_s: int = setting(
        30,
        "When voting closes, how long (seconds) the rewrite of the SQLite files that erases the order of casting "
        "waits for another program reading the database (a backup, a sqlite3 shell). If it cannot finish, "
        "`kiosk meeting close` says so and exits non-zero, and the kiosk finishes it at its next start.",
    )


@dataclass(frozen=True)
class KioskSettings:
    data_dir: str = setting(
        "data", "Folder for the SQLite database and other state; relative paths start at the working folder."
    )
    station: str = setting("kiosk-1", "This kiosk's station name, recorded with each sign-in.")
    language: str = setting("en", "Language the welcome screen starts in.", choices=("en", "es"))
    idle_seconds: int = setting(60, "Seconds without input before the kiosk clears the screen and returns to welcome.")
    public_url: str = setting(
        "",
        "Deprecated and ignored: it pointed at the kiosk's own listener, which has no verification page. "
        "Set [organizer] public_url.",
    )


@dataclass(frozen=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "Address `kiosk serve` listens on. The kiosk screen uses loopback.")
    port: int = setting(8080, "Port `kiosk serve` and `kiosk demo` listen on.")
    threads: int = setting(8, "Waitress worker threads (each open live-update stream holds one).")


@dataclass(frozen=True)
class OrganizerSettings:
    host: str = setting(
        "127.0.0.1",
        "Address the organizer pages (and the ballot verification page and projector view) listen on. "
        "Loopback by default; 0.0.0.0 to reach them from other devices on the LAN. The kiosk itself stays on "
        "[server] host.",
    )
    port: int = setting(8081, "Port of the organizer pages.")
    public_url: str = setting(
        "",
        "Base URL at which attendees' phones reach the organizer listener, for the ballot verification link "
        "printed on receipts (and as a QR code) and shown on screen: BASE/verify/CODE. Empty: what the "
        "organizer pages listen on, http://HOST:PORT ([organizer] host and port; for 0.0.0.0, this machine's "
        "NAME.local).",
    )
    trusted_hosts: str = setting(
        "",
        "Comma-separated host names the organizer pages answer to (against DNS rebinding). Empty: localhost, "
        "127.0.0.1, ::1 and this machine's host name (and NAME.local).",
    )
    secure_cookie: bool = setting(False, "Send the login cookie only over https (set true behind an https proxy).")
    session_hours: int = setting(12, "Hours an organizer stays logged in.")
    trusted_proxies: int = setting(
        0,
        "How many reverse proxies (nginx, Caddy) stand in front of the organizer pages. 0: none, the client "
        "address is the connection's (X-Forwarded-* headers are ignored, so nobody can fake an address to dodge "
        "the login slow-down). N: trust the last N X-Forwarded-For/-Proto/-Host entries (Werkzeug's ProxyFix).",
    )
    live_step: int = setting(
        5,
        "Per-plank figures (dashboard, projector, exports, kiosk results) change only after at least this many "
        "new ballots, until voting closes.",
    )


@dataclass(frozen=True)
class HardwareSettings:
    buttons: str = setting(
        "simulated",
        "Button panel: gpio (real pins via gpiozero), simulated (mock pins and an on-screen panel), none.",
        choices=("gpio", "simulated", "none"),
    )
    debounce_ms: int = setting(50, "Edges closer together than this on one button count as one press.")
    stuck_after_s: float = setting(5.0, "A button held longer than this is reported stuck and ignored.")


@dataclass(frozen=True)
class ButtonPins:
    yes: int = setting(17, "BCM pin of the Yes button (other leg to ground; internal pull-up).")
    no: int = setting(27, "BCM pin of the No button.")
    abstain: int = setting(22, "BCM pin of the Abstain button.")
    back: int = setting(23, "BCM pin of the Back button.")
    confirm: int = setting(24, "BCM pin of the Confirm button.")


@dataclass(frozen=True)
class LedPins:
    yes: int = setting(5, "BCM pin of the Yes button's LED (through a resistor to ground).")
    no: int = setting(6, "BCM pin of the No button's LED.")
    abstain: int = setting(13, "BCM pin of the Abstain button's LED.")
    back: int = setting(19, "BCM pin of the Back button's LED.")
    confirm: int = setting(26, "BCM pin of the Confirm button's LED.")


@dataclass(frozen=True)
class PrinterSettings:
    url: str = setting(
        "console",
        "Receipt printer: usb:VID:PID, serial:/dev/ttyUSB0?baudrate=19200, network:HOST[:PORT], file:PATH, "
        "console (no paper: receipts on the kiosk screen, and on a preview page in the demo; never in the log), none.",
    )
    profile: str = setting("TM-T20II", "python-escpos printer profile (code pages, paper width).")
    columns: int = setting(48, "Characters per line: 48 for 80 mm paper, 32 for 58 mm.")
    timeout_s: float = setting(3.0, "Seconds to wait for a network or serial printer before retrying later.")
    codepage: str = setting(
        "auto",
        "Code page for receipt text. auto: PC858 (ESC t 19), else WPC1252, for all Latin text, other pages only "
        "for Central European, Cyrillic and Greek letters. A page name from the profile (CP858, CP1252, CP850, "
        "CP437, ...): that page alone, letters it lacks printed without accent or as ?. See docs/printers.md.",
    )


@dataclass(frozen=True)
class SmsSettings:
    backend: str = setting(
        "console",
        "How texts travel: console (simulated phone page), twilio, modem.",
        choices=("console", "twilio", "modem"),
    )
    rate_per_second: float = setting(1.0, "Outbound messages per second (a Twilio long code allows 1).")
    replies_per_hour: int = setting(
        10,
        "Most automatic texts (replies, opt-out confirmations) to one number in an hour, so two auto-responders "
        "can't loop; a number's first opt-out confirmation always goes.",
    )


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str = setting("", "Twilio account SID (AC...).")
    auth_token: str = setting("", "Twilio auth token; also checks webhook signatures.")
    from_number: str = setting("", "The Twilio number texts are sent from (E.164).")
    inbound: str = setting(
        "poll", "webhook (Twilio calls public_url) or poll (no public URL needed).", choices=("webhook", "poll")
    )
    public_url: str = setting(
        "", "The public URL Twilio calls for the webhook, exactly as configured at Twilio (for signatures)."
    )
    api_base: str = setting("", "Twilio API base URL; empty for the real one (tests point it at a fake).")


@dataclass(frozen=True)
class ModemSettings:
    port: str = setting("/dev/ttyUSB0", "Serial device of the GSM modem (prefer /dev/serial/by-id/...).")
    baudrate: int = setting(115200, "Serial speed of the modem.")
    pin: str = setting("", "SIM PIN, if the SIM has one.")


@dataclass(frozen=True)
class BackupSettings:
    folder: str = setting(
        "",
        "Folder (or mounted USB stick) for database backups made by `kiosk backup` and the nightly timer. "
        "Empty: the backups folder inside [kiosk] data_dir.",
    )
    keep_days: int = setting(14, "Backups older than this many days are deleted (the newest one is always kept).")


@dataclass(frozen=True)
class AudioSettings:
    enabled: bool = setting(
        True, "Offer the audio ballot (headphones, five buttons; docs/accessibility.md) and render its speech."
    )
    synth: str = setting(
        "espeak-ng",
        "Speech synthesizer: espeak-ng (Debian's package espeak-ng, offline), or simulated (tones, for tests).",
        choices=("espeak-ng", "simulated"),
    )
    espeak: str = setting("espeak-ng", "The espeak-ng program (a name on PATH or a full path).")
    voice_en: str = setting("en-us", "espeak-ng voice for English (see `espeak-ng --voices=en`).")
    voice_es: str = setting("es-419", "espeak-ng voice for Spanish (see `espeak-ng --voices=es`).")
    rate_slowest: int = setting(120, "Slowest of the five speech rates a voter can pick, in words a minute.")
    rate_fastest: int = setting(240, "Fastest of the five speech rates, in words a minute.")
    default_rate: int = setting(3, "Rate an audio ballot starts at: 1 (slowest) to 5 (fastest).")
    device: str = setting(
        "default",
        "ALSA output for headphones: default, the 3.5 mm jack (e.g. plughw:CARD=Headphones) or a USB sound card "
        "(e.g. plughw:CARD=Device); `aplay -L` lists them. `kiosk doctor` plays a test tone on it, and the "
        "screen's Chromium plays the ballot on it.",
    )


@dataclass(frozen=True)
class Settings:
    organization: OrganizationSettings = field(default_factory=OrganizationSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    organizer: OrganizerSettings = field(default_factory=OrganizerSettings)
    hardware: HardwareSettings = field(default_factory=HardwareSettings)
    buttons: ButtonPins = field(default_factory=ButtonPins)
    leds: LedPins = field(default_factory=LedPins)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    modem: ModemSettings = field(default_factory=ModemSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    source: str = "(built-in defaults)"

    @property
    def data_path(self) -> Path:
        return Path(self.kiosk.data_dir).expanduser()

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_path / 'tally.db').resolve()}"

    @property
    def backup_path(self) -> Path:
        return Path(self.backup.folder).expanduser() if self.backup.folder else self.data_path / "backups"

    @property
    def database_display(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except Exception:
            return "(an unreadable database URL)"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.organization.timezone)

    def simulated(self) -> Settings:
        """The same settings with every device simulated (what `kiosk demo` runs)."""
        return replace(
            self,
            hardware=replace(self.hardware, buttons="simulated"),
            printer=replace(self.printer, url="console"),
            sms=replace(self.sms, backend="console"),
        )


# Sections in file order; a sub-table such as [sms.twilio] maps to the attribute named after the dot.
SECTIONS: dict[str, str] = {
    "organization": "organization",
    "database": "database",
    "kiosk": "kiosk",
    "server": "server",
    "organizer": "organizer",
    "hardware": "hardware",
    "buttons": "buttons",
    "leds": "leds",
    "printer": "printer",
    "sms": "sms",
    "sms.twilio": "twilio",
    "sms.modem": "modem",
    "backup": "backup",
    "audio": "audio",
}


def _section_type(attr: str) -> type:
    return {f.name: f.default_factory for f in fields(Settings) if f.default_factory is not MISSING}[attr]  # type: ignore[return-value]


def _check_value(where: str, name: str, value: Any, f: Any) -> Any:
    expected = f.type if not isinstance(f.type, str) else {"str": str, "int": int, "float": float, "bool": bool}[f.type]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if get_origin(expected) is not None:
        expected = get_args(expected)[0]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        kinds = {str: "text in quotes", int: "whole number", float: "number", bool: "true or false"}
        raise ConfigError(f"{where}: {name} must be a {kinds.get(expected, expected.__name__)}, not {value!r}")
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{where}: {name} = {value!r} is not allowed; use one of: {', '.join(choices)}")
    return value


def _build_section(where: str, section: str, raw: Any) -> Any:
    cls = _section_type(SECTIONS[section])
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [{section}] must be a table of settings")
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in raw.items():
        sub = f"{section}.{key}"
        if sub in SECTIONS:  # a nested table such as [sms.twilio], handled by the caller
            continue
        if key not in known:
            raise ConfigError(f"{where}: unknown setting [{section}] {key}; allowed: {', '.join(sorted(known))}")
        values[key] = _check_value(where, f"[{section}] {key}", value, known[key])
    return cls(**values)


def parse_settings(text: str, source: str = "<config>") -> Settings:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    top_level = {name.split(".")[0] for name in SECTIONS}
    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in top_level:
            raise ConfigError(f"{source}: unknown section [{key}]; allowed: {', '.join(sorted(SECTIONS))}")
        sections[SECTIONS[key]] = _build_section(source, key, value)
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                name = f"{key}.{sub_key}"
                if name in SECTIONS:
                    sections[SECTIONS[name]] = _build_section(source, name, sub_value)
    settings = Settings(**sections, source=source)
    validate(settings)
    return settings


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from ``path`` or ``KIOSK_CONFIG`` (or the defaults), with ``KIOSK_DATABASE_URL`` applied."""
    env = dict(os.environ) if env is None else env
    chosen = path or env.get("KIOSK_CONFIG") or None
    if chosen:
        file = Path(chosen)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{file}: configuration file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read the configuration file: {exc}") from None
        settings = parse_settings(text, str(file))
    else:
        settings = Settings()
    if env.get("KIOSK_DATABASE_URL"):
        settings = replace(settings, database=replace(settings.database, url=env["KIOSK_DATABASE_URL"]))
    return settings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def template() -> str:
    """The documented configuration file: every section and setting with its default, commented."""
    lines = [
        "# Assembly Kiosk configuration. Every setting is shown with its default; delete what you don't change.",
        "# Use it with `kiosk --config PATH ...` or KIOSK_CONFIG=PATH.",
    ]
    for section, attr in SECTIONS.items():
        cls = _section_type(attr)
        lines += ["", f"[{section}]"]
        for f in fields(cls):
            doc = f.metadata["doc"]
            if f.metadata.get("choices"):
                doc += f" One of: {', '.join(f.metadata['choices'])}."
            lines.append(f"# {doc}")
            lines.append(f"{f.name} = {_toml_value(f.default)}")
    return "\n".join(lines) + "\n"


def documented_settings() -> list[tuple[str, str, Any, str]]:
    """(section, key, default, doc) for every setting: for docs and the test that keeps them documented."""
    out = []
    for section, attr in SECTIONS.items():
        for f in fields(_section_type(attr)):
            out.append((section, f.name, f.default, f.metadata.get("doc", "")))
    return out


def organizer_public_url(settings: Settings) -> str:
    """The base URL of the organizer listener as attendees' phones reach it (no trailing slash).

    ``[organizer] public_url`` when set; else what the organizer pages really listen on. A wildcard address
    (0.0.0.0, ::) is no address a phone can use: this machine's mDNS name (NAME.local) stands in for it.
    """
    org = settings.organizer
    if org.public_url:
        return org.public_url.rstrip("/")
    host = org.host
    if host in ("", "0.0.0.0", "::"):
        import socket

        name = socket.gethostname()
        host = name if "." in name else f"{name}.local"
    elif ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{org.port}"


def verification_url(settings: Settings, code: str) -> str:
    """The one address where a ballot's verification code is checked: on receipts, in their QR code and on
    screen (the organizer app's ``/verify/CODE``)."""
    return f"{organizer_public_url(settings)}/verify/{code}"
