"""Receipts as values: what a sign-in slip, a ballot receipt and a tally tape say, laid out for a paper width.

This module owns the *content* of every receipt, its English/Spanish wording, the sanitizing of text that came
from users, and the line layout (word wrap at the paper width). It is pure: no printer library, no I/O. The
printer adapter (``hardware.printer``) turns the laid-out lines into ESC/POS commands; :func:`render_text` turns
the very same lines into plain text for the console printer and a preview page, so paper and preview agree.

A receipt is a :class:`Receipt`: a kind, a language, a paper width in columns and a tuple of blocks
(:class:`Heading`, :class:`Line`, :class:`Row`, :class:`BigText`, :class:`QR`, :class:`Rule`, :class:`Feed`).
Blocks hold unwrapped text; :func:`layout` wraps them for a width, so a receipt built for 80 mm paper still
prints correctly on a 58 mm printer. ``Receipt.to_json()`` / ``Receipt.from_json()`` store a receipt as data
(blocks as plain dicts) for a print queue; loading validates every block again. ``Receipt.has_secrets`` is True
when a receipt carries a live ballot token, which a queue must erase once printed.

Text from users (names, titles, organization) passes through :func:`clean`: NFC normalization, C0/C1 control
characters (ESC, GS, DLE, FS, ...), DEL, format characters (zero-width, bidi overrides, soft hyphen), private-use
and unassigned code points are removed; any run of whitespace becomes one space.

Non-Latin names -- the decision: receipts carry only characters that the common ESC/POS code pages can print
(the repertoire of CP858, CP1252, CP852, CP866 and CP737: Western and Central European Latin, Greek, Cyrillic),
so the printer adapter can print them exactly: Latin text in one page (PC858 or WPC1252, which many printers
have), other pages only for other scripts' letters (``hardware.codepages``; ``docs/printers.md``). Anything else falls
back legibly, one printed character per character so widths stay exact: accents the code pages lack are dropped
one at a time (``Nguyễn Thị Lan`` prints ``Nguyên Thi Lan``), compatibility forms are folded (full-width
``Ａ`` prints ``A``), and what still cannot be printed becomes ``?`` (``李伟`` prints ``??``, ``عائشة`` prints
``?????``). Right-to-left and CJK scripts are not sent to the printer even where a profile has a code page for
them, because ESC/POS prints them unshaped, left to right (Arabic) or as GB18030 bytes that a Western printer
shows as garbage (python-escpos's CJK special case).
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from kiosk.results import Choice, MeetingResults, Threshold

__all__ = [
    "QR",
    "BigText",
    "Block",
    "Feed",
    "Heading",
    "LaidLine",
    "Line",
    "Receipt",
    "ReceiptKind",
    "Row",
    "Rule",
    "ballot_receipt",
    "clean",
    "layout",
    "printable",
    "printer_test_receipt",
    "render_text",
    "signin_receipt",
    "tally_tape",
]

LANGUAGES = ("en", "es")
MIN_COLUMNS, MAX_COLUMNS = 16, 96
MAX_USER_TEXT = 300  # a pasted essay as a meeting title must not print a metre of paper

Align = Literal["left", "center", "right"]


class ReceiptKind(StrEnum):
    SIGNIN = "signin"
    BALLOT = "ballot"
    TALLY = "tally"
    TEST = "test"


# ---------------------------------------------------------------------------------------------------------------
# Sanitizing and the printable repertoire

_REPERTOIRE_CODECS = ("cp858", "cp1252", "cp852", "cp866", "cp737")


def _build_repertoire() -> frozenset[str]:
    chars: set[str] = set()
    for codec in _REPERTOIRE_CODECS:
        chars |= page_repertoire(codec)
    return frozenset(chars)


_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_SPACE = re.compile(r"\s+")


def clean(text: str, *, limit: int = MAX_USER_TEXT) -> str:
    """User text made safe and single-line: no control or format characters, whitespace collapsed, capped."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or cat in ("Zs", "Zl", "Zp"):
            kept.append(" ")
        elif cat not in _DROP_CATEGORIES:
            kept.append(ch)
    out = _SPACE.sub(" ", "".join(kept)).strip()
    if len(out) > limit:
        out = out[: limit - 3].rstrip() + "..."
    return out


