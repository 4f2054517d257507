"""Reply texts: language, content, and that each fits its segment budget."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sms.replies
from sms import replies
from sms.backends import SmsInputError
from sms.reader import Intent, read_text
from sms.segments import segment_count

CHICAGO_WINTER = timezone(timedelta(hours=-6))
START = datetime(2026, 12, 3, 19, 0, tzinfo=CHICAGO_WINTER)
ORG = "Eastside Tenants Union"
LONG = "Asamblea General Extraordinaria de Inquilinos y Vecinos del Barrio Este para el Presupuesto 2027"
PLANKS = [
    "Rent strike fund of $5,000 for the winter months",
    "Endorse Measure B",
    "Join the citywide tenant coalition",
    "Monthly dues to $10",
    "Hire a part-time organizer",
    "Open a second office on Main Street near the library",
    "Adopt the new bylaws",
]
Lang = Literal["en", "es"]
LANGS: tuple[Lang, ...] = ("en", "es")


def one_segment(text: str) -> bool:
    return segment_count(text).segments == 1


def test_doctests() -> None:
    assert doctest.testmod(sms.replies).failed == 0


def test_confirmation_example_from_the_brief() -> None:
    text = replies.confirmation("en", "General Assembly", START, Intent.YES, 2)
    assert text == "You're a YES for General Assembly, Thu Dec 3, 7 pm, with 2 guests. Reply NO to change."


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("answer", ["yes", "no", "maybe"])
@pytest.mark.parametrize("title", ["GA", "General Assembly", LONG, "Reunión “Especial” 🎉✊🏽 del año", "大会 " * 30])
def test_confirmations_fit_one_segment(lang: Lang, answer: str, title: str) -> None:
    text = replies.confirmation(lang, title, START, answer, 10)
    if title.startswith("大会"):
        # 70 UCS-2 units cannot hold the template and a useful title: one more segment, title kept.
        segments = segment_count(text).segments
        assert segments == 1 or (segments == 2 and "大会 大会 大会" in text), text
    else:
        assert one_segment(text), (text, segment_count(text))


def test_confirmation_wording() -> None:
    assert "1 guest." in replies.confirmation("en", "GA", START, "yes", 1)
    assert "guest" not in replies.confirmation("en", "GA", START, "yes", 0)
    assert "guest" not in replies.confirmation("en", "GA", START, "no", 3)
    es = replies.confirmation("es", "GA", START, "yes", 2)
    assert "SI" in es and "con 2 acompañantes" in es and "jue 3 dic, 7:00 p. m." in es
    assert "QUIZAS" in replies.confirmation("es", "GA", START, Intent.MAYBE)
    assert "Reply YES to change" in replies.confirmation("en", "GA", START, "no")


def test_short_titles_are_never_shortened_and_long_ones_end_in_dots() -> None:
    assert "General Assembly," in replies.confirmation("en", "General Assembly", START, "yes")
    long_title = "Very Long Meeting Title " * 8
    text = replies.confirmation("en", long_title, START, "yes", 2)
    assert "..., Thu Dec 3" in text and one_segment(text)
    assert "Reply NO to change." in text  # the instructions are never cut


def test_accents_fold_only_when_needed() -> None:
    short = replies.confirmation("es", "Reunión", START, "yes")
    assert "Reunión" in short and segment_count(short).encoding == "UCS-2" and one_segment(short)
    longer = replies.confirmation("es", "Reunión general de inquilinos del barrio", START, "yes", 2)
    assert "Reunion general de inquilinos del barrio" in longer
    assert segment_count(longer).encoding == "GSM-7"


def test_confirmation_needs_a_time_zone_and_an_answer() -> None:
    with pytest.raises(SmsInputError):
        replies.confirmation("en", "GA", datetime(2026, 12, 3, 19), "yes")
    with pytest.raises(SmsInputError):
        replies.confirmation("en", "GA", START, Intent.STOP)
    with pytest.raises(SmsInputError):
        replies.confirmation("en", "GA", START, "perhaps")
    assert "YES" in replies.confirmation("en", "GA", START, "YES")


@pytest.mark.parametrize(
    ("when", "en", "es"),
    [
        (datetime(2026, 12, 3, 19, 0, tzinfo=UTC), "Thu Dec 3, 7 pm", "jue 3 dic, 7:00 p. m."),
        (datetime(2026, 12, 5, 9, 30, tzinfo=UTC), "Sat Dec 5, 9:30 am", "sab 5 dic, 9:30 a. m."),
        (datetime(2026, 1, 7, 12, 0, tzinfo=UTC), "Wed Jan 7, 12 pm", "mié 7 ene, 12:00 p. m."),
        (datetime(2026, 1, 7, 0, 15, tzinfo=UTC), "Wed Jan 7, 12:15 am", "mié 7 ene, 12:15 a. m."),
    ],
)
def test_format_when(when: datetime, en: str, es: str) -> None:
    assert replies.format_when(when, "en") == en
    assert replies.format_when(when, "es") == es


def test_format_when_uses_the_meetings_own_zone() -> None:
    utc = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert replies.format_when(utc.astimezone(CHICAGO_WINTER), "en") == "Thu Dec 3, 7 pm"


FIXED: list[Callable[[Lang], str]] = [
    replies.ask_guest_count,
    replies.how_to_rsvp,
    lambda lang: replies.no_meeting_open(lang, ORG),
    lambda lang: replies.stop_confirmation(lang, ORG),
    lambda lang: replies.start_confirmation(lang, ORG),
    lambda lang: replies.help_text(lang, ORG),
    lambda lang: replies.help_text(lang, ORG, "organizers@eastside-tenants.org"),
    lambda lang: replies.ask_name(lang, ORG),
    lambda lang: replies.thanks_for_name(lang, "María José"),
    lambda lang: replies.invitation(lang, ORG, "General Assembly", START, "Community Center, 123 Main St"),
    lambda lang: replies.invitation(lang, ORG, "General Assembly", START, "Community Center", "GA12"),
    lambda lang: replies.stop_confirmation(lang, LONG),
    lambda lang: replies.help_text(lang, LONG, LONG),
    lambda lang: replies.ask_name(lang, LONG),
    lambda lang: replies.thanks_for_name(lang, "Nguyễn Thị Minh Khai " * 5),
    lambda lang: replies.invitation(lang, LONG, LONG, START, LONG, "GA12"),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("make", FIXED)
def test_replies_fit_one_segment(lang: Lang, make: Callable[[Lang], str]) -> None:
    text = make(lang)
    assert one_segment(text), (text, segment_count(text))
    assert "  " not in text


@pytest.mark.parametrize("lang", LANGS)
def test_spanish_templates_stay_gsm7(lang: Lang) -> None:
    for make in FIXED[:9]:
        text = make(lang)
        if "María" not in text:
            assert segment_count(text).encoding == "GSM-7", text


def test_stop_and_help_say_how_to_get_out_and_back() -> None:
    for lang in LANGS:
        stop = replies.stop_confirmation(lang, ORG)
        assert ORG in stop and "START" in stop
        assert "STOP" in replies.help_text(lang, ORG)
        assert ORG in replies.help_text(lang, ORG)
        assert "STOP" in replies.start_confirmation(lang, ORG)
    assert "unsubscribed" in replies.stop_confirmation("en", ORG)


def test_how_to_rsvp_examples_read_back_correctly() -> None:
    # The examples a reply gives must themselves be read as intended.
    assert read_text("YES 2").guests == 2
    assert read_text("SI 2").guests == 2
    invitation = replies.invitation("en", ORG, "GA", START, "Hall", "GA12")
    assert "YES GA12 2" in invitation
    reading = read_text("YES GA12 2", ["GA12"])
    assert (reading.intent, reading.guests, reading.meeting_code) == (Intent.YES, 2, "GA12")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("budget", [1, 2, 3])
def test_reminder_lists_planks_within_budget(lang: Lang, budget: int) -> None:
    text = replies.reminder(lang, ORG, "General Assembly", START, "Community Center", PLANKS, max_segments=budget)
    assert segment_count(text).segments <= budget, (text, segment_count(text))
    listed = sum(1 for i in range(1, len(PLANKS) + 1) if f"{i}) " in text)
    if listed < len(PLANKS):
        assert f"+{len(PLANKS) - listed} " in text
    if budget >= 2:
        assert listed >= 3


def test_reminder_lists_all_when_they_fit_and_none_when_there_are_none() -> None:
    text = replies.reminder("en", "ETU", "GA", START, "Hall", ["Dues", "Bylaws"], max_segments=1)
    assert "1) Dues; 2) Bylaws." in text and "more" not in text
    bare = replies.reminder("en", "ETU", "GA", START, "Hall", [])
    assert "ballot" not in bare and one_segment(bare)


def test_reminder_shortens_long_plank_titles() -> None:
    text = replies.reminder("en", "ETU", "GA", START, "Hall", ["x" * 300], max_segments=2, plank_chars=30)
    assert "1) " + "x" * 27 + "..." in text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.text(max_size=120), st.sampled_from(LANGS))
def test_arbitrary_values_never_raise_and_stay_close_to_budget(title: str, org: str, lang: Lang) -> None:
    text = replies.confirmation(lang, title, START, "yes", 3)
    # Only values shortened to their minimum can leave a text over one segment.
    assert segment_count(text).segments <= 2
    replies.invitation(lang, org, title, START, title, "GA1")
    replies.reminder(lang, org, title, START, title, [title, org])
