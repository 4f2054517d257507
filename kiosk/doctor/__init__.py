"""``kiosk doctor``: check everything a meeting depends on, and say in plain words how to fix what fails.

Checks: the configuration, the database (integrity, schema up to date, a recent backup, a recovery notice),
disk space, the printer (prints only with ``--print-test``), the buttons (asks for presses only with
``--buttons``), the SMS path (the modem's SIM, signal and registration, or Twilio's credentials, with an API
call only with ``--online``), the clock, and whether the installed systemd units match the configuration.

Devices owned by a running service are not opened a second time: if the SMS gateway is running, its last
report is read from the database instead of opening the modem port under it.

Every device and the clock are injectable, so each fault can be produced in tests with real simulators.

Layout: one module per check (``database``, ``secrecy``, ``backups``, ``disk``, ``printer``, ``buttons``, ``sms``,
``audio``, ``units``, ``clock``, ``configuration``), each a function ``check(env, settings) -> list[Finding]``;
``registry`` lists them in report order; ``runner.Doctor`` runs the list; ``base`` holds the shared types and
``report`` the output formats. Adding a check is one module and one line in ``registry``.
"""

from kiosk.doctor.base import Environment, Finding, Options, Status
from kiosk.doctor.report import failed, format_report, report_json
from kiosk.doctor.runner import Doctor

__all__ = ["Doctor", "Environment", "Finding", "Options", "Status", "failed", "format_report", "report_json"]