def page_repertoire(codec: str) -> frozenset[str]:
    """The printable characters of one single-byte code page (a Python codec name such as ``cp858``)."""
    chars: set[str] = {chr(c) for c in range(0x20, 0x7F)}
    for byte in range(0x80, 0x100):
        try:
            ch = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            continue
        if unicodedata.category(ch)[0] != "C":
            chars.add(ch)
    return frozenset(chars)


REPERTOIRE: frozenset[str] = _build_repertoire()

# Letters with a stroke have no decomposition; on a page without them they print as their plain letter.
_STROKES = str.maketrans("ŁłĐđĦħŦŧØøƗɨı", "LlDdHhTtOoIii")


def _fallback(ch: str, repertoire: frozenset[str] = REPERTOIRE) -> str:
    if ch in repertoire:
        return ch
    if unicodedata.bidirectional(ch) in ("R", "AL", "AN"):
        return "?"
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    for keep in range(len(marks) - 1, -1, -1):  # drop the accents the code pages lack, outermost first
        candidate = unicodedata.normalize("NFC", base + marks[:keep])
        if len(candidate) == 1 and candidate in repertoire:
            return candidate
    stroke = ch.translate(_STROKES)
    if stroke != ch and stroke in repertoire:
        return stroke
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded and all(c in repertoire for c in folded):
        return folded
    if unicodedata.category(ch).startswith("M"):
        return ""  # a stray combining mark has no width of its own
    return "?"


def printable(text: str, repertoire: frozenset[str] = REPERTOIRE) -> str:
    """Text restricted to what every common ESC/POS code page set prints (see the module docstring), or to
    ``repertoire`` (one page's, see :func:`page_repertoire`) for a printer told to use that page alone."""
    return "".join(_fallback(ch, repertoire) for ch in unicodedata.normalize("NFC", text))


def _safe(text: str, *, limit: int = MAX_USER_TEXT) -> str:
    return printable(clean(text, limit=limit))


def _check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text, not {type(text).__name__}")
    bad = sorted({ch for ch in text if ch not in REPERTOIRE})
    if bad:
        raise ValueError(f"{what} holds characters a receipt cannot carry: {', '.join(map(ascii, bad))}")


# ---------------------------------------------------------------------------------------------------------------
# Blocks


@dataclass(frozen=True)
class Heading:
    """Bold, double height, centred: organization names, receipt titles, REPRINT."""

    text: str
    type: ClassVar[str] = "heading"

    def __post_init__(self) -> None:
        _check_text(self.text, "heading")


@dataclass(frozen=True)
class Line:
    """Ordinary text, wrapped on word boundaries."""

    text: str
    bold: bool = False
    align: Align = "left"
    type: ClassVar[str] = "line"

    def __post_init__(self) -> None:
        _check_text(self.text, "line")
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
        _check_text(self.left, "row label")
        _check_text(self.right, "row value")
        if not isinstance(self.bold, bool):
            raise ValueError("bold must be true or false")


@dataclass(frozen=True)
class BigText:
    """Double width and height, centred: a ballot token read from arm's length. ``secret`` keeps it out of logs."""

    text: str
    secret: bool = False
    type: ClassVar[str] = "bigtext"

    def __post_init__(self) -> None:
        _check_text(self.text, "big text")
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
        _check_text(self.data, "QR data")
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
_BLOCK_TYPES: dict[str, type] = {cls.type: cls for cls in (Heading, Line, Row, BigText, QR, Rule, Feed)}


def _block_to_dict(block: Block) -> dict[str, Any]:
    return {"type": block.type, **{f.name: getattr(block, f.name) for f in fields(block)}}


def _block_from_dict(data: Mapping[str, Any]) -> Block:
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise ValueError("each block must be an object with a 'type'")
    cls = _BLOCK_TYPES.get(data["type"])
    if cls is None:
        raise ValueError(f"unknown block type {data['type']!r}; known: {', '.join(sorted(_BLOCK_TYPES))}")
    names = {f.name for f in fields(cls)}
    extra = set(data) - names - {"type"}
    if extra:
        raise ValueError(f"block {data['type']!r} has unknown fields: {', '.join(sorted(extra))}")
    try:
        return cls(**{k: v for k, v in data.items() if k != "type"})
    except TypeError as exc:
        raise ValueError(f"block {data['type']!r} is incomplete: {exc}") from None


