"""Segment counting at the boundaries that matter."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sms.graphemes
import sms.segments
from sms.graphemes import graphemes, utf16_units
from sms.pdu import decode_submit, encode_submit
from sms.segments import GSM7_BASIC, GSM7_EXTENSION, Segments, fits, is_gsm7, segment_count, split_parts


def test_doctests() -> None:
    assert doctest.testmod(sms.segments).failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("GSM-7", 1, 0)),
        ("a" * 160, Segments("GSM-7", 1, 160)),
        ("a" * 161, Segments("GSM-7", 2, 161)),
        ("a" * 306, Segments("GSM-7", 2, 306)),
        ("a" * 307, Segments("GSM-7", 3, 307)),
        ("a" * 159 + "€", Segments("GSM-7", 2, 161)),  # € costs two septets: 161
        ("a" * 158 + "€", Segments("GSM-7", 1, 160)),
        ("{}[]~|^\\€", Segments("GSM-7", 1, 18)),
        ("é" * 160, Segments("GSM-7", 1, 160)),  # é is in the basic set
        ("ñ¿¡ÑÜüÄ", Segments("GSM-7", 1, 7)),
        ("á", Segments("UCS-2", 1, 1)),  # á is not
        ("á" * 70, Segments("UCS-2", 1, 70)),
        ("á" * 71, Segments("UCS-2", 2, 71)),
        ("á" * 134, Segments("UCS-2", 2, 134)),
        ("á" * 135, Segments("UCS-2", 3, 135)),
        ("👍" * 35, Segments("UCS-2", 1, 70)),
        ("👍" * 35 + "a", Segments("UCS-2", 2, 71)),
        ("a" * 69 + "👍", Segments("UCS-2", 2, 71)),
        ("line\nbreak\r", Segments("GSM-7", 1, 11)),
        ("tab\t", Segments("UCS-2", 1, 4)),  # tab is not GSM-7
    ],
)
def test_boundaries(text: str, expected: Segments) -> None:
    assert segment_count(text) == expected


def test_escape_pair_is_not_split_across_parts() -> None:
    # 152 plain septets then €: the pair would straddle the part boundary at 153, so it moves to part 2.
    text = "a" * 152 + "€" + "a" * 152
    assert segment_count(text).characters == 306
    assert segment_count(text).segments == 3


def test_surrogate_pair_is_not_split_across_parts() -> None:
    text = "á" * 66 + "👍" + "á" * 66
    assert segment_count(text).characters == 134
    assert segment_count(text).segments == 3


def test_fits() -> None:
    assert fits("a" * 160) and not fits("a" * 161) and fits("a" * 161, 2)


def test_sets_are_disjoint_and_complete() -> None:
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert len(GSM7_BASIC) == 127  # 128 codes minus the escape
    assert is_gsm7("".join(GSM7_BASIC | GSM7_EXTENSION))


@given(st.text(max_size=500))
def test_segments_are_consistent(text: str) -> None:
    result = segment_count(text)
    per = (160, 153) if result.encoding == "GSM-7" else (70, 67)
    assert result.segments >= 1
    if result.characters <= per[0]:
        assert result.segments == 1
    else:
        assert (result.segments - 1) * per[1] < result.characters + result.segments * 1
        assert result.segments * per[1] >= result.characters


# --- issue 15 item 4: never split what a phone shows as one character -----------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
FLAG = "🇲🇽"  # two regional indicators: 4 UTF-16 units
FAMILY = "👨\u200d👩\u200d👧"  # ZWJ sequence: 8 units
HEART = "❤\ufe0f"  # with its variation selector: 2 units, both in the BMP
THUMB_TONE = "👍🏽"  # with a skin tone: 4 units
KEYCAP = "1\ufe0f\u20e3"  # 3 units
RAINBOW = "🏳\ufe0f\u200d🌈"  # 6 units
ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tag sequence: 14 units


@pytest.mark.parametrize(
    ("text", "segments", "units"),
    [
        ("a" * 64 + FLAG + "b" * 64, 3, 132),  # the case: the flag opens part 2
        ("a" * 63 + FLAG + "b" * 63, 2, 130),  # the flag ends part 1 exactly (67 units)
        ("a" * 66 + FLAG, 1, 70),  # fits one segment whole: 70 units
        ("a" * 67 + FLAG, 2, 71),
        ("a" * 62 + FAMILY + "b" * 60, 3, 130),  # 62 + 8 > 67: the family moves whole
        ("a" * 59 + FAMILY + "b" * 59, 2, 126),  # 59 + 8 = 67
        ("a" * 66 + HEART + "b" * 66, 3, 134),  # ❤ alone would fit part 1; its selector must come with it
        ("a" * 65 + HEART + "b" * 67, 2, 134),  # ends part 1 exactly
        ("a" * 65 + THUMB_TONE + "b" * 64, 3, 133),  # 👍 | 🏽 would fit 65 + 2 and 2 + 64: 2 parts
        ("a" * 65 + KEYCAP + "b" * 65, 3, 133),  # cut after "1\ufe0f" it would take 2 parts
        ("a" * 62 + RAINBOW + "b" * 62, 3, 130),
        ("a" * 60 + ENGLAND + "b" * 60, 3, 134),
        ("e\u0301\u0301\u0301" + "a" * 66, 1, 70),  # a letter with three accents is one grapheme
        ("a" * 66 + "e\u0301\u0301\u0301" + "a" * 64, 3, 134),  # cut after the e it would take 2
        ("á" * 66 + "👍" + "á" * 66, 3, 134),  # a lone emoji: still a surrogate pair, never split
        ("😀" + "]" * 68, 1, 70),  # a GSM-7 escape character in a UCS-2 text is one unit, not two
        ("😀" + "]" * 69, 2, 71),
        ("a" * 152 + "€" + "a" * 152, 3, 306),  # GSM-7: the escape pair is never split and counts 2
        ("a" * 151 + "€" + "a" * 153, 2, 306),
        ("\r\n" * 80, 1, 160),  # CR LF is two characters, as in Twilio's calculator
    ],
)
def test_graphemes_are_never_split(text: str, segments: int, units: int) -> None:
    result = segment_count(text)
    assert (result.segments, result.characters) == (segments, units)
    assert len(split_parts(text)) == segments
    assert "".join(split_parts(text)) == text


def test_a_grapheme_bigger_than_a_part_is_cut_between_code_points() -> None:
    zalgo = "a" + "\u0301" * 100  # one grapheme of 101 units cannot fit a 67-unit part
    parts = split_parts(zalgo + "👍" * 40)
    assert "".join(parts) == zalgo + "👍" * 40
    assert all(utf16_units(p) <= 67 for p in parts)
    assert not any(p[-1] == "\ud83d" for p in parts)


def _twilio_vectors() -> list[dict[str, object]]:
    return json.loads((FIXTURES / "twilio_segment_vectors.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _twilio_vectors(), ids=lambda c: str(c["description"]))
def test_twilio_calculator_vectors(case: dict[str, object]) -> None:
    result = segment_count(str(case["body"]))
    assert (result.encoding, result.segments) == (case["encoding"], case["segments"])


def _grapheme_break_cases() -> list[tuple[str, list[str]]]:
    """Unicode's own test file for UAX #29, with CR LF split in two as Twilio splits it."""
    cases = []
    for line in (FIXTURES / "GraphemeBreakTest-15.0.0.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        clusters, current = [], ""
        for token in line.split():
            if token == "÷":
                if current:
                    clusters.append(current)
                current = ""
            elif token != "×":
                current += chr(int(token, 16))
        expected = [piece for c in clusters for piece in (["\r", "\n"] if c == "\r\n" else [c])]
        cases.append(("".join(clusters), expected))
    return cases


def test_unicode_grapheme_break_test_file() -> None:
    cases = _grapheme_break_cases()
    assert len(cases) > 600
    wrong = [(text, expected, graphemes(text)) for text, expected in cases if graphemes(text) != expected]
    assert wrong == []


def test_graphemes_doctests() -> None:
    assert doctest.testmod(sms.graphemes).failed == 0


PIECES = ["a", "á", "€", "]", " ", FLAG, FAMILY, HEART, THUMB_TONE, KEYCAP, "👍"]


@given(st.lists(st.sampled_from(PIECES), max_size=120))
def test_the_modem_splits_where_the_count_does(pieces: list[str]) -> None:
    text = "".join(pieces)
    parts = encode_submit("+15105550100", text, ref=7)
    assert len(parts) == segment_count(text).segments
    decoded = [decode_submit(p.pdu).text for p in parts]
    assert decoded == split_parts(text)
    # nothing that is one character on a phone is cut: each part's graphemes are whole graphemes of the text
    whole = graphemes(text)
    cut = [g for part in decoded for g in graphemes(part)]
    assert cut == whole
