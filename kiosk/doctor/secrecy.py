"""Check: what protects the secret ballot in storage: the rewrite owed since a close, set-aside
copies of the database, the token key file, and tokens still stored with the old unkeyed hash."""

from __future__ import annotations

import stat

from sqlalchemy import func, select

from kiosk import db, storage_order
from kiosk.backup import sqlite_path
from kiosk.config import Settings
from kiosk.doctor.base import Environment, Finding, Status
from kiosk.schema import ballot_tokens
from kiosk.token_key import key_path
from kiosk.tokens import KEYED_PREFIX


def check(env: Environment, settings: Settings) -> list[Finding]:
    out: list[Finding] = []
    engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
    try:
        if not db.has_tables(engine):
            return out
        with db.read_transaction(engine) as conn:
            owed = storage_order.pending(conn)
            legacy = conn.execute(
                select(func.count())
                .select_from(ballot_tokens)
                .where(ballot_tokens.c.state == "issued", ~ballot_tokens.c.token_hash.startswith(KEYED_PREFIX))
            ).scalar_one()
    finally:
        engine.dispose()
    if owed:
        out.append(
            Finding(
                "ballot order in storage",
                Status.FAIL,
                f"a meeting was closed but the database files still keep the order ballots were cast in: {owed}",
                "Close any other program reading the database (a backup, a sqlite3 shell), then run "
                "`kiosk meeting close CODE` again or restart the kiosk (sudo systemctl restart assembly-kiosk.target).",
            )
        )
    else:
        out.append(Finding("ballot order in storage", Status.OK, "no close is waiting for its rewrite"))
    path = sqlite_path(settings)
    if path is not None:
        copies = storage_order.set_aside_copies(path)
        if copies:
            out.append(
                Finding(
                    "set-aside copies",
                    Status.WARN,
                    f"{len(copies)} set-aside copies of the database in {path.parent}: "
                    + ", ".join(c.name for c in copies[:5]),
                    "They may keep ballots in the order cast until the next close rewrites them; delete them once "
                    "nobody needs them.",
                )
            )
    key = key_path(settings.data_path)
    if key.exists():
        mode = stat.S_IMODE(key.stat().st_mode)
        if mode & 0o077:
            out.append(
                Finding("token key", Status.FAIL, f"{key} can be read by others (mode {mode:o})", f"chmod 600 {key}")
            )
        else:
            out.append(Finding("token key", Status.OK, f"{key} (mode 600)"))
    if legacy:
        out.append(
            Finding(
                "token key",
                Status.WARN,
                f"{legacy} unspent ballot tokens were issued before the token key existed (unkeyed hashes): a copy "
                "of the database can find them",
                "They still vote; they end with their meeting. New tokens are keyed.",
            )
        )
    return out