def _check_columns(columns: object) -> int:
    if not isinstance(columns, int) or isinstance(columns, bool) or not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise ValueError(f"columns must be a whole number from {MIN_COLUMNS} to {MAX_COLUMNS} (48 or 32 usually)")
    return columns


def _check_language(language: object) -> str:
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
        _check_language(self.language)
        _check_columns(self.columns)
        object.__setattr__(self, "blocks", tuple(self.blocks))
        for block in self.blocks:
            if not isinstance(block, tuple(_BLOCK_TYPES.values())):
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
            "blocks": [_block_to_dict(b) for b in self.blocks],
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
        return cls(kind, language, columns, tuple(_block_from_dict(b) for b in blocks))

    @classmethod
    def from_json(cls, text: str | bytes) -> Receipt:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a stored receipt is not valid JSON: {exc}") from None
        return cls.from_dict(data)


# ---------------------------------------------------------------------------------------------------------------
# Layout: blocks -> lines of at most `columns` characters


@dataclass(frozen=True)
class LaidLine:
    """One printed line (``qr`` set for a QR code, ``text`` then empty). ``scale`` 2 means double width."""

    text: str = ""
    bold: bool = False
    align: Align = "left"
    scale: int = 1
    tall: bool = False
    secret: bool = False
    qr: QR | None = None


def wrap(text: str, width: int) -> list[str]:
    """Word wrap; words longer than a line are broken hard. Always at least one (possibly empty) line."""
    if not text:
        return [""]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=True) or [""]


