"""The ledger's three CSV files, read into rows and refusals (the tally then matches names to its records).

* **officials** ``name, office, body, term_start, term_end, endorsed``: a name is required; ``endorsed`` is
  ``yes``/``no`` (empty: no) or the code of the meeting that endorsed them.
* **pledges** ``name, plank, pledge, date``: ``pledge`` is ``yes`` (will support that platform plank) or ``no``.
* **votes** ``date, body, matter, official, vote, plank, yes_means``: ``vote`` is yes / no / abstain / absent,
  ``yes_means`` is ``for`` or ``against`` (whether a yes on that matter is for the plank).

Every refused line is reported with its number and reason and the rest is read (``kiosk.ledger.table`` handles
the file's shape). A line that repeats another's natural key (the same official; the same official and plank;
the same vote) replaces it, with a note. Dates are ``YYYY-MM-DD`` (also ``M/D/YYYY``).

>>> parse_yes_no(" Sí "), parse_day("3/4/2026", "date")
(True, datetime.date(2026, 3, 4))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import TypeVar

from kiosk.errors import InvalidInput
from kiosk.ledger.model import (
    OfficialRow,
    PledgeAnswer,
    PledgeRow,
    Refusal,
    VoteCast,
    VoteRow,
    YesMeans,
)
from kiosk.ledger.table import Table, has_control, read_table
from kiosk.roster import fold

MAX_NAME = 200
MAX_TITLE = 300  # a plank's title, as on the platform
MAX_MATTER = 300
_MEETING_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}")
_YES = {"yes", "y", "si", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}

Row = TypeVar("Row", OfficialRow, PledgeRow, VoteRow)


def text_cell(cells: dict[str, str], column: str, limit: int, *, required: bool = True) -> str:
    """A cell's text, refused (InvalidInput) when required and empty, too long, or holding control characters."""
    value = cells.get(column, "")
    if not value and required:
        raise InvalidInput(f"no {column}")
    if len(value) > limit:
        raise InvalidInput(f"{column} is longer than {limit} characters")
    if has_control(value):
        raise InvalidInput(f"{column} has control characters")
    return " ".join(value.split())


def parse_day(raw: str, column: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"{column} {text[:20]!r} is not a date (use YYYY-MM-DD)")


def parse_yes_no(raw: str) -> bool | None:
    """True for yes, False for no, None for anything else."""
    word = fold(raw)
    return True if word in _YES else False if word in _NO else None


def _choice(raw: str, column: str, choices: type[VoteCast] | type[YesMeans] | type[PledgeAnswer]) -> str:
    word = fold(raw)
    allowed = [c.value for c in choices]
    if word not in allowed:
        shown = raw.strip()[:20] or "(empty)"
        raise InvalidInput(f"{column} {shown!r} is not one of {', '.join(allowed)}")
    return word


def _endorsed(raw: str) -> tuple[bool, str | None]:
    if not raw.strip():
        return False, None
    answer = parse_yes_no(raw)
    if answer is not None:
        return answer, None
    if _MEETING_CODE.fullmatch(raw.strip()):
        return True, raw.strip().upper()
    raise InvalidInput(f"endorsed {raw.strip()[:20]!r} is not yes, no or a meeting code")


def _official(line: int, cells: dict[str, str]) -> OfficialRow:
    start = parse_day(cells.get("term_start", ""), "term_start")
    end = parse_day(cells.get("term_end", ""), "term_end")
    if start and end and end < start:
        raise InvalidInput("term_end is before term_start")
    endorsed, by = _endorsed(cells.get("endorsed", ""))
    return OfficialRow(
        line,
        text_cell(cells, "name", MAX_NAME),
        text_cell(cells, "office", MAX_NAME, required=False),
        text_cell(cells, "body", MAX_NAME, required=False),
        start,
        end,
        endorsed,
        by,
    )


def _pledge(line: int, cells: dict[str, str]) -> PledgeRow:
    return PledgeRow(
        line,
        text_cell(cells, "name", MAX_NAME),
        text_cell(cells, "plank", MAX_TITLE),
        PledgeAnswer(_choice(cells.get("pledge", ""), "pledge", PledgeAnswer)),
        parse_day(cells.get("date", ""), "date"),
    )


def vote_row(line: int, cells: dict[str, str], source: str = "") -> VoteRow:
    """One recorded vote from cells by column name (the CSV's, or those an OCD VoteEvent gives)."""
    day = parse_day(cells.get("date", ""), "date")
    if day is None:
        raise InvalidInput("no date")
    return VoteRow(
        line,
        day,
        text_cell(cells, "body", MAX_NAME, required=False),
        text_cell(cells, "matter", MAX_MATTER),
        text_cell(cells, "official", MAX_NAME),
        VoteCast(_choice(cells.get("vote", ""), "vote", VoteCast)),
        text_cell(cells, "plank", MAX_TITLE),
        YesMeans(_choice(cells.get("yes_means", ""), "yes_means", YesMeans)),
        source,
    )


def vote_key(row: VoteRow) -> tuple[str, ...]:
    """A recorded vote's natural key: the official, the plank, the day, the body and the matter (folded)."""
    return (fold(row.official), fold(row.plank), row.voted_on.isoformat(), fold(row.body), fold(row.matter))


def _rows(
    table: Table, make: Callable[[int, dict[str, str]], Row], key: Callable[[Row], Hashable]
) -> tuple[list[Row], list[Refusal], list[str]]:
    rows: dict[Hashable, Row] = {}
    refused = list(table.refused)
    notes = list(table.notes)
    for line, cells in table.rows:
        try:
            row = make(line, cells)
        except InvalidInput as exc:
            refused.append(Refusal(line, str(exc)))
            continue
        earlier = rows.pop(key(row), None)
        if earlier is not None:
            notes.append(f"line {line}: repeats line {earlier.line}; the later line was used")
        rows[key(row)] = row
    refused.sort(key=lambda r: r.line)
    return sorted(rows.values(), key=lambda r: r.line), refused, notes


def parse_officials(text: str) -> tuple[list[OfficialRow], list[Refusal], list[str]]:
    table = read_table(
        text, "officials", required=("name",), optional=("office", "body", "term_start", "term_end", "endorsed")
    )
    return _rows(table, _official, lambda r: fold(r.name))


def parse_pledges(text: str) -> tuple[list[PledgeRow], list[Refusal], list[str]]:
    table = read_table(text, "pledges", required=("name", "plank", "pledge"), optional=("date",))
    return _rows(table, _pledge, lambda r: (fold(r.official), fold(r.plank)))


def parse_votes(text: str) -> tuple[list[VoteRow], list[Refusal], list[str]]:
    table = read_table(
        text, "votes", required=("date", "matter", "official", "vote", "plank", "yes_means"), optional=("body",)
    )
    return _rows(table, vote_row, vote_key)
