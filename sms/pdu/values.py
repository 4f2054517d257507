"""The values of the PDU codec: the error, the alphabets and address kinds, and one decoded part each of
SMS-DELIVER and SMS-SUBMIT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["AddressType", "ConcatInfo", "Deliver", "Encoding", "PduError", "Submit", "SubmitPart"]


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
