"""sms.pdu: known PDUs from public references, round trips over arbitrary text, splitting and reassembly."""

from __future__ import annotations

import contextlib
import doctest
import importlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.pdu import (
    GSM7_BASIC,
    GSM7_EXT,
    AddressType,
    ConcatInfo,
    Encoding,
    PduError,
    decode_deliver,
    decode_submit,
    encode_deliver,
    encode_submit,
    reassemble,
)

WHEN = datetime(2026, 11, 29, 18, 30, 5, tzinfo=timezone(timedelta(hours=-5)))


def test_doctests() -> None:
    attempted = 0
    for name in ("alphabets", "decoding", "encoding", "fields"):
        result = doctest.testmod(importlib.import_module(f"sms.pdu.{name}"))
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted > 10


# --------------------------------------------------------------------------- public reference PDUs


def test_known_deliver_from_the_dreamfabric_pdu_reference() -> None:
    # The classic "hellohello" SMS-DELIVER (dreamfabric.com/sms), SMSC +27381000015, TON "subscriber".
    d = decode_deliver("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37")
    assert d.smsc == "+27381000015"
    assert d.sender == "27838890001"
    assert d.sender_type is AddressType.NATIONAL
    assert d.encoding is Encoding.GSM7
    assert d.text == "hellohello"
    assert d.timestamp == datetime(1999, 3, 29, 15, 16, 59, tzinfo=timezone(timedelta(hours=2)))
    assert d.concat is None


def test_known_submit_from_the_wikipedia_gsm_03_40_article() -> None:
    [part] = encode_submit("+46708251358", "hellohello")
    assert part.pdu == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert part.tpdu_length == 23  # every octet but the leading SMSC one


def test_pdus_checked_against_an_independent_decoder() -> None:
    # Decoded by smspdudecoder 2.2.0 to the same text, address and time when the fixture was made:
    # GSM-7 with escapes and UDH fill bits, UCS-2 with emoji, alphanumeric senders, 16-bit references.
    data = json.loads((Path(__file__).parent / "fixtures" / "pdu_crosschecked.json").read_text(encoding="utf-8"))
    assert len(data["cases"]) == 20
    for case in data["cases"]:
        if case["kind"] == "submit":
            parts = [decode_submit(p) for p in case["pdus"]]
            assert {p.recipient for p in parts} == {case["to"]}
            assert "".join(p.text for p in parts) == case["text"]
            continue
        [whole], incomplete = reassemble(enumerate(decode_deliver(p) for p in case["pdus"]))
        assert incomplete == []
        assert whole.sender == case["sender"]
        assert whole.text == case["text"]
        assert whole.timestamp is not None
        assert whole.timestamp.astimezone(UTC).isoformat() == case["utc"]


# --------------------------------------------------------------------------------------- decoding


def test_alphanumeric_sender_and_ucs2_with_an_emoji() -> None:
    [pdu] = encode_deliver("Movistar", "Recarga ✓ 😀", timestamp=WHEN)
    d = decode_deliver(pdu)
    assert (d.sender, d.sender_type) == ("Movistar", AddressType.ALPHANUMERIC)
    assert d.encoding is Encoding.UCS2
    assert d.text == "Recarga ✓ 😀"
    assert d.timestamp == WHEN  # negative zone: sign bit set


def test_eight_bit_data_coding() -> None:
    # SMS-DELIVER, no SMSC, from +1234567890, DCS 0x04 (8-bit), 3 octets.
    d = decode_deliver("00" + "04" + "0A912143658709" + "00" + "04" + "62119281000000" + "03" + "414243")
    assert d.encoding is Encoding.EIGHT_BIT
    assert d.payload == b"ABC"
    assert d.sender == "+1234567890"


def test_gsm7_extension_table_decodes() -> None:
    text = "".join(GSM7_EXT.values()) + "".join(ch for ch in GSM7_BASIC if ch != "\x1b")
    [pdu] = encode_deliver("+15551234567", text, timestamp=WHEN)
    d = decode_deliver(pdu)
    assert d.encoding is Encoding.GSM7
    assert d.text == text


