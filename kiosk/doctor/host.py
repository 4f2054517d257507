"""What the doctor asks of the Pi itself: systemd, NTP, the wall clock, and the 40-pin header's numbering."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

# BCM number -> physical pin on the 40-pin header (for wiring messages).
HEADER_PIN = {
    2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31, 13: 33, 19: 35,
    26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 1: 28, 12: 32, 16: 36, 20: 38, 21: 40,
}  # fmt: skip
GROUND_PINS = (6, 9, 14, 20, 25, 30, 34, 39)


def utcnow() -> datetime:
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


def announce_press(name: str, pin: int) -> None:
    """The default prompt of the button test: tell the person at the Pi which button to press."""
    print(f"  press the {name.upper()} button ({pin_label(pin)}) ...", flush=True)
