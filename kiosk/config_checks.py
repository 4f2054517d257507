"""What a valid configuration is, beyond each value's type: ranges, formats, and rules across settings.

``kiosk.config`` declares the settings and parses the file; these checks run on the parsed settings
(:func:`validate`, also importable from ``kiosk.config``). Each message names the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.errors import ConfigError

if TYPE_CHECKING:
    from kiosk.config import Settings

__all__ = ["validate"]


def validate(settings: Settings) -> None:
    """Checks that span more than one value's type; each message names the file and the key."""
    for check in (_check_organization, _check_printer, _check_listeners, _check_durations, _check_audio, _check_pins):
        check(settings, settings.source)


def _check_organization(settings: Settings, where: str) -> None:
    try:
        ZoneInfo(settings.organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: [organization] timezone = {settings.organization.timezone!r} is not an IANA time zone "
            "(e.g. America/Los_Angeles)"
        ) from None


def _check_printer(settings: Settings, where: str) -> None:
    if settings.printer.columns not in (32, 42, 48, 64):
        raise ConfigError(f"{where}: [printer] columns must be 48 (80 mm) or 32 (58 mm)")
    if not re.fullmatch(r"auto|[A-Za-z][A-Za-z0-9_-]{1,15}", settings.printer.codepage):
        raise ConfigError(
            f"{where}: [printer] codepage = {settings.printer.codepage!r}: use auto or a code page name such as "
            "CP858, CP1252 or CP850"
        )


def _check_listeners(settings: Settings, where: str) -> None:
    """The kiosk's and the organizer pages' ports, and how the organizer pages are reached."""
    if not 1 <= settings.server.port <= 65535:
        raise ConfigError(f"{where}: [server] port must be between 1 and 65535")
    if not 1 <= settings.organizer.port <= 65535:
        raise ConfigError(f"{where}: [organizer] port must be between 1 and 65535")
    public = settings.organizer.public_url
    if public and (not public.startswith(("http://", "https://")) or any(ch.isspace() for ch in public)):
        raise ConfigError(f"{where}: [organizer] public_url must be an http:// or https:// address, got {public!r}")
    if settings.organizer.live_step < 1:
        raise ConfigError(f"{where}: [organizer] live_step must be at least 1")
    if not 0 <= settings.organizer.trusted_proxies <= 5:
        raise ConfigError(f"{where}: [organizer] trusted_proxies must be 0 (no proxy) to 5")


def _check_durations(settings: Settings, where: str) -> None:
    if not 0 <= settings.database.close_wait_s <= 3600:
        raise ConfigError(f"{where}: [database] close_wait_s must be between 0 and 3600 seconds")
    if settings.kiosk.idle_seconds < 15:
        raise ConfigError(f"{where}: [kiosk] idle_seconds must be at least 15")
    if settings.backup.keep_days < 1:
        raise ConfigError(f"{where}: [backup] keep_days must be at least 1")


def _check_audio(settings: Settings, where: str) -> None:
    if not 80 <= settings.audio.rate_slowest < settings.audio.rate_fastest <= 450:
        raise ConfigError(f"{where}: [audio] rate_slowest < rate_fastest, both between 80 and 450 words a minute")
    if not 1 <= settings.audio.default_rate <= 5:
        raise ConfigError(f"{where}: [audio] default_rate must be 1 (slowest) to 5 (fastest)")


def _check_pins(settings: Settings, where: str) -> None:
    pins = [getattr(settings.buttons, f.name) for f in fields(settings.buttons)]
    pins += [getattr(settings.leds, f.name) for f in fields(settings.leds)]
    if any(not 0 <= p <= 27 for p in pins):
        raise ConfigError(f"{where}: [buttons]/[leds] pins are BCM numbers 0-27")
    if len(set(pins)) != len(pins):
        raise ConfigError(f"{where}: [buttons]/[leds] each pin may be used only once")
