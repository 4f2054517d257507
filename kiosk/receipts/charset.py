"""What a receipt may print: user text cleaned, and every character folded into the common code pages' repertoire.

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

import re
import unicodedata

MAX_USER_TEXT = 300  # a pasted essay as a meeting title must not print a metre of paper


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


def safe(text: str, *, limit: int = MAX_USER_TEXT) -> str:
    return printable(clean(text, limit=limit))


def check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text, not {type(text).__name__}")
    bad = sorted({ch for ch in text if ch not in REPERTOIRE})
    if bad:
        raise ValueError(f"{what} holds characters a receipt cannot carry: {', '.join(map(ascii, bad))}")
