"""The fields that SMS-DELIVER and SMS-SUBMIT share (TS 23.040 9.2.3): addresses, service-centre time stamps,
the data coding scheme, the user data header and the user data itself, each read and (where we send) written."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sms.pdu.alphabets import GSM7_SINGLE, decode_gsm7, unpack_septets
from sms.pdu.values import AddressType, ConcatInfo, Encoding, PduError

__all__ = [
    "NUMBER",
    "concat_info",
    "data_coding",
    "decode_address",
    "encode_address",
    "encode_scts",
    "timestamp",
    "user_data",
]

_SEMI_OCTET = "0123456789*#abc"


def semi_octets(raw: bytes, ndigits: int) -> str:
    """Swapped-nibble digits (TS 23.040 9.1.2.3); F is the filler.

    >>> semi_octets(bytes.fromhex("7238880900F1"), 11)
    '27838890001'
    """
    digits = []
    for b in raw:
        for nibble in (b & 0x0F, b >> 4):
            if nibble != 0x0F:
                digits.append(_SEMI_OCTET[nibble])
    return "".join(digits[:ndigits])


def bcd(octet: int) -> int:
    """A swapped BCD octet as a number.

    >>> bcd(0x21)
    12
    """
    lo, hi = octet & 0x0F, octet >> 4
    if lo > 9 or hi > 9:
        raise PduError(f"bad BCD octet {octet:02X}")
    return lo * 10 + hi


def timestamp(scts: bytes) -> datetime | None:
    """Service-centre time stamp; quarter-hour zone with sign in bit 3. None if it is not a real date.

    >>> timestamp(bytes.fromhex("99309251619580")).isoformat()
    '1999-03-29T15:16:59+02:00'
    """
    try:
        year, month, day, hour, minute, second = (bcd(b) for b in scts[:6])
        tz = scts[6]
        quarters = (tz & 0x07) * 10 + (tz >> 4)
        if tz >> 4 > 9:
            return None
        offset = timedelta(minutes=15 * quarters) * (-1 if tz & 0x08 else 1)
        century = 1900 if year >= 90 else 2000
        return datetime(century + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except (PduError, ValueError):
        return None


def decode_address(buf: bytes, pos: int, *, length_in_octets: bool) -> tuple[str | None, AddressType, int]:
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
    digits = semi_octets(raw, 2 * nbytes if length_in_octets else length)
    if ton == 0b001:
        return "+" + digits, AddressType.INTERNATIONAL, pos + 2 + nbytes
    kind = AddressType.NATIONAL if ton in (0b000, 0b010, 0b100) else AddressType.OTHER
    return digits, kind, pos + 2 + nbytes


def data_coding(dcs: int) -> Encoding:
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


def concat_info(header: bytes) -> ConcatInfo | None:
    """The concatenation IE of a UDH (without its length octet), if present and sane.

    >>> concat_info(bytes.fromhex("0003A70302"))
    ConcatInfo(ref=167, total=3, seq=2, ref_bits=8)
    >>> concat_info(bytes.fromhex("080412340201"))
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


def user_data(encoding: Encoding, udhi: bool, udl: int, ud: bytes) -> tuple[bytes, bytes, str | None]:
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


NUMBER = re.compile(r"\+?[0-9]{1,20}")


def encode_address(number: str) -> bytes:
    """Destination address field: digit count, type of address, swapped digits.

    >>> encode_address("+46708251358").hex().upper()
    '0B916407281553F8'
    """
    if not NUMBER.fullmatch(number):
        raise PduError(f"not a phone number: {number!r}")
    international = number.startswith("+")
    digits = number.lstrip("+")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    # 0x91: international, ISDN plan; 0xA1: national, ISDN plan (0x81, "unknown", makes some networks refuse
    # or misroute a national number)
    return bytes([len(digits), 0x91 if international else 0xA1]) + bytes.fromhex(swapped)


def encode_scts(when: datetime) -> bytes:
    """Service-centre time stamp octets for an aware datetime.

    >>> encode_scts(datetime(1999, 3, 29, 15, 16, 59, tzinfo=timezone(timedelta(hours=2)))).hex()
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