def layout(receipt: Receipt, columns: int | None = None) -> list[LaidLine]:
    """The receipt as printed lines for a paper ``columns`` wide (default: the width it was built for)."""
    width = _check_columns(receipt.columns if columns is None else columns)
    out: list[LaidLine] = []
    for block in receipt.blocks:
        match block:
            case Heading(text=text):
                out += [LaidLine(t, bold=True, align="center", tall=True) for t in wrap(text, width)]
            case Line(text=text, bold=bold, align=align):
                out += [LaidLine(t, bold=bold, align=align) for t in wrap(text, width)]
            case Row(left=left, right=right, bold=bold):
                if len(left) + 1 + len(right) <= width:
                    out.append(LaidLine(left + " " * (width - len(left) - len(right)) + right, bold=bold))
                else:
                    out += [LaidLine(t, bold=bold) for t in wrap(left, width)]
                    out += [LaidLine(t, bold=bold, align="right") for t in wrap(right, width)]
            case BigText(text=text, secret=secret):
                out += [
                    LaidLine(t, bold=True, align="center", scale=2, tall=True, secret=secret)
                    for t in wrap(text, width // 2)
                ]
            case QR():
                out.append(LaidLine(align="center", qr=block, secret=block.secret))
            case Rule():
                out.append(LaidLine("-" * width))
            case Feed(lines=n):
                out += [LaidLine("") for _ in range(n)]
    return out


def render_text(receipt: Receipt, columns: int | None = None, *, redact: bool = False) -> str:
    """Plain text of the receipt, each line at most ``columns`` wide. Double-width text is letter-spaced so it
    takes the room it takes on paper; a QR code shows as ``[QR: data]``. ``redact`` hides secret blocks (tokens)
    for logs."""
    width = _check_columns(receipt.columns if columns is None else columns)
    lines: list[str] = []
    for laid in layout(receipt, width):
        if laid.qr is not None:
            data = "*" * 8 if redact and laid.secret else laid.qr.data
            texts = wrap(f"[QR: {data}]", width)
            lines += [t.center(width).rstrip() for t in texts]
            continue
        text = "*" * len(laid.text) if redact and laid.secret else laid.text
        if laid.scale == 2:
            text = " ".join(text)
        if laid.align == "center":
            text = text.center(width)
        elif laid.align == "right":
            text = text.rjust(width)
        lines.append(text.rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Wording

_T: dict[str, dict[str, str]] = {
    "en": {
        "reprint": "*** REPRINT ***",
        "welcome": "Welcome, {name}",
        "member": "Member",
        "guest": "Guest",
        "pending": "Membership pending",
        "pending_note": "An organizer will confirm your membership.",
        "guest_note": "Voting is for members; you are welcome to join the discussion.",
        "token_intro": "Your ballot code",
        "token_note": "Keep this slip private. Type or scan the code at the voting station. It works once.",
        "rsvp": "Next time, RSVP by text:",
        "ballot_title": "BALLOT RECEIPT",
        "ballot_recorded": "Your vote was recorded.",
        "verification": "Verification code",
        "verify_at": "Check that your ballot was counted:",
        "your_choices": "Your choices",
        "no_name": "This receipt does not name you.",
        "tally_title": "RESULTS",
        "printed_at": "Printed {when}",
        "quorum": "Quorum",
        "required": "Required",
        "present": "Present",
        "quorum_met": "QUORUM MET",
        "quorum_not_met": "QUORUM NOT MET",
        "issued": "Ballots issued",
        "cast": "Ballots cast",
        "threshold": "Needs {threshold}",
        "yes": "Yes",
        "no": "No",
        "abstain": "Abstain",
        "passed": "PASSED",
        "failed": "FAILED",
        "yes_share": "{pct}% yes",
        "no_planks": "No planks on this ballot.",
        "audit": "Audit log head",
        "audit_note": "Compare with `kiosk audit verify`.",
        "signed": "Checked by",
        "test_title": "PRINTER TEST",
        "test_ok": "If you can read this, the printer works.",
        "test_width": "Width check ({columns} columns):",
        "test_chars": "Characters:",
        "test_big": "BIG TEXT",
        "majority": "a majority",
        "three-fifths": "three fifths",
        "two-thirds": "two thirds",
        "three-quarters": "three quarters",
        "choice_yes": "YES",
        "choice_no": "NO",
        "choice_abstain": "ABSTAIN",
    },
    "es": {
        "reprint": "*** REIMPRESIÓN ***",
        "welcome": "Hola, {name}",
        "member": "Miembro",
        "guest": "Visitante",
        "pending": "Membresía pendiente",
        "pending_note": "El equipo organizador confirmará su membresía.",
        "guest_note": "Solo los miembros votan; le invitamos a participar en la conversación.",
        "token_intro": "Su código de votación",
        "token_note": "Guarde este papel en privado. Escriba o escanee el código en el quiosco de votación. "
        "Sirve una sola vez.",
        "rsvp": "La próxima vez, confirme por mensaje de texto:",
        "ballot_title": "RECIBO DE SU BOLETA",
        "ballot_recorded": "Su boleta quedó guardada.",
        "verification": "Código de verificación",
        "verify_at": "Compruebe que su boleta se contó:",
        "your_choices": "Sus respuestas",
        "no_name": "Este recibo no lleva su nombre.",
        "tally_title": "RESULTADOS",
        "printed_at": "Impreso {when}",
        "quorum": "Quórum",
        "required": "Requerido",
        "present": "Presentes",
        "quorum_met": "HAY QUÓRUM",
        "quorum_not_met": "NO HAY QUÓRUM",
        "issued": "Boletas entregadas",
        "cast": "Boletas recibidas",
        "threshold": "Necesita {threshold}",
        "yes": "Sí",
        "no": "No",
        "abstain": "Abstención",
        "passed": "APROBADA",
        "failed": "RECHAZADA",
        "yes_share": "{pct}% sí",
        "no_planks": "No hay propuestas en esta boleta.",
        "audit": "Cabeza del registro de auditoría",
        "audit_note": "Compare con `kiosk audit verify`.",
        "signed": "Revisado por",
        "test_title": "PRUEBA DE IMPRESORA",
        "test_ok": "Si puede leer esto, la impresora funciona.",
        "test_width": "Prueba de ancho ({columns} columnas):",
        "test_chars": "Caracteres:",
        "test_big": "TEXTO GRANDE",
        "majority": "mayoría simple",
        "three-fifths": "tres quintos",
        "two-thirds": "dos tercios",
        "three-quarters": "tres cuartos",
        "choice_yes": "SÍ",
        "choice_no": "NO",
        "choice_abstain": "ABSTENCIÓN",
    },
}

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}


def _t(language: str, key: str, **values: object) -> str:
    return printable(_T[language][key].format(**values))


def format_date(moment: datetime, language: str) -> str:
    """A date as people there say it, in the moment's own time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a receipt time must carry its time zone (got a naive datetime)")
    day, month, year = moment.day, _MONTHS[language][moment.month - 1], moment.year
    weekday = _WEEKDAYS[language][moment.weekday()]
    if language == "es":
        return f"{weekday} {day} de {month} de {year}"
    return f"{weekday}, {month} {day}, {year}"


def format_time(moment: datetime, language: str) -> str:
    """A time of day: 7:00 p. m. in Spanish, 7:00 PM in English (the 12-hour clock people here use)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a receipt time must carry its time zone (got a naive datetime)")
    clock = f"{moment.hour % 12 or 12}:{moment:%M}"
    if language == "es":
        return f"{clock} {'a. m.' if moment.hour < 12 else 'p. m.'}"  # 12-hour, as people in the Bay Area say it
    return f"{clock} {'AM' if moment.hour < 12 else 'PM'}"


def format_when(moment: datetime, language: str) -> str:
    return f"{format_date(moment, language)}, {format_time(moment, language)}"


def _header(organization: str, meeting_title: str, language: str, reprint: bool) -> list[Block]:
    blocks: list[Block] = []
    if reprint:
        blocks.append(Heading(_t(language, "reprint")))
    org = _safe(organization)
    if org:
        blocks.append(Heading(org))
    title = _safe(meeting_title)
    if title:
        blocks.append(Line(title, bold=True, align="center"))
    return blocks


def signin_receipt(
    *,
    organization: str,
    meeting_title: str,
    starts_at: datetime,
    display_name: str,
    kind: str,
    token: str | None,
    rsvp_hint: str,
    language: str,
    columns: int,
    reprint: bool = False,
) -> Receipt:
    """The slip handed to someone signing in: who they are, and for eligible attendees their ballot token."""
    _check_language(language)
    _check_columns(columns)
    if kind not in ("member", "guest", "pending"):
        raise ValueError(f"kind must be member, guest or pending, not {kind!r}")
    blocks = _header(organization, meeting_title, language, reprint)
    blocks.append(Line(printable(format_date(starts_at, language)), align="center"))
    blocks.append(Line(printable(format_time(starts_at, language)), bold=True, align="center"))
    blocks.append(Rule())
    name = _safe(display_name, limit=60) or "?"
    blocks.append(Heading(_t(language, "welcome", name=name)))
    blocks.append(Line(_t(language, kind), align="center"))
    if kind == "pending":
        blocks.append(Line(_t(language, "pending_note"), align="center"))
    elif kind == "guest" and token is None:
        blocks.append(Line(_t(language, "guest_note"), align="center"))
    if token is not None:
        code = _safe(token, limit=40)
        if not code:
            raise ValueError("the ballot token is empty")
        blocks += [
            Feed(1),
            Line(_t(language, "token_intro"), bold=True, align="center"),
            BigText(code, secret=True),
            QR(code, secret=True),
            Line(_t(language, "token_note"), align="center"),
        ]
    blocks.append(Rule())
    hint = _safe(rsvp_hint, limit=80)
    if hint:
        blocks.append(Line(_t(language, "rsvp"), align="center"))
        blocks.append(Line(hint, bold=True, align="center"))
    if reprint:
        blocks.append(Heading(_t(language, "reprint")))
    return Receipt(ReceiptKind.SIGNIN, language, columns, tuple(blocks))


def _choice_label(choice: Choice | str | None, language: str) -> str:
    if choice is None:
        return _t(language, "choice_abstain")
    return _t(language, f"choice_{Choice(choice).value}")


def ballot_receipt(
    *,
    organization: str,
    meeting_title: str,
    verification_code: str,
    verify_url: str,
    choices: Iterable[tuple[str, Choice]] | None,
    language: str,
    columns: int,
    reprint: bool = False,
) -> Receipt:
    """The receipt after voting: a verification code and where to check it. Nothing on it names the voter; the
    per-plank choices appear only when ``choices`` is given (the meeting decides)."""
    _check_language(language)
    _check_columns(columns)
    code = _safe(verification_code, limit=40)
    url = _safe(verify_url, limit=400).replace(" ", "")
    if not code or not url:
        raise ValueError("a ballot receipt needs a verification code and a verify URL")
    blocks = _header(organization, meeting_title, language, reprint)
    blocks += [
        Rule(),
        Heading(_t(language, "ballot_title")),
        Line(_t(language, "ballot_recorded"), align="center"),
        Feed(1),
        Line(_t(language, "verification"), bold=True, align="center"),
        BigText(code),
        QR(url),
        Line(_t(language, "verify_at"), align="center"),
        Line(url, align="center"),
    ]
    if choices is not None:
        blocks += [Rule(), Line(_t(language, "your_choices"), bold=True)]
        for position, (title, choice) in enumerate(choices, start=1):
            blocks.append(Row(f"{position}. {_safe(title)}", _choice_label(choice, language)))
    blocks += [Rule(), Line(_t(language, "no_name"), align="center")]
    if reprint:
        blocks.append(Heading(_t(language, "reprint")))
    return Receipt(ReceiptKind.BALLOT, language, columns, tuple(blocks))


def tally_tape(
    *,
    organization: str,
    results: MeetingResults,
    audit_head: str,
    printed_at: datetime,
    language: str,
    columns: int,
) -> Receipt:
    """The results on paper: every plank's counts and outcome, quorum, ballots, and the audit log head hash."""
    _check_language(language)
    _check_columns(columns)
    blocks = _header(organization, results.title, language, reprint=False)
    blocks += [
        Heading(_t(language, "tally_title")),
        Line(f"{_safe(results.meeting, limit=40)}", align="center"),
        Line(_t(language, "printed_at", when=format_when(printed_at, language)), align="center"),
        Rule(),
        Line(_t(language, "quorum"), bold=True),
        Row(_t(language, "required"), str(results.quorum.required)),
        Row(_t(language, "present"), str(results.quorum.present)),
        Line(_t(language, "quorum_met" if results.quorum.met else "quorum_not_met"), bold=True),
        Row(_t(language, "issued"), str(results.ballots_issued)),
        Row(_t(language, "cast"), str(results.ballots_cast)),
        Rule(),
    ]
    if not results.planks:
        blocks.append(Line(_t(language, "no_planks")))
    for plank in results.planks:
        threshold = _t(language, Threshold(plank.threshold).value)
        blocks += [
            Line(f"{plank.position}. {_safe(plank.title)}", bold=True),
            Line(_t(language, "threshold", threshold=threshold)),
            Row(_t(language, "yes"), str(plank.yes)),
            Row(_t(language, "no"), str(plank.no)),
            Row(_t(language, "abstain"), str(plank.abstain)),
        ]
        share = plank.yes_percent
        outcome = _t(language, "passed" if plank.passed else "failed")
        right = _t(language, "yes_share", pct=f"{share:g}") if share is not None else ""
        blocks += [Row(outcome, right, bold=True), Feed(1)]
    head = _safe(audit_head, limit=128).replace(" ", "")
    blocks += [
        Rule(),
        Line(_t(language, "audit"), bold=True),
        Line(head or "?"),
        Line(_t(language, "audit_note")),
        Feed(1),
        Row(_t(language, "signed") + ":", "_" * 16),
    ]
    return Receipt(ReceiptKind.TALLY, language, columns, tuple(blocks))


def printer_test_receipt(*, target: str, printed_at: datetime, language: str, columns: int) -> Receipt:
    """A short page to check a printer: width, accents, big text and a QR code."""
    _check_language(language)
    _check_columns(columns)
    ruler = "".join(str(i % 10) for i in range(1, columns + 1))
    blocks: list[Block] = [
        Heading(_t(language, "test_title")),
        Line(printable(format_when(printed_at, language)), align="center"),
        Line(_safe(target), align="center"),
        Rule(),
        Line(_t(language, "test_ok")),
        Line(_t(language, "test_width", columns=columns)),
        Line(ruler),
        Line(_t(language, "test_chars")),
        Line(printable("áéíóú ÁÉÍÓÚ ñÑ üÜ ¿? ¡! € ç")),
        BigText(_t(language, "test_big")),
        QR("assembly-kiosk printer test", size=4),
    ]
    return Receipt(ReceiptKind.TEST, language, columns, tuple(blocks))
