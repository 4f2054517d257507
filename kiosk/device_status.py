"""The device-status registry: one row per device (the printer, each SMS backend, the backup job) saying
whether it works and what an organizer should know, written by whoever owns the device and read by the
organizer page, the doctor and ``kiosk sms status``.

Core: it knows devices only by name, so adapters (``hardware/``, ``sms/``) and edges may all use it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Engine, insert, select, update

from kiosk import db
from kiosk.schema import device_status

SUMMARY_MAX = 300  # the column's width


class DeviceStatus(TypedDict):
    ok: bool
    summary: str
    detail: dict[str, Any]
    updated_at: datetime


def set_device_status(
    engine: Engine, device: str, *, ok: bool, summary: str, detail: dict[str, Any], now: datetime
) -> None:
    """Record ``device``'s state, replacing the last one (a device has one row, never a history)."""
    text = json.dumps(detail, ensure_ascii=False, default=str)
    with db.write_transaction(engine) as conn:
        updated = conn.execute(
            update(device_status)
            .where(device_status.c.device == device)
            .values(ok=ok, summary=summary[:SUMMARY_MAX], detail=text, updated_at=now)
        )
        if updated.rowcount == 0:
            conn.execute(
                insert(device_status).values(
                    device=device, ok=ok, summary=summary[:SUMMARY_MAX], detail=text, updated_at=now
                )
            )


def device_statuses(engine: Engine) -> dict[str, DeviceStatus]:
    """Every device's last recorded state, by device name."""
    with db.read_transaction(engine) as conn:
        rows = conn.execute(select(device_status)).all()
    return {
        r.device: DeviceStatus(ok=bool(r.ok), summary=r.summary, detail=json.loads(r.detail), updated_at=r.updated_at)
        for r in rows
    }
