"""Start-up: settings to an open, migrated tally. Shared by the CLI, the web server and the daemons."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from importlib import resources

from kiosk import db, storage_order
from kiosk.config import Settings
from kiosk.print_queue import forget_ballot_receipts
from kiosk.tally import MeetingState, Tally
from kiosk.token_key import load_token_key

log = logging.getLogger(__name__)

DEMO_CODE = "GA12"
STARTUP_REWRITE_WAIT_S = 5  # a start waits this long at most for another reader before going on


def open_tally(settings: Settings, *, migrate: bool = True) -> Tally:
    from kiosk.backup import recover_if_damaged, report_recovery

    recovery = recover_if_damaged(settings)  # a damaged SQLite file is set aside and the last backup restored
    engine = db.make_engine(settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms)
    if migrate:
        db.upgrade(engine)
    elif db.needs_upgrade(engine):
        from kiosk.errors import DatabaseError

        raise DatabaseError("the database schema is out of date; run `kiosk init` to upgrade it")
    if recovery is not None:
        report_recovery(engine, recovery)
    token_key = load_token_key(engine, settings.data_path)
    # A rewrite of the files owed since a close that could not finish it (another reader held the database).
    storage_order.finish_if_pending(engine, wait_s=min(STARTUP_REWRITE_WAIT_S, settings.database.close_wait_s))
    tally = Tally(
        engine,
        region=settings.organization.default_region,
        timezone=settings.organization.timezone,
        token_key=token_key,
        close_wait_s=settings.database.close_wait_s,
    )
    # Whichever process closes a meeting (the organizer page, the CLI), the print queue's rows go with it.
    tally.on_close(forget_ballot_receipts)
    return tally


def seed_demo(tally: Tally) -> bool:
    """Put a demo meeting with a small roster and six planks into an empty database; False if not empty."""
    if tally.meetings() or tally.member_count():
        return False
    tz = tally.timezone
    from zoneinfo import ZoneInfo

    tomorrow = (tally.clock().astimezone(ZoneInfo(tz)) + timedelta(days=1)).date()
    starts = datetime.combine(tomorrow, time(19, 0), tzinfo=ZoneInfo(tz))
    data = resources.files("kiosk") / "data"
    tally.import_roster((data / "demo-roster.csv").read_text(encoding="utf-8"), actor="demo")
    tally.create_meeting(
        code=DEMO_CODE,
        title="General Assembly",
        starts=starts,
        place="Community Center, Room 2",
        quorum="25%",
        actor="demo",
    )
    tally.import_planks(DEMO_CODE, (data / "demo-planks.csv").read_text(encoding="utf-8"), actor="demo")
    tally.set_state(DEMO_CODE, MeetingState.VOTING_OPEN, actor="demo")
    log.info("seeded the demo meeting %s", DEMO_CODE)
    return True
