"""SMS PDU codec (3GPP TS 23.040 and 23.038): decode SMS-DELIVER, encode SMS-SUBMIT, reassemble long texts.

Pure functions and frozen values only; the modem backend (sms.gsm_modem) does the serial I/O. Receiving is
in PDU mode because text mode cannot carry UCS-2 or concatenated texts reliably.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from sms.segments import pack, ucs2_units

__all__ = [
    "AddressType",
    "Assembled",
    "ConcatInfo",
    "Deliver",
    "Encoding",
    "Incomplete",
    "PduError",
    "Submit",
    "SubmitPart",
    "decode_deliver",
    "decode_gsm7",
    "decode_submit",
    "encode_deliver",
    "encode_gsm7",
    "encode_submit",
    "pack_septets",
    "reassemble",
    "unpack_septets",
]


class PduError(ValueError):
    """A PDU could not be decoded or a text could not be encoded."""


class Encoding(StrEnum):
    GSM7 = "gsm7"
    EIGHT_BIT = "8bit"
    UCS2 = "ucs2"


class AddressType(StrEnum):
    INTERNATIONAL = "international"
    NATIONAL = "national"
    ALPHANUMERIC = "alphanumeric"
    OTHER = "other"


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


@dataclass(frozen=True)
class ConcatInfo:
    """Where one part sits in a concatenated text (UDH IE 0x00, 8-bit ref, or 0x08, 16-bit ref)."""

    ref: int
    total: int
    seq: int
    ref_bits: int


@dataclass(frozen=True)
class Deliver:
    """One decoded SMS-DELIVER.

    ``payload`` holds the user data after the header: septet values (one per byte) for GSM-7, raw octets
    otherwise, so parts can be joined before decoding (a phone may split an escape or surrogate pair).
    ``timestamp`` is None when the modem stored a nonsense service-centre time stamp; ``scts`` keeps the raw
    7 octets either way. ``damage`` says why the user data is not what its length octet states (cut short,
    too long, a header longer than the data); the text is then what could be read, never an error.
    """

    smsc: str | None
    sender: str
    sender_type: AddressType
    protocol_id: int
    dcs: int
    encoding: Encoding
    timestamp: datetime | None
    scts: bytes
    text: str
    payload: bytes
    concat: ConcatInfo | None
    udh: bytes
    raw: bytes
    damage: str | None = None  # why the user data is not whole (see _user_data); None for a sound PDU


@dataclass(frozen=True)
class SubmitPart:
    """One SMS-SUBMIT for ``AT+CMGS=<tpdu_length>``; ``pdu`` is hex and starts with the 00 SMSC octet."""

    pdu: str
    tpdu_length: int
    seq: int
    total: int
    encoding: Encoding


# ---------------------------------------------------------------------------------------------- GSM-7


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


# ---------------------------------------------------------------------------------------- decoding

_SEMI_OCTET = "0123456789*#abc"


def _semi_octets(raw: bytes, ndigits: int) -> str:
    """Swapped-nibble digits (TS 23.040 9.1.2.3); F is the filler.

    >>> _semi_octets(bytes.fromhex("7238880900F1"), 11)
    '27838890001'
    """
    digits = []
    for b in raw:
        for nibble in (b & 0x0F, b >> 4):
            if nibble != 0x0F:
                digits.append(_SEMI_OCTET[nibble])
    return "".join(digits[:ndigits])


def _bcd(octet: int) -> int:
    """A swapped BCD octet as a number.

    >>> _bcd(0x21)
    12
    """
    lo, hi = octet & 0x0F, octet >> 4
    if lo > 9 or hi > 9:
        raise PduError(f"bad BCD octet {octet:02X}")
    return lo * 10 + hi


def _timestamp(scts: bytes) -> datetime | None:
    """Service-centre time stamp; quarter-hour zone with sign in bit 3. None if it is not a real date.

    >>> _timestamp(bytes.fromhex("99309251619580")).isoformat()
    '1999-03-29T15:16:59+02:00'
    """
    try:
        year, month, day, hour, minute, second = (_bcd(b) for b in scts[:6])
        tz = scts[6]
        quarters = (tz & 0x07) * 10 + (tz >> 4)
        if tz >> 4 > 9:
            return None
        offset = timedelta(minutes=15 * quarters) * (-1 if tz & 0x08 else 1)
        century = 1900 if year >= 90 else 2000
        return datetime(century + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except (PduError, ValueError):
        return None


def _address(buf: bytes, pos: int, *, length_in_octets: bool) -> tuple[str | None, AddressType, int]:
    length = buf[pos]
    if length == 0:
        return None, AddressType.OTHER, pos + 1
    toa = buf[pos + 1]
    nbytes = length - 1 if length_in_octets else (length + 1) // 2
    raw = buf[pos + 2 : pos + 2 + nbytes]
    if len(raw) != nbytes:
        raise PduError("address runs past the end of the PDU")
    ton = (toa >> 4) & 0x07
    if ton == 0b101 and not length_in_octets:
        text = decode_gsm7(unpack_septets(raw, length * 4 // 7))
        return text, AddressType.ALPHANUMERIC, pos + 2 + nbytes
    digits = _semi_octets(raw, 2 * nbytes if length_in_octets else length)
    if ton == 0b001:
        return "+" + digits, AddressType.INTERNATIONAL, pos + 2 + nbytes
    kind = AddressType.NATIONAL if ton in (0b000, 0b010, 0b100) else AddressType.OTHER
    return digits, kind, pos + 2 + nbytes


def _alphabet(dcs: int) -> Encoding:
    group = dcs >> 4
    if group < 0x8:  # general data coding, with or without automatic deletion
        if dcs & 0x20:
            raise PduError("compressed text is not supported")
        return (Encoding.GSM7, Encoding.EIGHT_BIT, Encoding.UCS2, Encoding.GSM7)[(dcs >> 2) & 0x03]
    if group == 0xE:
        return Encoding.UCS2
    if group == 0xF:
        return Encoding.EIGHT_BIT if dcs & 0x04 else Encoding.GSM7
    return Encoding.GSM7  # message-waiting groups 0xC/0xD and the reserved ones


def _concat(header: bytes) -> ConcatInfo | None:
    """The concatenation IE of a UDH (without its length octet), if present and sane.

    >>> _concat(bytes.fromhex("0003A70302"))
    ConcatInfo(ref=167, total=3, seq=2, ref_bits=8)
    >>> _concat(bytes.fromhex("080412340201"))
    ConcatInfo(ref=4660, total=2, seq=1, ref_bits=16)
    """
    found = None
    i = 0
    while i + 2 <= len(header):
        iei, iedl = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + iedl]
        if len(data) != iedl:
            break
        if iei == 0x00 and iedl == 3:
            found = ConcatInfo(ref=data[0], total=data[1], seq=data[2], ref_bits=8)
        elif iei == 0x08 and iedl == 4:
            found = ConcatInfo(ref=int.from_bytes(data[:2], "big"), total=data[2], seq=data[3], ref_bits=16)
        i += 2 + iedl
    if found is None or found.total == 0 or not 1 <= found.seq <= found.total:
        return None  # TS 23.040 says to ignore a malformed concatenation IE
    return found


def _decode_text(encoding: Encoding, payload: bytes) -> str:
    if encoding is Encoding.GSM7:
        return decode_gsm7(payload)
    if encoding is Encoding.UCS2:
        return payload[: len(payload) // 2 * 2].decode("utf-16-be", errors="replace")
    return payload.decode("latin-1")


def decode_deliver(pdu: str | bytes, *, with_smsc: bool = True) -> Deliver:
    """Decode an SMS-DELIVER as listed by ``AT+CMGL``/``AT+CMGR`` in PDU mode (hex, SMSC first).

    >>> d = decode_deliver("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37")
    >>> (d.smsc, d.sender, d.text)
    ('+27381000015', '27838890001', 'hellohello')
    """
    if isinstance(pdu, str):
        try:
            buf = bytes.fromhex(pdu.strip())
        except ValueError as exc:
            raise PduError(f"PDU is not hex: {exc}") from None
    else:
        buf = bytes(pdu)
    try:
        return _decode(buf, with_smsc)
    except IndexError:
        raise PduError("PDU is truncated") from None


def _user_data(encoding: Encoding, udhi: bool, udl: int, ud: bytes) -> tuple[bytes, bytes, str | None]:
    """(payload, header IEs, damage) from TP-UDL and TP-UD.

    Real modems now and then hand over a PDU whose user data is shorter than TP-UDL states, or longer, or
    a TP-UDL past the maximum. Such a text is still read, as far as it goes, and the damage is reported so
    the caller can store it marked as damaged rather than leave it on the SIM forever.
    """
    damages: list[str] = []
    udh = b""
    if encoding is Encoding.GSM7:
        if udl > GSM7_SINGLE:
            damages.append(f"stated length {udl} septets exceeds {GSM7_SINGLE}")
        have = len(ud) * 8 // 7
        needed_octets = -(-udl * 7 // 8)
        if udl > have:
            damages.append(f"user data shorter than its stated length: {have} of {udl} septets")
            udl = have
        elif len(ud) > needed_octets:
            damages.append(f"user data longer than its stated length: {len(ud) - needed_octets} octets more")
        skip = 0
        if udhi and ud:
            udhl = ud[0]
            udh = ud[1 : 1 + udhl]
            skip = -(-(udhl + 1) * 8 // 7)  # the header plus fill bits, in septets
            if skip > udl:
                damages.append("user data header longer than the user data")
                udh = b""
        payload = bytes(unpack_septets(ud, udl - skip, skip * 7) if udl > skip else [])
        return payload, udh, "; ".join(damages) or None
    limit = 140
    if udl > limit:
        damages.append(f"stated length {udl} octets exceeds {limit}")
    if udl > len(ud):
        damages.append(f"user data shorter than its stated length: {len(ud)} of {udl} octets")
        udl = len(ud)
    elif len(ud) > udl:
        damages.append(f"user data longer than its stated length: {len(ud) - udl} octets more")
    ud = ud[:udl]
    payload, udh = ud, b""
    if udhi and ud:
        udhl = ud[0]
        if udhl + 1 > udl:
            damages.append("user data header longer than the user data")
            payload = b""
        else:
            payload, udh = ud[1 + udhl :], ud[1 : 1 + udhl]
    if encoding is Encoding.UCS2 and len(payload) % 2:
        damages.append("UCS-2 text with an odd number of octets")
    return payload, udh, "; ".join(damages) or None


def _decode(buf: bytes, with_smsc: bool) -> Deliver:
    pos = 0
    smsc = None
    if with_smsc:
        smsc, _, pos = _address(buf, 0, length_in_octets=True)
    first = buf[pos]
    if first & 0x03 != 0x00:
        raise PduError(f"not an SMS-DELIVER (message type {first & 0x03})")
    sender, sender_type, pos = _address(buf, pos + 1, length_in_octets=False)
    if sender is None:
        raise PduError("SMS-DELIVER without an originating address")
    if len(buf) < pos + 10:
        # Cut before its user data: who sent it is known, what they said is not. Still a text to store (marked
        # damaged, so organizers see that this member wrote) and to delete, rather than a SIM slot lost forever.
        scts = buf[pos + 2 : pos + 9]
        return Deliver(
            smsc=smsc,
            sender=sender,
            sender_type=sender_type,
            protocol_id=buf[pos] if len(buf) > pos else 0,
            dcs=buf[pos + 1] if len(buf) > pos + 1 else 0,
            encoding=Encoding.GSM7,
            timestamp=_timestamp(scts) if len(scts) == 7 else None,
            scts=scts,
            text="",
            payload=b"",
            concat=None,
            udh=b"",
            raw=buf,
            damage="PDU cut short before its user data",
        )
    pid, dcs = buf[pos], buf[pos + 1]
    scts = buf[pos + 2 : pos + 9]
    encoding = _alphabet(dcs)
    payload, udh, damage = _user_data(encoding, bool(first & 0x40), buf[pos + 9], buf[pos + 10 :])
    return Deliver(
        smsc=smsc,
        sender=sender,
        sender_type=sender_type,
        protocol_id=pid,
        dcs=dcs,
        encoding=encoding,
        timestamp=_timestamp(scts),
        scts=scts,
        text=_decode_text(encoding, payload),
        payload=payload,
        concat=_concat(udh) if udh else None,
        udh=udh,
        raw=buf,
        damage=damage,
    )


@dataclass(frozen=True)
class Submit:
    """One decoded SMS-SUBMIT (what a modem was asked to send); used by the simulator and tests."""

    recipient: str
    message_ref: int
    encoding: Encoding
    text: str
    payload: bytes
    concat: ConcatInfo | None
    damage: str | None = None


def decode_submit(pdu: str | bytes, *, with_smsc: bool = True) -> Submit:
    """Decode an SMS-SUBMIT as given to ``AT+CMGS`` (hex, SMSC octet first).

    >>> s = decode_submit("0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
    >>> (s.recipient, s.text)
    ('+46708251358', 'hellohello')
    """
    try:
        buf = bytes.fromhex(pdu.strip()) if isinstance(pdu, str) else bytes(pdu)
    except ValueError as exc:
        raise PduError(f"PDU is not hex: {exc}") from None
    try:
        pos = _address(buf, 0, length_in_octets=True)[2] if with_smsc else 0
        first = buf[pos]
        if first & 0x03 != 0x01:
            raise PduError(f"not an SMS-SUBMIT (message type {first & 0x03})")
        mr = buf[pos + 1]
        recipient, _, pos = _address(buf, pos + 2, length_in_octets=False)
        dcs = buf[pos + 1]
        pos += 2 + {0b00: 0, 0b10: 1, 0b01: 7, 0b11: 7}[(first >> 3) & 0x03]
        encoding = _alphabet(dcs)
        payload, udh, damage = _user_data(encoding, bool(first & 0x40), buf[pos], buf[pos + 1 :])
    except IndexError:
        raise PduError("PDU is truncated") from None
    return Submit(
        recipient=recipient or "",
        message_ref=mr,
        encoding=encoding,
        text=_decode_text(encoding, payload),
        payload=payload,
        concat=_concat(udh) if udh else None,
        damage=damage,
    )


# ---------------------------------------------------------------------------------------- encoding

_NUMBER = re.compile(r"\+?[0-9]{1,20}")


def _encode_address(number: str) -> bytes:
    """Destination address field: digit count, type of address, swapped digits.

    >>> _encode_address("+46708251358").hex().upper()
    '0B916407281553F8'
    """
    if not _NUMBER.fullmatch(number):
        raise PduError(f"not a phone number: {number!r}")
    international = number.startswith("+")
    digits = number.lstrip("+")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    # 0x91: international, ISDN plan; 0xA1: national, ISDN plan (0x81, "unknown", makes some networks refuse
    # or misroute a national number)
    return bytes([len(digits), 0x91 if international else 0xA1]) + bytes.fromhex(swapped)


def _split_gsm7(chars: list[tuple[int, ...]], per_part: int = GSM7_PART) -> list[list[int]]:
    total = sum(len(c) for c in chars)
    if total <= GSM7_SINGLE:
        return [[s for c in chars for s in c]]
    parts: list[list[int]] = [[]]
    for c in chars:  # a character's escape pair never straddles two parts
        if len(parts[-1]) + len(c) > per_part:
            parts.append([])
        parts[-1].extend(c)
    return parts


def _split_ucs2(text: str, per_part: int = UCS2_PART) -> list[bytes]:
    # Cut where the carrier cuts (sms.segments): never inside a grapheme, so never inside a surrogate pair.
    return [_utf16(part) for part in pack(ucs2_units(text, per_part), UCS2_SINGLE, per_part)]


def _utf16(text: str) -> bytes:
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError:
        raise PduError("text contains a lone surrogate") from None


def _user_data_parts(text: str, ref: int, ref_bits: int, ucs2: bool) -> tuple[Encoding, list[tuple[int, bytes]]]:
    """The encoding and, per part, (TP-UDL, TP-UD) with a concatenation header when there are several."""
    chars = None if ucs2 else encode_gsm7(text)
    units: list[list[int]] | list[bytes]
    encoding = Encoding.GSM7 if chars is not None else Encoding.UCS2
    wide = 1 if ref_bits == 16 else 0  # a 16-bit reference makes the header one octet longer
    units = _split_gsm7(chars, GSM7_PART - wide) if chars is not None else _split_ucs2(text, UCS2_PART - wide)
    total = len(units)
    if total > MAX_PARTS:
        raise PduError(f"text needs {total} parts; at most {MAX_PARTS} are possible")
    out = []
    for seq, unit in enumerate(units, start=1):
        udh = b""
        if total > 1:
            ie = (
                bytes([0x00, 0x03, ref & 0xFF])
                if ref_bits == 8
                else bytes([0x08, 0x04]) + (ref & 0xFFFF).to_bytes(2, "big")
            )
            udh = bytes([len(ie) + 2]) + ie + bytes([total, seq])
        if isinstance(unit, bytes):
            out.append((len(udh) + len(unit), udh + unit))
        else:
            fill = (7 - len(udh) * 8 % 7) % 7
            # the header octets, then fill bits up to a septet boundary, then the septets
            out.append(((len(udh) * 8 + fill) // 7 + len(unit), udh + pack_septets(unit, fill)))
    return encoding, out


def encode_submit(to: str, text: str, *, ref: int = 0, validity: int = 0xAA) -> list[SubmitPart]:
    """SMS-SUBMIT PDUs for ``text``: GSM-7 when every character fits, else UCS-2; concatenated when long.

    ``ref`` is the 8-bit concatenation reference (only used for long texts); ``validity`` is the relative
    validity period octet (0xAA = 4 days).

    >>> [p.pdu for p in encode_submit("+46708251358", "hellohello")]
    ['0011000B916407281553F80000AA0AE8329BFD4697D9EC37']
    """
    address = _encode_address(to)
    encoding, parts = _user_data_parts(text, ref, 8, ucs2=False)
    dcs = 0x08 if encoding is Encoding.UCS2 else 0x00
    out = []
    for seq, (udl, ud) in enumerate(parts, start=1):
        first = 0x11 | (0x40 if len(parts) > 1 else 0)  # SMS-SUBMIT, relative validity, UDHI when concatenated
        tpdu = bytes([first, 0x00]) + address + bytes([0x00, dcs, validity, udl]) + ud
        out.append(
            SubmitPart(
                pdu="00" + tpdu.hex().upper(),
                tpdu_length=len(tpdu),
                seq=seq,
                total=len(parts),
                encoding=encoding,
            )
        )
    return out


def _encode_scts(when: datetime) -> bytes:
    """Service-centre time stamp octets for an aware datetime.

    >>> _encode_scts(datetime(1999, 3, 29, 15, 16, 59, tzinfo=timezone(timedelta(hours=2)))).hex()
    '99309251619580'
    """
    offset = when.utcoffset()
    if offset is None:
        raise PduError("time stamp needs a time zone")
    quarters = int(abs(offset.total_seconds()) // 900)

    def swap(n: int) -> int:
        return (n % 10) << 4 | (n // 10)

    zone = swap(quarters) | (0x08 if offset < timedelta(0) else 0)
    return bytes(swap(n) for n in (when.year % 100, when.month, when.day, when.hour, when.minute, when.second)) + bytes(
        [zone]
    )


def encode_deliver(
    sender: str,
    text: str,
    *,
    timestamp: datetime,
    smsc: str = "+15550000000",
    ref: int = 0,
    ref_bits: int = 8,
    ucs2: bool = False,
) -> list[str]:
    """SMS-DELIVER PDUs (hex, SMSC first) as a network would deliver ``text``; for simulators and tests.

    A sender that is not a number is encoded as an alphanumeric address.

    >>> [pdu] = encode_deliver("Movistar", "hi", timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    >>> d = decode_deliver(pdu)
    >>> (d.sender, d.sender_type.value, d.text, d.timestamp.isoformat())
    ('Movistar', 'alphanumeric', 'hi', '2026-01-02T03:04:05+00:00')
    """
    sm = _encode_address(smsc)
    smsc_field = bytes([len(sm) - 1]) + sm[1:]  # the SMSC length counts octets, not digits
    if _NUMBER.fullmatch(sender):
        oa = _encode_address(sender)
    else:
        chars = encode_gsm7(sender)
        if chars is None or not sender:
            raise PduError(f"sender {sender!r} is neither a number nor GSM-7 text")
        septets = [s for c in chars for s in c]
        packed = pack_septets(septets)
        oa = bytes([len(septets) * 7 // 4 + (1 if len(septets) * 7 % 4 else 0), 0xD0]) + packed
    encoding, parts = _user_data_parts(text, ref, ref_bits, ucs2=ucs2)
    dcs = 0x08 if encoding is Encoding.UCS2 else 0x00
    out = []
    for udl, ud in parts:
        first = 0x04 | (0x40 if len(parts) > 1 else 0)  # SMS-DELIVER, no more messages waiting
        tpdu = bytes([first]) + oa + bytes([0x00, dcs]) + _encode_scts(timestamp) + bytes([udl]) + ud
        out.append((smsc_field + tpdu).hex().upper())
    return out


# -------------------------------------------------------------------------------------- reassembly


@dataclass(frozen=True)
class Assembled:
    """A whole text: one part, or every part of a concatenated text.

    ``keys`` are the caller's keys (SIM indexes) of every part, duplicates included, so all can be deleted.
    """

    keys: tuple[Hashable, ...]
    sender: str
    text: str
    timestamp: datetime | None
    parts: tuple[Deliver, ...]

    @property
    def damage(self) -> str | None:
        """Why some part's user data is not whole, or None when every part is sound."""
        found = [
            f"part {i}: {p.damage}" if len(self.parts) > 1 else p.damage
            for i, p in enumerate(self.parts, 1)
            if p.damage
        ]
        return "; ".join(found) or None


@dataclass(frozen=True)
class Incomplete:
    """A concatenated text still missing parts: held, never dropped."""

    keys: tuple[Hashable, ...]
    sender: str
    ref: int
    total: int
    have: tuple[int, ...]


def _join(parts: Sequence[Deliver]) -> str:
    encodings = {p.encoding for p in parts}
    # Joined before decoding (a phone may split an escape or surrogate pair), unless a part is damaged: a UCS-2
    # part with an odd octet would shift every character after it.
    if len(encodings) == 1 and not any(p.damage for p in parts):
        return _decode_text(parts[0].encoding, b"".join(p.payload for p in parts))
    return "".join(p.text for p in parts)


def reassemble(parts: Iterable[tuple[Hashable, Deliver]]) -> tuple[list[Assembled], list[Incomplete]]:
    """Group parts by sender and concatenation reference, in any arrival order.

    Returns the complete texts and the incomplete sets. A repeated sequence number (the network delivered a
    part twice) keeps the first copy for the text and every key for deletion.
    """
    whole: list[Assembled] = []
    groups: dict[tuple[str, int, int, int], dict[int, list[tuple[Hashable, Deliver]]]] = {}
    for key, d in parts:
        c = d.concat
        if c is None or c.total == 1:
            whole.append(Assembled(keys=(key,), sender=d.sender, text=d.text, timestamp=d.timestamp, parts=(d,)))
            continue
        groups.setdefault((d.sender, c.ref_bits, c.ref, c.total), {}).setdefault(c.seq, []).append((key, d))
    incomplete = []
    for (sender, _bits, ref, total), by_seq in groups.items():
        keys = tuple(k for seq in sorted(by_seq) for k, _ in by_seq[seq])
        if len(by_seq) == total:
            ordered = [by_seq[seq][0][1] for seq in range(1, total + 1)]
            whole.append(
                Assembled(
                    keys=keys,
                    sender=sender,
                    text=_join(ordered),
                    timestamp=ordered[0].timestamp,
                    parts=tuple(ordered),
                )
            )
        else:
            incomplete.append(Incomplete(keys=keys, sender=sender, ref=ref, total=total, have=tuple(sorted(by_seq))))
    whole.sort(key=lambda a: (a.timestamp is None, a.timestamp or datetime.min.replace(tzinfo=UTC)))
    return whole, incomplete
