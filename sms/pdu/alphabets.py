"""GSM 03.38 (GSM-7) and UCS-2: the default and extension tables, septet packing, and turning a part's
payload back into text. Part sizes are here too, as they follow from the alphabets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sms.pdu.values import Encoding, PduError

__all__ = [
    "ESC",
    "GSM7_BASIC",
    "GSM7_EXT",
    "GSM7_PART",
    "GSM7_SINGLE",
    "MAX_PARTS",
    "UCS2_PART",
    "UCS2_SINGLE",
    "decode_gsm7",
    "decode_text",
    "encode_gsm7",
    "pack_septets",
    "unpack_septets",
    "utf16",
]

# GSM 03.38 default alphabet, indexed by septet value. 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(GSM7_BASIC) == 128
GSM7_EXT = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
}
GSM7_EXT[0x65] = "€"
ESC = 0x1B

_ENCODE: dict[str, tuple[int, ...]] = {ch: (i,) for i, ch in enumerate(GSM7_BASIC) if i != ESC}
_ENCODE.update({ch: (ESC, code) for code, ch in GSM7_EXT.items()})

GSM7_SINGLE = 160  # septets in a one-part text
GSM7_PART = 153  # septets per part once a 6-octet concatenation header takes 7 septets
UCS2_SINGLE = 70  # UTF-16 code units
UCS2_PART = 67
MAX_PARTS = 255


def encode_gsm7(text: str) -> list[tuple[int, ...]] | None:
    """Septets for each character, or None when a character is outside GSM-7 (default + extension).

    >>> encode_gsm7("a€")
    [(97,), (27, 101)]
    >>> encode_gsm7("ok 👍") is None
    True
    """
    out = []
    for ch in text:
        septets = _ENCODE.get(ch)
        if septets is None:
            return None
        out.append(septets)
    return out


def decode_gsm7(septets: Iterable[int]) -> str:
    """Text from septet values; an escape to an undefined extension shows the default-table character.

    >>> decode_gsm7([0x48, 0x69, 0x1B, 0x65, 0x00])
    'Hi€@'
    """
    out = []
    escaped = False
    for s in septets:
        s &= 0x7F
        if escaped:
            out.append(GSM7_EXT.get(s, " " if s == ESC else GSM7_BASIC[s]))
            escaped = False
        elif s == ESC:
            escaped = True
        else:
            out.append(GSM7_BASIC[s])
    return "".join(out)


def pack_septets(septets: Sequence[int], fill_bits: int = 0) -> bytes:
    """Pack 7-bit values LSB first into octets, after ``fill_bits`` zero bits (to align after a UDH).

    >>> pack_septets([0x68, 0x65, 0x6C, 0x6C, 0x6F]).hex().upper()
    'E8329BFD06'
    """
    value = 0
    for i, s in enumerate(septets):
        value |= (s & 0x7F) << (fill_bits + 7 * i)
    nbits = fill_bits + 7 * len(septets)
    return value.to_bytes((nbits + 7) // 8, "little")


def unpack_septets(data: bytes, count: int, skip_bits: int = 0) -> list[int]:
    """``count`` 7-bit values from packed octets, after ``skip_bits`` bits.

    >>> unpack_septets(bytes.fromhex("E8329BFD06"), 5)
    [104, 101, 108, 108, 111]
    """
    if skip_bits + 7 * count > 8 * len(data):
        raise PduError(f"user data too short for {count} septets")
    value = int.from_bytes(data, "little") >> skip_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


def decode_text(encoding: Encoding, payload: bytes) -> str:
    if encoding is Encoding.GSM7:
        return decode_gsm7(payload)
    if encoding is Encoding.UCS2:
        return payload[: len(payload) // 2 * 2].decode("utf-16-be", errors="replace")
    return payload.decode("latin-1")


def utf16(text: str) -> bytes:
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError:
        raise PduError("text contains a lone surrogate") from None
