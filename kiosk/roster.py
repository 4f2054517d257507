"""Reading a roster CSV (``name, phone, email, status, joined``) into clean rows, and people's names and phones.

Real rosters are messy. What this module does with each column:

* **name**: kept exactly as written (accents, apostrophes, hyphens), only surrounding spaces removed. A row
  without a name is refused.
* **phone**: normalized to E.164 with ``phonenumbers`` (``(510) 555-0101`` → ``+15105550101``) using the
  configured default region for numbers without a country code. Empty is allowed; something that is not a
  phone number refuses the row (its other columns would be kept wrongly otherwise).
* **email**: trimmed and lower-cased; empty is allowed.
* **status**: trimmed and case-folded, one of ``member``, ``lapsed``, ``pending``, ``guest``. A file with no
  status column makes everyone a ``member``.
* **joined**: ``YYYY-MM-DD`` (also ``M/D/YYYY``); empty is allowed.

* **language** (optional): the language the member's texts go in, ``en`` or ``es`` (also ``English``,
  ``Spanish``, ``Español``); empty keeps what is stored (the language the member last used at the kiosk or
  in a text), anything else refuses the row.

Every refused row is reported with its line number and the reason; every good row is still imported.
Households that share a phone are separate people.

**Matching on re-import** (the stable key): a row is the same person as someone already on the roster when
the name matches (ignoring case and accents) *and* the email matches, or else the phone matches; a row with
neither email nor phone matches a person of the same name who has neither. Matched people are updated in
place; nobody is ever deleted by an import (people missing from the file are counted in the report).

>>> normalize_phone("(510) 555-0101", "US")
'+15105550101'
>>> display_name("Ana Ramírez"), display_name("Nguyễn Thị Lan"), display_name("Li")
('Ana R.', 'Nguyễn L.', 'Li')
>>> fold("  José  Hernández ")
'jose hernandez'
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kiosk.errors import InvalidInput
from kiosk.schema import MEMBER_STATUSES

MAX_ROWS = 100_000
MAX_FIELD = 200
# Control, invisible format (RTL overrides, zero-width, BOM) and line/paragraph separator characters: never
# part of a name or an email a person typed into a spreadsheet.
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")


def _has_invisible(text: str) -> bool:
    return any(unicodedata.category(ch) in _INVISIBLE for ch in text)


def strip_invisible(text: str) -> str:
    """``text`` without control, invisible format and line separator characters (what a kiosk keyboard or a
    phone cannot mean to type, but a forged form post or a modem can send).

    >>> strip_invisible("Ana\\x00 Ram\\u202eírez\\x1b")
    'Ana Ramírez'
    """
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: how names are compared and searched."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def search_name(name: str) -> str:
    """The folded name a person is searched by, as stored: cut to the column, since folding can lengthen a name
    (``ß`` folds to ``ss``, a ligature to two letters) and a 200-character name must still fit.

    >>> len(search_name("ß" * 200))
    200
    """
    return fold(name)[:MAX_FIELD]


def display_name(name: str) -> str:
    """First name and last initial, which is all a kiosk screen or receipt shows of a person."""
    words = name.split()
    if len(words) <= 1:
        return name.strip()
    return f"{words[0]} {words[-1][0]}."


def normalize_phone(raw: str, region: str) -> str | None:
    """E.164 for a usable phone number, None for an empty one; raises InvalidInput for anything else."""
    text = raw.strip()
    if not text:
        return None
    if len(text) > 40:
        raise InvalidInput("phone is too long to be a phone number")
    import phonenumbers  # on first use: its metadata is a noticeable part of the web process's start on a Pi

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"phone {text!r} is not a phone number") from None
    # 555-01xx numbers are reserved for fiction and fail is_valid_number, so "possible" is the honest test.
    if not phonenumbers.is_possible_number(number) or any(ch.isalpha() for ch in text):
        raise InvalidInput(f"phone {text!r} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The languages members' texts can go in (sms.replies writes en and es), and the names a roster may give them.
_LANGUAGE_NAMES = {
    "en": "en",
    "english": "en",
    "ingles": "en",
    "es": "es",
    "spanish": "es",
    "espanol": "es",
}


def parse_language(raw: str) -> str | None:
    """A roster's language cell as ``en``/``es``; None for empty (keep what is stored).

    >>> parse_language(" Español "), parse_language("EN"), parse_language("")
    ('es', 'en', None)
    """
    if not raw.strip():
        return None
    code = _LANGUAGE_NAMES.get(fold(raw).split("-")[0].split("_")[0])
    if code is None:
        raise InvalidInput(f"language {raw.strip()[:20]!r} is not one of en (English), es (Spanish)")
    return code


def parse_date(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"joined {text!r} is not a date (use YYYY-MM-DD)")


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    phone: str | None
    email: str | None
    status: str
    joined: date | None
    language: str | None = None  # None: keep the stored language


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _header_map(header: list[str]) -> dict[str, int]:
    names = [fold(h).replace(" ", "_") for h in header]
    return {name: i for i, name in enumerate(names) if name}


def _read_header(reader: Any, result: ParsedRoster) -> dict[str, int]:
    """The column of each known name; notes on missing or unknown columns go to ``result``."""
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the roster file is empty") from None
    except csv.Error as exc:
        raise InvalidInput(f"the roster file is not CSV: {exc}") from None
    columns = _header_map(header)
    if "name" not in columns:
        raise InvalidInput("the roster has no 'name' column (expected: name, phone, email, status, joined)")
    if "status" not in columns:
        result.notes.append("no status column: everyone is imported as a member")
    unknown = sorted(set(columns) - {"name", "phone", "email", "status", "joined", "language"})
    if unknown:
        result.notes.append(f"ignored columns: {', '.join(unknown)}")
    return columns


def _bad_email(email: str | None) -> bool:
    if not email:
        return False
    return "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email) or _has_invisible(email)


def _roster_row(line: int, cells: dict[str, str], region: str) -> RosterRow | Refusal:
    """One line of the roster (``cells`` by column name, stripped; ``status`` absent when the file has none)."""
    name = cells["name"]
    if not name:
        return Refusal(line, "no name")
    if len(name) > MAX_FIELD or _has_invisible(name):
        return Refusal(line, "the name is too long or has control characters")
    status = fold(cells["status"]) if "status" in cells else "member"
    if status not in MEMBER_STATUSES:
        shown = status or "(empty)"
        return Refusal(line, f"status {shown!r} is not one of {', '.join(MEMBER_STATUSES)}")
    email = cells["email"].lower() or None
    if _bad_email(email):
        return Refusal(line, f"email {email!r} is not an email address")
    try:
        phone = normalize_phone(cells["phone"], region)
        joined = parse_date(cells["joined"])
        language = parse_language(cells["language"])
    except InvalidInput as exc:
        return Refusal(line, str(exc))
    return RosterRow(line, name, phone, email, status, joined, language)


def _csv_rows(reader: Any, result: ParsedRoster) -> Iterator[list[str]]:
    """The rows that are not blank; a row that is not CSV is refused and skipped."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.refused.append(Refusal(reader.line_num, f"cannot be read as CSV ({exc})"))
            continue
        if any(c.strip() for c in row):
            yield row


