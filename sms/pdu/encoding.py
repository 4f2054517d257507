"""Writing PDUs: SMS-SUBMIT for the modem to send (GSM-7 when every character fits, else UCS-2; split into
concatenated parts where the carrier splits), and SMS-DELIVER as a network would deliver a text (for the
simulator and tests)."""

from __future__ import annotations

from datetime import datetime

from sms.pdu.alphabets import (
    GSM7_PART,
    GSM7_SINGLE,
    MAX_PARTS,
    UCS2_PART,
    UCS2_SINGLE,
    encode_gsm7,
    pack_septets,
    utf16,
)
from sms.pdu.fields import NUMBER, encode_address, encode_scts
from sms.pdu.values import Encoding, PduError, SubmitPart
from sms.segments import pack, ucs2_units

__all__ = ["encode_deliver", "encode_submit"]


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
    return [utf16(part) for part in pack(ucs2_units(text, per_part), UCS2_SINGLE, per_part)]


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
    address = encode_address(to)
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

    >>> from datetime import timezone
    >>> from sms.pdu.decoding import decode_deliver
    >>> [pdu] = encode_deliver("Movistar", "hi", timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    >>> d = decode_deliver(pdu)
    >>> (d.sender, d.sender_type.value, d.text, d.timestamp.isoformat())
    ('Movistar', 'alphanumeric', 'hi', '2026-01-02T03:04:05+00:00')
    """
    sm = encode_address(smsc)
    smsc_field = bytes([len(sm) - 1]) + sm[1:]  # the SMSC length counts octets, not digits
    if NUMBER.fullmatch(sender):
        oa = encode_address(sender)
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
        tpdu = bytes([first]) + oa + bytes([0x00, dcs]) + encode_scts(timestamp) + bytes([udl]) + ud
        out.append((smsc_field + tpdu).hex().upper())
    return out
