"""The platform as files and on paper: the JSON document (``kiosk platform --json``, ``/platform.json``), a CSV
for spreadsheets, and the receipt-printer tape with its print-queue key.

The platform holds only closed meetings' final counts, so none of this waits on ``kiosk.live_figures``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.export import to_csv
from kiosk.receipts import Receipt, platform_tape
from kiosk.tally import PlatformPlank, Tally

PLATFORM_FORMAT = "assembly-kiosk-platform/1"
CSV_HEADER = (
    "title",
    "text",
    "state",
    "meeting",
    "date",
    "yes",
    "no",
    "abstain",
    "threshold",
    "ended_at_meeting",
    "ended_on",
    "ended_by",
)


def platform_document(planks: list[PlatformPlank], *, lang: str | None = None) -> dict[str, Any]:
    """``{"planks": [{"title", "text", "adopted": {"meeting", "date", "yes", "no", "threshold", ...}, "state",
    ...}]}``; with ``lang``, titles and texts in that language where translated (``original_title`` then says
    the plank's own title)."""
    return {"format": PLATFORM_FORMAT, "planks": [p.as_dict(lang) for p in planks]}


def platform_json(tally: Tally, *, history: bool = False, lang: str | None = None) -> str:
    return json.dumps(platform_document(tally.platform(history=history), lang=lang), ensure_ascii=False, indent=2)


def platform_csv(tally: Tally, *, history: bool = True) -> str:
    """One row per platform plank (with ``history``, those no longer in force too), cells safe in a spreadsheet."""
    rows = []
    for p in tally.platform(history=history):
        a, ended = p.adopted, p.ended
        rows.append(
            [
                p.title,
                p.text,
                str(p.state),
                a.meeting_code,
                a.date.isoformat(),
                a.yes,
                a.no,
                a.abstain,
                str(a.threshold),
                ended.meeting_code if ended else "",
                ended.date.isoformat() if ended else "",
                ended.by_title if ended else "",
            ]
        )
    return to_csv(CSV_HEADER, rows)


def platform_tape_job(
    tally: Tally, *, organization: str, columns: int, printed_at: datetime, language: str
) -> tuple[str, Receipt]:
    """The tape of the planks in force and its print-queue key: the same platform asked for twice within a minute
    (a double click) is queued once; a changed platform, or a later request, prints again."""
    planks = tally.platform()
    local = printed_at.astimezone(ZoneInfo(tally.timezone))
    tape = platform_tape(organization=organization, planks=planks, printed_at=local, language=language, columns=columns)
    content = json.dumps(platform_document(planks, lang=language), sort_keys=True).encode()
    digest = hashlib.sha256(content).hexdigest()[:16]
    return f"platform:{language}:{digest}:{local:%Y%m%d%H%M}", tape
