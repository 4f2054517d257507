"""One cast vote record file an RCTab config names, and how to read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CvrSource:
    path: Path
    provider: str
    contest_id: str = ""
    first_vote_column: int = 0  # 0-based
    first_vote_row: int = 1  # 0-based index of the first ballot row (the header is row 0)
    undeclared_write_in_label: str = ""
    overvote_label: str = ""
    overvote_delimiter: str = ""
    skipped_rank_label: str = ""
    treat_blank_as_undeclared_write_in: bool = False
    id_column: int | None = None  # 0-based; ES&S only (other columns' ids are not needed for a count)
    precinct_column: int | None = None
    batch_column: int | None = None
