"""Receipts as values: :class:`Receipt` and its blocks, checked when built and when loaded from the print queue.

A receipt is a :class:`Receipt`: a kind, a language, a paper width in columns and a tuple of blocks
(:class:`Heading`, :class:`Line`, :class:`Row`, :class:`BigText`, :class:`QR`, :class:`Rule`, :class:`Feed`).
Blocks hold unwrapped text; :func:`layout` wraps them for a width, so a receipt built for 80 mm paper still
prints correctly on a 58 mm printer. ``Receipt.to_json()`` / ``Receipt.from_json()`` store a receipt as data
(blocks as plain dicts) for a print queue; loading validates every block again. ``Receipt.has_secrets`` is True
when a receipt carries a live ballot token, which a queue must erase once printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, Literal

from kiosk.receipts.charset import check_text

LANGUAGES = ("en", "es")
MIN_COLUMNS, MAX_COLUMNS = 16, 96

Align = Literal["left", "center", "right"]


class ReceiptKind(StrEnum):
    SIGNIN = "signin"
    BALLOT = "ballot"
    TALLY = "tally"
    TEST = "test"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Heading:
    """Bold, double height, centred: organization names, receipt titles, REPRINT."""

    text: str
    type: ClassVar[str] = "heading"

    def __post_init__(self) -> None:
        check_text(self.text, "heading")


@dataclass(frozen=True)
class Line:
    """Ordinary text, wrapped on word boundaries."""

    text: str
    bold: bool = False
    align: Align = "left"
    type: ClassVar[str] = "line"

    def __post_init__(self) -> None:
        check_text(self.text, "line")
        if self.align not in ("left", "center", "right"):
            raise ValueError(f"align must be left, center or right, not {self.align!r}")
        if not isinstance(self.bold, bool):
            raise ValueError("bold must be true or false")


@dataclass(frozen=True)
class Row:
    """A label on the left and a value on the right (counts on a tally tape)."""

    left: str
    right: str
    bold: bool = False
    type: ClassVar[str] = "row"

    def __post_init__(self) -> None:
        check_text(self.left, "row label")
        check_text(self.right, "row value")
        if not isinstance(self.bold, bool):
            raise ValueError("bold must be true or false")


@dataclass(frozen=True)
class BigText:
    """Double width and height, centred: a ballot token read from arm's length. ``secret`` keeps it out of logs."""

    text: str
    secret: bool = False
    type: ClassVar[str] = "bigtext"

    def __post_init__(self) -> None:
        check_text(self.text, "big text")
        if not isinstance(self.secret, bool):
            raise ValueError("secret must be true or false")


@dataclass(frozen=True)
class QR:
    """A QR code of ``data``; ``size`` is the module size in printer dots (1-16)."""

    data: str
    size: int = 6
    secret: bool = False
    type: ClassVar[str] = "qr"

    def __post_init__(self) -> None:
        check_text(self.data, "QR data")
        if not self.data:
            raise ValueError("QR data must not be empty")
        if len(self.data) > 500:
            raise ValueError("QR data is too long for a receipt (at most 500 characters)")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or not 1 <= self.size <= 16:
            raise ValueError("QR size must be a whole number from 1 to 16")
        if not isinstance(self.secret, bool):
            raise ValueError("secret must be true or false")


@dataclass(frozen=True)
class Rule:
    """A full-width line of dashes."""

    type: ClassVar[str] = "rule"


@dataclass(frozen=True)
class Feed:
    """``lines`` blank lines."""

    lines: int = 1
    type: ClassVar[str] = "feed"

    def __post_init__(self) -> None:
        if not isinstance(self.lines, int) or isinstance(self.lines, bool) or not 0 <= self.lines <= 10:
            raise ValueError("feed must be a whole number of lines from 0 to 10")


Block = Heading | Line | Row | BigText | QR | Rule | Feed
BLOCK_TYPES: dict[str, type] = {cls.type: cls for cls in (Heading, Line, Row, BigText, QR, Rule, Feed)}


def block_to_dict(block: Block) -> dict[str, Any]:
    return {"type": block.type, **{f.name: getattr(block, f.name) for f in fields(block)}}


def block_from_dict(data: Mapping[str, Any]) -> Block:
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise ValueError("each block must be an object with a 'type'")
    cls = BLOCK_TYPES.get(data["type"])
    if cls is None:
        raise ValueError(f"unknown block type {data['type']!r}; known: {', '.join(sorted(BLOCK_TYPES))}")
    names = {f.name for f in fields(cls)}
    extra = set(data) - names - {"type"}
    if extra:
        raise ValueError(f"block {data['type']!r} has unknown fields: {', '.join(sorted(extra))}")
    try:
        return cls(**{k: v for k, v in data.items() if k != "type"})
    except TypeError as exc:
        raise ValueError(f"block {data['type']!r} is incomplete: {exc}") from None


def check_columns(columns: object) -> int:
    if not isinstance(columns, int) or isinstance(columns, bool) or not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise ValueError(f"columns must be a whole number from {MIN_COLUMNS} to {MAX_COLUMNS} (48 or 32 usually)")
    return columns


def check_language(language: object) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return str(language)


@dataclass(frozen=True)
class Receipt:
    kind: ReceiptKind
    language: str
    columns: int
    # Not in the repr: the blocks hold the token, the verification code and the name (a repr may reach a log).
    blocks: tuple[Block, ...] = field(default_factory=tuple, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ReceiptKind(self.kind))
        check_language(self.language)
        check_columns(self.columns)
        object.__setattr__(self, "blocks", tuple(self.blocks))
        for block in self.blocks:
            if not isinstance(block, tuple(BLOCK_TYPES.values())):
                raise ValueError(f"not a receipt block: {block!r}")

    @property
    def has_secrets(self) -> bool:
        """Whether the receipt carries a live ballot token: a print queue must not keep it after printing."""
        return any(getattr(block, "secret", False) for block in self.blocks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "language": self.language,
            "columns": self.columns,
            "blocks": [block_to_dict(b) for b in self.blocks],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        if not isinstance(data, Mapping):
            raise ValueError("a stored receipt must be a JSON object")
        try:
            kind = ReceiptKind(data["kind"])
            blocks = data["blocks"]
            language, columns = data["language"], data["columns"]
        except KeyError as exc:
            raise ValueError(f"a stored receipt lacks {exc.args[0]!r}") from None
        except ValueError:
            raise ValueError(f"unknown receipt kind {data.get('kind')!r}") from None
        if not isinstance(blocks, list):
            raise ValueError("a stored receipt's blocks must be a list")
        return cls(kind, language, columns, tuple(block_from_dict(b) for b in blocks))

    @classmethod
    def from_json(cls, text: str | bytes) -> Receipt:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a stored receipt is not valid JSON: {exc}") from None
        return cls.from_dict(data)
