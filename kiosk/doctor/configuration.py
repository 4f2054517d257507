"""Check: the configuration file was found and is valid."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status
from kiosk.errors import KioskError


def unreadable(exc: KioskError) -> Finding:
    """The finding when the configuration cannot be loaded at all (the other checks then cannot run)."""
    return Finding(
        "configuration",
        Status.FAIL,
        str(exc),
        "Fix the file at the place named above, then run `kiosk config check`. "
        "`kiosk config template` prints every setting with its default and an explanation.",
    )


def check(env: Environment, settings: Settings) -> list[Finding]:
    if settings.source == "(built-in defaults)":
        return [
            Finding(
                "configuration",
                Status.WARN,
                "no configuration file: running on built-in defaults (simulated buttons, receipts on screen)",
                "Give one with --config PATH or KIOSK_CONFIG "
                "(sudo kiosk install writes /etc/assembly-kiosk/kiosk.toml).",
            )
        ]
    return [Finding("configuration", Status.OK, f"{settings.source} is valid")]
