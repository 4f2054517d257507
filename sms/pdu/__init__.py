"""SMS PDU codec (3GPP TS 23.040 and 23.038): decode SMS-DELIVER, encode SMS-SUBMIT, reassemble long texts.

Pure functions and frozen values only, one module per concept (values, alphabets, shared fields,
decoding, encoding, reassembly); the modem backend (sms.gsm_modem) does the serial I/O. Receiving is
in PDU mode because text mode cannot carry UCS-2 or concatenated texts reliably.
"""

from __future__ import annotations

from sms.pdu.alphabets import GSM7_BASIC, GSM7_EXT, decode_gsm7, encode_gsm7, pack_septets, unpack_septets
from sms.pdu.decoding import decode_deliver, decode_submit
from sms.pdu.encoding import encode_deliver, encode_submit
from sms.pdu.reassembly import Assembled, Incomplete, reassemble
from sms.pdu.values import AddressType, ConcatInfo, Deliver, Encoding, PduError, Submit, SubmitPart

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXT",
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
