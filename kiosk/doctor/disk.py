"""Check: free space on the disks holding the data folder and the SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status

DISK_FULL = 8 * 1024 * 1024  # less than this: a few SQLite pages, a spool line; call it full
MIN_FREE_FAIL = 200 * 1024 * 1024
MIN_FREE_WARN = 1024 * 1024 * 1024

FIX = "Free space: delete old files in the backup folder, `sudo apt clean`, `sudo journalctl --vacuum-size=50M`."


def check(env: Environment, settings: Settings) -> list[Finding]:
    from kiosk.backup import sqlite_path

    # The data folder (the SMS spool) and the SQLite file may sit on different disks: check each once.
    places = [settings.data_path]
    database = sqlite_path(settings)
    if database is not None:
        places.append(database.parent)
    out: list[Finding] = []
    seen: set[int] = set()
    for place in places:
        where = _nearest_existing(place.resolve())
        device = where.stat().st_dev
        if device in seen:
            continue
        seen.add(device)
        out.append(_free_space(where))
    return out


def _nearest_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _free_space(where: Path) -> Finding:
    free = shutil.disk_usage(where).free
    if free < DISK_FULL:
        text = (
            f"the disk is full ({free / 1024**2:.1f} MB free on {where}): the kiosk cannot save sign-ins, "
            "votes, texts or print jobs until space is freed (it carries on by itself then)"
        )
        return Finding("disk", Status.FAIL, text, FIX)
    text = f"{free / 1024**3:.1f} GB free on {where}"
    if free < MIN_FREE_FAIL:
        return Finding("disk", Status.FAIL, text, FIX)
    if free < MIN_FREE_WARN:
        return Finding("disk", Status.WARN, text, FIX)
    return Finding("disk", Status.OK, text)
