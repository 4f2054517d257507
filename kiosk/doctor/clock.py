"""Check: the clock is plausible and synchronized with the network. Needs no configuration."""

from __future__ import annotations

from kiosk.doctor.base import Environment, Finding, Status

EARLIEST_YEAR = 2025


def check(env: Environment) -> list[Finding]:
    now = env.clock()
    fix = (
        "Connect the Pi to a network so it can set its clock (check `timedatectl`), or set it by hand: "
        "sudo date -s '2026-12-03 18:30'. A wrong clock breaks meeting times and Twilio's signatures; "
        "a Pi has no battery clock unless you add one."
    )
    if now.year < EARLIEST_YEAR:
        return [Finding("clock", Status.FAIL, f"the clock says {now:%Y-%m-%d %H:%M} UTC, which cannot be right", fix)]
    synced = env.ntp_synced()
    if synced is False:
        return [
            Finding(
                "clock",
                Status.FAIL,
                f"the clock ({now:%Y-%m-%d %H:%M} UTC) is not synchronized with the network (NTP)",
                fix,
            )
        ]
    suffix = "" if synced else " (cannot ask timedatectl whether it is synchronized)"
    return [Finding("clock", Status.OK, f"{now:%Y-%m-%d %H:%M} UTC{suffix}")]
