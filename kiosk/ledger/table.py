"""Reading a spreadsheet's CSV as people really save them: cells by column name, with line numbers.

Handled here, for every ledger file: a byte-order mark, CRLF or LF line ends, blank lines, header names in any
case and spacing (``Yes Means`` is ``yes_means``), spaces around cells, and files saved with semicolons or tabs
between cells (spreadsheets in Spanish-speaking locales write ``;``). A line that cannot be read as CSV (a cell
over the csv module's size limit, a stray NUL) is refused with its line number and the rest is read. What each
column may hold is the caller's business (``kiosk.ledger.files``).

>>> text = "\\ufeffName ; Office\\r\\n\\r\\n Ana Ruiz ; Mayor\\r\\n"
>>> table = read_table(text, "officials", required=("name",), optional=("office",))
>>> table.rows
[(3, {'name': 'Ana Ruiz', 'office': 'Mayor'})]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import InvalidInput
from kiosk.ledger.model import Refusal
from kiosk.roster import fold, strip_invisible

MAX_ROWS = 100_000


def has_control(text: str) -> bool:
    """Whether ``text`` holds control, invisible-format or line-separator characters (NUL, RTL overrides, ...)."""
    return strip_invisible(text) != text


@dataclass
class Table:
    """The rows of a file: ``(line number, {column: stripped cell})``; refused lines; notes for the report."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in header:
        for other in (";", "\t"):
            if other in header:
                return other
    return ","


def _header(reader: Any, what: str, required: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"the {what} file is empty") from None
    except csv.Error as exc:
        raise InvalidInput(f"the {what} file is not CSV: {exc}") from None
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = fold(name).replace(" ", "_")
        if key and key not in columns:
            columns[key] = index
    missing = [name for name in required if name not in columns]
    if missing:
        raise InvalidInput(
            f"the {what} file has no {', '.join(repr(m) for m in missing)} column (expected: {', '.join(required)})"
        )
    return columns


def _lines(reader: Any, table: Table) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            table.refused.append(Refusal(reader.line_num, f"cannot be read as CSV ({exc})"))
            continue
        if any(cell.strip() for cell in row):
            yield row


def read_table(text: str, what: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Table:
    """The file's rows by column name (``required`` and ``optional`` columns only; others are noted as ignored).
    Raises InvalidInput only when the file as a whole is unusable (empty, or a required column missing)."""
    text = text.lstrip("\ufeff")
    table = Table()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), skipinitialspace=True)
    columns = _header(reader, what, required)
    known = required + optional
    ignored = sorted(set(columns) - set(known))
    if ignored:
        table.notes.append(f"ignored columns: {', '.join(ignored)[:200]}")
    for row in _lines(reader, table):
        if len(table.rows) + len(table.refused) >= MAX_ROWS:
            table.refused.append(
                Refusal(reader.line_num, f"the file has more than {MAX_ROWS} rows; the rest was not read")
            )
            break
        cells = {
            name: row[columns[name]].strip() if columns[name] < len(row) else "" for name in known if name in columns
        }
        table.rows.append((reader.line_num, cells))
    return table
