"""Check: the installed systemd units match the configuration (``kiosk install`` writes them)."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status


def check(env: Environment, settings: Settings) -> list[Finding]:
    from kiosk.install import TARGET, Layout, units_up_to_date

    layout = env.layout or Layout()
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