def parse_roster(text: str, region: str) -> ParsedRoster:
    """Parse roster CSV text; raises InvalidInput only when the file as a whole is unusable."""
    text = text.lstrip("\ufeff")
    result = ParsedRoster()
    reader = csv.reader(io.StringIO(text, newline=""))
    columns = _read_header(reader, result)
    wanted = [c for c in ("name", "phone", "email", "status", "joined", "language") if c != "status" or c in columns]

    def cell(row: list[str], column: str) -> str:
        index = columns.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    seen: dict[tuple[str, str, str], int] = {}
    for row in _csv_rows(reader, result):
        line = reader.line_num
        if len(result.rows) + len(result.refused) >= MAX_ROWS:
            result.refused.append(Refusal(line, f"the file has more than {MAX_ROWS} rows; the rest was not read"))
            break
        parsed = _roster_row(line, {column: cell(row, column) for column in wanted}, region)
        if isinstance(parsed, Refusal):
            result.refused.append(parsed)
            continue
        key = (fold(parsed.name), parsed.email or "", parsed.phone or "")
        if key in seen:
            result.notes.append(f"line {line}: same person as line {seen[key]}; the later line was used")
            result.rows = [r for r in result.rows if r.line != seen[key]]
        seen[key] = line
        result.rows.append(parsed)
    return result
