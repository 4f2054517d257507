"""The doctor's checks, in the order the report lists them. Adding a check: write ``kiosk/doctor/NAME.py`` with
``check(env, settings) -> list[Finding]`` and add one line here."""

from __future__ import annotations

from kiosk.doctor import audio, backups, buttons, clock, configuration, database, disk, printer, secrecy, sms, units
from kiosk.doctor.base import Check, SystemCheck

# Need the configuration: skipped when it cannot be read.
CHECKS: tuple[Check, ...] = (
    Check("configuration", configuration.check),
    Check("database", database.check),
    Check("secrecy", secrecy.check),
    Check("backups", backups.check),
    Check("disk", disk.check),
    Check("printer", printer.check),
    Check("buttons", buttons.check),
    Check("sms", sms.check),
    Check("audio", audio.check),
    Check("units", units.check),
)

# Need no configuration: run last, and also when the configuration cannot be read.
SYSTEM_CHECKS: tuple[SystemCheck, ...] = (SystemCheck("clock", clock.check),)
