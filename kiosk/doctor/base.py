"""The doctor's shared types: a finding, the command-line options, what the checks may ask of the world outside the
configuration (``Environment``), and a registered check (``Check``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from kiosk.doctor.host import announce_press, timedatectl_synced, unit_active, utcnow

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.install import Layout


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Options:
    print_test: bool = False
    buttons: bool = False
    online: bool = False
    press_timeout: float = 10.0


@dataclass
class Environment:
    """Every outside thing a check asks is a parameter, for tests."""

    options: Options
    clock: Callable[[], datetime] = utcnow
    ntp_synced: Callable[[], bool | None] = timedatectl_synced
    service_active: Callable[[str], bool] = unit_active
    prompt: Callable[[str, int], None] = announce_press
    layout: Layout | None = None  # None: the real system


@dataclass(frozen=True)
class Check:
    """One registered check. ``name`` labels the finding when the check itself breaks."""

    name: str
    run: Callable[[Environment, Settings], list[Finding]]


@dataclass(frozen=True)
class SystemCheck:
    """A check that needs no configuration: it runs even when the configuration cannot be read."""

    name: str
    run: Callable[[Environment], list[Finding]]
