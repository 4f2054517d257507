"""Cast vote records as tables: RCTab's generic CSV (a column per candidate, a rank in each cell) and ES&S
spreadsheets (.xlsx, a column per rank, a candidate in each cell).

Each reader returns (where, ballot) pairs; ``where`` names the line or row in a complaint.
"""

from __future__ import annotations

import csv

from kiosk.rcv.cvr_source import CvrSource
from kiosk.rcv.model import OVERVOTE, UNDECLARED_WRITE_IN, Ballot, RcvInputError, ballot_from_marks

__all__ = ["read_ess_xlsx", "read_generic_csv"]


def read_generic_csv(source: CvrSource) -> list[tuple[str, Ballot]]:
    path = source.path
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RcvInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    out: list[tuple[str, Ballot]] = []
    try:
        with handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise RcvInputError(f"{path}: line 1: the file is empty (expected a header of candidate names)")
            names = header[source.first_vote_column :]
            for offset, name in enumerate(names):
                if not name.strip():
                    column = source.first_vote_column + offset + 1
                    raise RcvInputError(f"{path}: line 1: the candidate name in column {column} is empty")
            for _ in range(source.first_vote_row - 1):  # rows between the header and the first ballot
                next(reader, None)
            for row in reader:
                line = reader.line_num
                marks: list[tuple[int, str]] = []
                for col in range(source.first_vote_column, len(row)):
                    cell = row[col].strip()
                    if not cell:
                        continue
                    index = col - source.first_vote_column
                    if index >= len(names):
                        raise RcvInputError(f"{path}: line {line}: a ranking in column {col + 1}, which has no name")
                    try:
                        rank = int(cell)
                    except ValueError:
                        raise RcvInputError(
                            f"{path}: line {line}: expected a rank number in column {col + 1}, got {cell!r}"
                        ) from None
                    if rank < 1:
                        raise RcvInputError(f"{path}: line {line}: rank {rank} in column {col + 1} is not positive")
                    name = names[index]
                    if source.undeclared_write_in_label and name == source.undeclared_write_in_label:
                        name = UNDECLARED_WRITE_IN
                    marks.append((rank, name))
                out.append((f"line {line}", ballot_from_marks(marks)))
    except UnicodeDecodeError as exc:
        raise RcvInputError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise RcvInputError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from exc
    return out


# --- ES&S cast vote records (.xlsx), as RCTab's StreamingCvrReader reads them -----------------------------------


def read_ess_xlsx(source: CvrSource, max_rankings: int | None) -> list[tuple[str, Ballot]]:
    from kiosk.rcv.xlsx import XlsxError, read_rows

    out: list[tuple[str, Ballot]] = []
    try:
        for row_index, cells in read_rows(source.path):
            if row_index >= source.first_vote_row:
                where = f"row {row_index + 1}"
                out.append((where, ballot_from_marks(_ess_marks(source, where, cells, max_rankings))))
    except XlsxError as exc:
        raise RcvInputError(f"{source.path}: {exc}") from exc
    return out


def _ess_marks(
    source: CvrSource, where: str, cells: list[tuple[int, str]], max_rankings: int | None
) -> list[tuple[int, str]]:
    """One row's marks: a rank per vote column, a cell split by the overvote delimiter into several marks."""
    first_column = source.first_vote_column
    marks: list[tuple[int, str]] = []
    last_rank = 0
    # rankings left empty between two filled ones (or after the last) may count as write-ins
    blank_is_write_in = source.treat_blank_as_undeclared_write_in
    for column, text in cells:
        if column in (source.precinct_column, source.batch_column, source.id_column):
            continue
        if column < first_column or (max_rankings is not None and column >= first_column + max_rankings):
            continue
        rank = column - first_column + 1
        if blank_is_write_in:
            marks.extend((r, UNDECLARED_WRITE_IN) for r in range(last_rank + 1, rank))
        marks.extend((rank, candidate) for candidate in _ess_cell(source, where, text))
        last_rank = rank
    if max_rankings is not None and blank_is_write_in:
        marks.extend((r, UNDECLARED_WRITE_IN) for r in range(last_rank + 1, max_rankings + 1))
    return marks


def _ess_cell(source: CvrSource, where: str, text: str) -> list[str]:
    """The candidates one cell marks (an overvote or write-in label read as such; a skipped rank marks none)."""
    cell = text.strip()
    parts = cell.split(source.overvote_delimiter) if source.overvote_delimiter else [cell]
    marked: list[str] = []
    for part in parts:
        candidate = part.strip()
        if len(parts) > 1 and (not candidate or candidate == source.skipped_rank_label):
            raise RcvInputError(
                f"{source.path}: {where}: a cell split by the overvote delimiter has a blank or skipped part"
            )
        if candidate == source.skipped_rank_label:
            continue
        if source.overvote_label and candidate == source.overvote_label:
            candidate = OVERVOTE
        elif source.undeclared_write_in_label and candidate == source.undeclared_write_in_label:
            candidate = UNDECLARED_WRITE_IN
        marked.append(candidate)
    return marked
