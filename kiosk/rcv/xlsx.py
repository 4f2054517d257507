"""Just enough of the XLSX format (Office Open XML spreadsheet) to read an ES&S cast vote record export.

An .xlsx is a zip: ``xl/sharedStrings.xml`` holds the text of string cells, the first worksheet holds cells
addressed like ``C12``. Cells come back as (row, column, text), 0-based, in file order, with numbers written
as a spreadsheet shows a plain number ("12", not "12.0"), which is what RCTab's reader (Apache POI's
formatted values) gives for these files.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ADDRESS = re.compile(r"^([A-Z]+)(\d+)$")


class XlsxError(ValueError):
    pass


def _text(element: ElementTree.Element) -> str:
    """A shared or inline string: its <t> runs joined (rich text has several)."""
    return "".join(t.text or "" for t in element.iter(f"{_MAIN}t"))


@functools.lru_cache(maxsize=4096)
def _column(letters: str) -> int:
    value = 0
    for letter in letters:
        value = value * 26 + (ord(letter) - ord("A") + 1)
    return value - 1


def _address(reference: str) -> int | None:
    """The 0-based column of a cell reference like "C12" (None if it is not one)."""
    match = _ADDRESS.match(reference)
    return None if match is None else _column(match.group(1))


def _number(raw: str) -> str:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheet = next(workbook.iter(f"{_MAIN}sheet"), None)
    if sheet is None:
        raise XlsxError("the workbook has no sheet")
    rel_id = sheet.get(f"{_RELS}id")
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise XlsxError("the first sheet's file is not listed in the workbook")


def read_rows(path: Path) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Each row present in the first sheet: (0-based row, [(0-based column, text), ...])."""
    try:
        book = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise XlsxError(f"not an .xlsx workbook ({exc})") from exc
    with book:
        try:
            shared: list[str] = []
            if "xl/sharedStrings.xml" in book.namelist():
                strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
                shared = [_text(si) for si in strings.iter(f"{_MAIN}si")]
            sheet = ElementTree.fromstring(book.read(_first_sheet(book)))
        except (KeyError, ElementTree.ParseError) as exc:
            raise XlsxError(f"not a readable .xlsx workbook ({exc})") from exc
        for number, row in enumerate(sheet.iter(f"{_MAIN}row")):
            row_index = int(row.get("r", number + 1)) - 1
            cells: list[tuple[int, str]] = []
            for cell in row.iter(f"{_MAIN}c"):
                match = _address(cell.get("r", ""))
                if match is None:
                    raise XlsxError(f"row {row_index + 1}: a cell without an address")
                kind = cell.get("t", "n")
                value = cell.find(f"{_MAIN}v")
                if kind == "inlineStr":
                    inline = cell.find(f"{_MAIN}is")
                    if inline is None:
                        continue
                    text = _text(inline)
                elif value is None or value.text is None:
                    continue  # a styled but empty cell
                elif kind == "s":
                    text = shared[int(value.text)]
                elif kind == "n":
                    text = _number(value.text)
                elif kind == "b":
                    text = "TRUE" if value.text == "1" else "FALSE"
                else:
                    text = value.text
                cells.append((match, text))
            yield row_index, cells
