"""Reading PDUs: an SMS-DELIVER as a modem lists it (what members send us), and an SMS-SUBMIT as given to
``AT+CMGS`` (what we asked a modem to send; for the simulator and tests). A damaged PDU is read as far as it
goes, with the damage said, never refused for being short or long."""

from __future__ import annotations

from sms.pdu.alphabets import decode_text
from sms.pdu.fields import concat_info, data_coding, decode_address, timestamp, user_data
from sms.pdu.values import Deliver, Encoding, PduError, Submit

__all__ = ["decode_deliver", "decode_submit"]


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


def _decode(buf: bytes, with_smsc: bool) -> Deliver:
    pos = 0
    smsc = None
    if with_smsc:
        smsc, _, pos = decode_address(buf, 0, length_in_octets=True)
    first = buf[pos]
    if first & 0x03 != 0x00:
        raise PduError(f"not an SMS-DELIVER (message type {first & 0x03})")
    sender, sender_type, pos = decode_address(buf, pos + 1, length_in_octets=False)
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
            timestamp=timestamp(scts) if len(scts) == 7 else None,
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
    encoding = data_coding(dcs)
    payload, udh, damage = user_data(encoding, bool(first & 0x40), buf[pos + 9], buf[pos + 10 :])
    return Deliver(
        smsc=smsc,
        sender=sender,
        sender_type=sender_type,
        protocol_id=pid,
        dcs=dcs,
        encoding=encoding,
        timestamp=timestamp(scts),
        scts=scts,
        text=decode_text(encoding, payload),
        payload=payload,
        concat=concat_info(udh) if udh else None,
        udh=udh,
        raw=buf,
        damage=damage,
    )


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
        pos = decode_address(buf, 0, length_in_octets=True)[2] if with_smsc else 0
        first = buf[pos]
        if first & 0x03 != 0x01:
            raise PduError(f"not an SMS-SUBMIT (message type {first & 0x03})")
        mr = buf[pos + 1]
        recipient, _, pos = decode_address(buf, pos + 2, length_in_octets=False)
        dcs = buf[pos + 1]
        pos += 2 + {0b00: 0, 0b10: 1, 0b01: 7, 0b11: 7}[(first >> 3) & 0x03]
        encoding = data_coding(dcs)
        payload, udh, damage = user_data(encoding, bool(first & 0x40), buf[pos], buf[pos + 1 :])
    except IndexError:
        raise PduError("PDU is truncated") from None
    return Submit(
        recipient=recipient or "",
        message_ref=mr,
        encoding=encoding,
        text=decode_text(encoding, payload),
        payload=payload,
        concat=concat_info(udh) if udh else None,
        damage=damage,
    )