def test_concatenation_with_16_bit_reference() -> None:
    pdus = encode_deliver("+15551234567", "x" * 200, timestamp=WHEN, ref=0x1234, ref_bits=16)
    parts = [decode_deliver(p) for p in pdus]
    assert [p.concat for p in parts] == [
        ConcatInfo(ref=0x1234, total=2, seq=1, ref_bits=16),
        ConcatInfo(ref=0x1234, total=2, seq=2, ref_bits=16),
    ]
    whole, incomplete = reassemble(enumerate(parts))
    assert [w.text for w in whole] == ["x" * 200]
    assert incomplete == []


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "07",
        "zz",
        "0791",
        "07917283010010F5040BC872",  # cut in the address
        "07917283010010F5010BC87238880900F10000",  # an SMS-SUBMIT, not a DELIVER
    ],
)
def test_bad_pdus_raise_pdu_error(bad: str) -> None:
    with pytest.raises(PduError):
        decode_deliver(bad)


def test_a_pdu_cut_before_its_user_data_is_a_damaged_empty_text_from_its_sender() -> None:
    d = decode_deliver("07917283010010F5040BC87238880900F1000099309251")  # cut inside the time stamp
    assert (d.sender, d.text, d.timestamp) == ("27838890001", "", None)
    assert d.damage == "PDU cut short before its user data"


def test_user_data_shorter_than_stated_is_read_as_far_as_it_goes() -> None:
    d = decode_deliver("07917283010010F5040BC87238880900F100009930925161958050E8")  # UDL 80, 1 octet
    assert d.sender == "27838890001"
    assert d.text == "h"
    assert d.damage == "user data shorter than its stated length: 1 of 80 septets"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=180))
def test_arbitrary_bytes_decode_or_raise_pdu_error_only(data: bytes) -> None:
    with contextlib.suppress(PduError):
        decode_deliver(data)


def test_invalid_timestamp_gives_none_not_an_error() -> None:
    [pdu] = encode_deliver("+15551234567", "hi", timestamp=WHEN)
    raw = bytearray(bytes.fromhex(pdu))
    scts_at = 1 + raw[0] + 1 + 2 + (raw[1 + raw[0] + 1] + 1) // 2 + 2
    raw[scts_at + 1] = 0x00  # month 00
    d = decode_deliver(bytes(raw))
    assert d.timestamp is None
    assert d.text == "hi"


# --------------------------------------------------------------------------------------- encoding


def test_gsm7_single_part_limit_is_160_septets() -> None:
    assert len(encode_submit("+15551234567", "a" * 160)) == 1
    parts = encode_submit("+15551234567", "a" * 161)
    assert [len(decode_submit(p.pdu).text) for p in parts] == [153, 8]


def test_ucs2_part_limits_are_70_and_67_units() -> None:
    assert len(encode_submit("+15551234567", "ñ" * 68 + "€" + "Ж")) == 1  # Ж forces UCS-2: 70 units
    assert len(encode_submit("+15551234567", "Ж" * 70)) == 1
    parts = encode_submit("+15551234567", "Ж" * 71)
    assert [len(decode_submit(p.pdu).text) for p in parts] == [67, 4]


def test_an_escape_pair_is_never_split_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = [decode_submit(p.pdu) for p in encode_submit("+15551234567", text)]
    assert parts[0].text == "a" * 152  # 152 + 2 septets would exceed 153
    assert parts[1].text == "€" + "b" * 10


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    text = "Ж" * 66 + "😀" + "Ж" * 10
    parts = [decode_submit(p.pdu) for p in encode_submit("+15551234567", text)]
    assert parts[0].text == "Ж" * 66
    assert parts[1].text == "😀" + "Ж" * 10


def test_national_number_and_bad_numbers() -> None:
    assert decode_submit(encode_submit("0612345678", "hi")[0].pdu).recipient == "0612345678"
    for bad in ("", "+", "12 34", "+1-555", "abc", "+" + "1" * 21):
        with pytest.raises(PduError):
            encode_submit(bad, "hi")


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(PduError):
        encode_submit("+15551234567", "a\ud800b")


def test_too_many_parts_is_refused() -> None:
    with pytest.raises(PduError):
        encode_submit("+15551234567", "Ж" * (67 * 255 + 1))


# ---------------------------------------------------------------------------------- round trips

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
gsm_texts = st.text(st.sampled_from([ch for ch in GSM7_BASIC if ch != "\x1b"] + list(GSM7_EXT.values())), max_size=400)


