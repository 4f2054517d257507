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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


def _pack(unit_sizes: list[int], single: int, multi: int) -> int:
    """Parts needed when a unit (an escape pair, a surrogate pair) may not be split across parts."""
    total = sum(unit_sizes)
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in unit_sizes:
        if used + size > multi:
            parts += 1
            used = 0
        used += size
    return parts


def segment_count(text: str) -> Segments:
    """Encoding, number of segments and length in encoding units of ``text``.

    An empty text still costs one segment. Multipart texts lose room to the concatenation header
    (153 septets or 67 UTF-16 units per part), and an escape pair or a surrogate pair is never split.
    """
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return Segments("GSM-7", _pack(sizes, GSM7_SINGLE, GSM7_MULTI), sum(sizes))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return Segments("UCS-2", _pack(sizes, UCS2_SINGLE, UCS2_MULTI), sum(sizes))


def fits(text: str, segments: int = 1) -> bool:
    """True if ``text`` costs at most ``segments`` segments."""
    return segment_count(text).segments <= segments
