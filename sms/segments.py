"""How many SMS segments a text costs: GSM-7 (with its extension table) or UCS-2.

Pure functions, no I/O. Carriers and Twilio bill and rate-limit per segment, so the reply writer and the send
queue use this to keep texts short and to pace sends.

>>> segment_count("Reply YES to RSVP")
Segments(encoding='GSM-7', segments=1, characters=17)
>>> segment_count("x" * 160).segments, segment_count("x" * 161).segments
(1, 2)
>>> segment_count("€" * 80)       # extension characters cost two septets each
Segments(encoding='GSM-7', segments=1, characters=160)
>>> segment_count("Sí")           # í is not in the GSM-7 set
Segments(encoding='UCS-2', segments=1, characters=2)
>>> segment_count("👍")           # outside the BMP: a surrogate pair, two UTF-16 units
Segments(encoding='UCS-2', segments=1, characters=2)
>>> segment_count("a" * 64 + "🇲🇽" + "b" * 64).segments  # the flag is never split: it opens part 2
3

Counted as Twilio counts (its message-segment-calculator): a part of a long text holds 153 septets or 67
UTF-16 units, and nothing is split across parts that a phone shows as one character: a GSM-7 escape pair,
a UCS-2 surrogate pair, or a whole grapheme (a flag, a ZWJ sequence, an emoji with its variation selector or
skin tone, a keycap, a letter with its accents). The modem's splitter (sms.pdu) cuts at the same places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sms.graphemes import graphemes, utf16_units

# 3GPP TS 23.038 default alphabet (basic set), in code order; \x1b (escape) is left out on purpose.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape septet plus itself.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class Segments:
    """The cost of one text.

    ``characters`` is counted in the encoding's own units: septets for GSM-7 (extension characters count 2),
    UTF-16 code units for UCS-2 (characters outside the BMP, such as most emoji, count 2).
    """

    encoding: Encoding
    segments: int
    characters: int


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` has a GSM-7 encoding (basic set or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def gsm7_units(text: str) -> list[tuple[str, int]]:
    """Each character with its size in septets (an extension character is an escape pair: 2)."""
    return [(ch, 2 if ch in GSM7_EXTENSION else 1) for ch in text]


def ucs2_units(text: str, per_part: int = UCS2_MULTI) -> list[tuple[str, int]]:
    """Each grapheme with its size in UTF-16 units. A grapheme too big for one part (a letter under dozens of
    combining marks) is cut between code points, so a surrogate pair is still never split."""
    out: list[tuple[str, int]] = []
    for g in graphemes(text):
        size = utf16_units(g)
        if size <= per_part:
            out.append((g, size))
        else:
            out.extend((ch, utf16_units(ch)) for ch in g)
    return out


def pack(units: list[tuple[str, int]], single: int, multi: int) -> list[str]:
    """The text of each part: all in one when it fits ``single``, else greedily ``multi`` per part, never
    splitting a unit. An empty text is one (empty) part."""
    if sum(size for _, size in units) <= single:
        return ["".join(piece for piece, _ in units)]
    parts: list[list[str]] = [[]]
    used = 0
    for piece, size in units:
        if used + size > multi and parts[-1]:
            parts.append([])
            used = 0
        parts[-1].append(piece)
        used += size
    return ["".join(p) for p in parts]


def split_parts(text: str) -> list[str]:
    """The text of each part as the carrier splits ``text`` (8-bit concatenation reference)."""
    if is_gsm7(text):
        return pack(gsm7_units(text), GSM7_SINGLE, GSM7_MULTI)
    return pack(ucs2_units(text), UCS2_SINGLE, UCS2_MULTI)


def segment_count(text: str) -> Segments:
    """Encoding, number of segments and length in encoding units of ``text``.

    An empty text still costs one segment. Multipart texts lose room to the concatenation header
    (153 septets or 67 UTF-16 units per part); see the module's note on what is never split.
    """
    if is_gsm7(text):
        units = gsm7_units(text)
        return Segments("GSM-7", len(pack(units, GSM7_SINGLE, GSM7_MULTI)), sum(size for _, size in units))
    units = ucs2_units(text)
    return Segments("UCS-2", len(pack(units, UCS2_SINGLE, UCS2_MULTI)), sum(size for _, size in units))


def fits(text: str, segments: int = 1) -> bool:
    """True if ``text`` costs at most ``segments`` segments."""
    return segment_count(text).segments <= segments
