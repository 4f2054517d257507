"""User-perceived characters (extended grapheme clusters, Unicode UAX #29), as carriers split texts by them.

Twilio never splits a grapheme across two parts of a long text (its message-segment-calculator splits with
grapheme-splitter), so a flag, a ZWJ family, "❤️" with its variation selector, a skin tone or a keycap moves
whole to the next part. Counting segments the same way is what makes "recipients × segments" before a bulk
send match the bill. Pure Python and the standard library only: the rules below are UAX #29's, with the
property tables taken from ``unicodedata`` where it has them and from code-point ranges where it does not
(Extended_Pictographic, Hangul syllable types, regional indicators). One difference on purpose: CR LF is two
characters, as in Twilio's calculator.

>>> graphemes("a🇲🇽b")
['a', '🇲🇽', 'b']
>>> [len(g) for g in graphemes("👨\u200d👩\u200d👧 ❤️ 👍🏽 1️⃣")]
[5, 1, 2, 1, 2, 1, 3]
"""

from __future__ import annotations

import unicodedata
from enum import Enum, auto

ZWJ = 0x200D


class _Kind(Enum):
    CONTROL = auto()
    EXTEND = auto()
    ZWJ = auto()
    REGIONAL = auto()
    SPACING_MARK = auto()
    PREPEND = auto()
    L = auto()
    V = auto()
    T = auto()
    LV = auto()
    LVT = auto()
    PICTOGRAPHIC = auto()
    OTHER = auto()


# Extended_Pictographic (emoji-data.txt) is not in unicodedata; these blocks hold all of it that phones send.
_PICTOGRAPHIC_RANGES = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x2388, 0x2388),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1F0FF),
    (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F),
    (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F),
    (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D),
    (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF),
    (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)
# Prepended concatenation marks and other Prepend characters (Arabic number signs, Indic reph forms).
_PREPEND = frozenset(
    [0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD]
)


def _pictographic(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _PICTOGRAPHIC_RANGES)


# Code point ranges whose kind needs no Unicode database look-up (they do not overlap).
_KIND_RANGES: tuple[tuple[int, int, _Kind], ...] = (
    (ZWJ, ZWJ, _Kind.ZWJ),
    (0x1F1E6, 0x1F1FF, _Kind.REGIONAL),
    # skin tones, tag characters (subdivision flags), ZWNJ, halfwidth sound marks
    (0x1F3FB, 0x1F3FF, _Kind.EXTEND),
    (0xE0020, 0xE007F, _Kind.EXTEND),
    (0x200C, 0x200C, _Kind.EXTEND),
    (0xFF9E, 0xFF9F, _Kind.EXTEND),
    (0x1100, 0x115F, _Kind.L),
    (0xA960, 0xA97C, _Kind.L),
    (0x1160, 0x11A7, _Kind.V),
    (0xD7B0, 0xD7C6, _Kind.V),
    (0x11A8, 0x11FF, _Kind.T),
    (0xD7CB, 0xD7FB, _Kind.T),
)


def _kind(ch: str) -> _Kind:
    cp = ord(ch)
    for lo, hi, kind in _KIND_RANGES:
        if lo <= cp <= hi:
            return kind
    if 0xAC00 <= cp <= 0xD7A3:
        return _Kind.LV if (cp - 0xAC00) % 28 == 0 else _Kind.LVT
    if cp in _PREPEND:
        return _Kind.PREPEND
    return _kind_by_category(ch, cp)


def _kind_by_category(ch: str, cp: int) -> _Kind:
    category = unicodedata.category(ch)
    if category in ("Mn", "Me"):
        return _Kind.EXTEND
    if category == "Mc":
        return _Kind.SPACING_MARK
    if category in ("Cc", "Zl", "Zp", "Cs") or (category == "Cf" and cp != 0x200C):
        return _Kind.CONTROL
    if _pictographic(cp):
        return _Kind.PICTOGRAPHIC
    return _Kind.OTHER


_HANGUL_JOINS = {
    _Kind.L: (_Kind.L, _Kind.V, _Kind.LV, _Kind.LVT),
    _Kind.LV: (_Kind.V, _Kind.T),
    _Kind.V: (_Kind.V, _Kind.T),
    _Kind.LVT: (_Kind.T,),
    _Kind.T: (_Kind.T,),
}


def graphemes(text: str) -> list[str]:
    """``text`` cut into user-perceived characters; "".join() of the result is ``text``."""
    out: list[str] = []
    previous: _Kind | None = None
    regional_run = 0  # regional indicators in a row so far: a flag is a pair
    emoji_zwj = False  # inside Extended_Pictographic Extend* ZWJ, where a pictograph joins (GB11)
    after_pictograph = False  # Extended_Pictographic Extend* so far
    for ch in text:
        kind = _kind(ch)
        join = False
        if previous is not None and previous is not _Kind.CONTROL and kind is not _Kind.CONTROL:
            if kind in (_Kind.EXTEND, _Kind.ZWJ, _Kind.SPACING_MARK):
                join = True  # GB9, GB9a
            elif previous is _Kind.PREPEND:
                join = True  # GB9b
            elif kind in _HANGUL_JOINS.get(previous, ()):
                join = True  # GB6-8
            elif kind is _Kind.PICTOGRAPHIC and emoji_zwj:
                join = True  # GB11
            elif kind is _Kind.REGIONAL and previous is _Kind.REGIONAL and regional_run % 2 == 1:
                join = True  # GB12-13
        if join and out:
            out[-1] += ch
        else:
            out.append(ch)
        regional_run = regional_run + 1 if kind is _Kind.REGIONAL else 0
        emoji_zwj = kind is _Kind.ZWJ and after_pictograph
        if kind is _Kind.PICTOGRAPHIC:
            after_pictograph = True
        elif kind is not _Kind.EXTEND:
            after_pictograph = False
        previous = kind
    return out


def utf16_units(text: str) -> int:
    """UTF-16 code units of ``text``: what UCS-2 SMS (and Twilio) count; emoji outside the BMP count 2."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
