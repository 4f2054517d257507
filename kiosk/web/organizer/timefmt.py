"""Times on the organizer pages, in the organization's time zone and saying which.

The database keeps every moment in UTC; an organizer reads them as the clock on the hall's wall shows them.
Each time shown carries its zone's abbreviation (PST, PDT...), so nobody has to guess what a bare 03:12 means.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DEFAULT_FORMAT = "%d %b %H:%M"


def in_zone(moment: datetime | str | None, zone: ZoneInfo) -> datetime | None:
    """A stored moment (aware, naive UTC as SQLite hands it back, or ISO text) in ``zone``."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)  # stored moments are UTC
    return moment.astimezone(zone)


def local_time(moment: datetime | str | None, zone: ZoneInfo, fmt: str = DEFAULT_FORMAT) -> str:
    """``moment`` formatted with ``fmt`` in ``zone``, followed by the zone's abbreviation ("19:02 PST")."""
    local = in_zone(moment, zone)
    if local is None:
        return ""
    return f"{local.strftime(fmt)} {local.tzname()}"
