"""Segment counting at the boundaries that matter."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sms.segments
from sms.segments import GSM7_BASIC, GSM7_EXTENSION, Segments, fits, is_gsm7, segment_count


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