@settings(max_examples=150, deadline=None)
@given(st.one_of(texts, gsm_texts), st.integers(0, 255))
def test_submit_round_trip(text: str, ref: int) -> None:
    parts = encode_submit("+34600111222", text, ref=ref)
    decoded = [decode_submit(p.pdu) for p in parts]
    for p, d in zip(parts, decoded, strict=True):
        assert p.tpdu_length == len(p.pdu) // 2 - 1
        assert p.tpdu_length <= 140 + 15  # user data never over 140 octets
        assert d.recipient == "+34600111222"
        if len(parts) > 1:
            assert d.concat == ConcatInfo(ref=ref, total=len(parts), seq=p.seq, ref_bits=8)
    assert "".join(d.text for d in decoded) == text
    if all(ch in GSM7_BASIC.replace("\x1b", "") or ch in GSM7_EXT.values() for ch in text):
        assert parts[0].encoding is Encoding.GSM7


@settings(max_examples=150, deadline=None)
@given(st.one_of(texts, gsm_texts), st.booleans(), st.sampled_from([8, 16]), st.randoms(use_true_random=False))
def test_deliver_round_trip_in_any_order(text: str, ucs2: bool, ref_bits: int, rnd) -> None:
    pdus = encode_deliver("+34600111222", text, timestamp=WHEN, ref=9, ref_bits=ref_bits, ucs2=ucs2)
    keyed = list(enumerate(decode_deliver(p) for p in pdus))
    rnd.shuffle(keyed)
    whole, incomplete = reassemble(keyed)
    assert incomplete == []
    assert len(whole) == 1
    assert whole[0].text == text
    assert sorted(whole[0].keys) == list(range(len(pdus)))


# ----------------------------------------------------------------------------------- reassembly


def test_incomplete_sets_are_held_and_reported_and_duplicates_kept_for_deletion() -> None:
    pdus = encode_deliver("+34600111222", "¡Hola! " * 40, timestamp=WHEN, ref=77, ucs2=True)
    parts = [decode_deliver(p) for p in pdus]
    assert len(parts) == 5
    whole, incomplete = reassemble([(10, parts[3]), (11, parts[0]), (12, parts[0])])
    assert whole == []
    [held] = incomplete
    assert (held.sender, held.ref, held.total, held.have) == ("+34600111222", 77, 5, (1, 4))
    assert set(held.keys) == {10, 11, 12}
    # the rest arrives in a later sweep
    whole, incomplete = reassemble(
        [(10, parts[3]), (11, parts[0]), (12, parts[0]), (13, parts[4]), (14, parts[1]), (15, parts[2])]
    )
    assert incomplete == []
    [text] = whole
    assert text.text == "¡Hola! " * 40
    assert set(text.keys) == {10, 11, 12, 13, 14, 15}


def test_same_reference_from_two_senders_stays_apart() -> None:
    a = [decode_deliver(p) for p in encode_deliver("+34600111222", "a" * 200, timestamp=WHEN, ref=5)]
    b = [decode_deliver(p) for p in encode_deliver("+34600333444", "b" * 200, timestamp=WHEN, ref=5)]
    whole, incomplete = reassemble([(1, a[1]), (2, b[0]), (3, a[0]), (4, b[1])])
    assert sorted(w.text for w in whole) == ["a" * 200, "b" * 200]
    assert incomplete == []


def test_emoji_surrogate_split_by_a_careless_phone_is_rejoined() -> None:
    # Some phones cut UCS-2 at 67 units even inside a surrogate pair; joining the octets first repairs it.
    units = ("Ж" * 66 + "😀" + "z").encode("utf-16-be")
    first, second = units[:134], units[134:]
    header = lambda seq: bytes([0x05, 0x00, 0x03, 0x21, 0x02, seq])  # noqa: E731
    pdus = []
    for seq, body in ((1, first), (2, second)):
        ud = header(seq) + body
        tpdu = bytes([0x44]) + bytes.fromhex("0B914306101122F2") + bytes([0x00, 0x08])
        tpdu += bytes.fromhex("62119281035040") + bytes([len(ud)]) + ud
        pdus.append("00" + tpdu.hex())
    parts = [decode_deliver(p) for p in pdus]
    assert "\ufffd" in parts[0].text  # each part alone has half an emoji
    [whole], _ = reassemble(enumerate(parts))
    assert whole.text == "Ж" * 66 + "😀" + "z"
    assert whole.timestamp == datetime(2026, 11, 29, 17, 30, 5, tzinfo=UTC)  # 18:30:05 at +01:00
