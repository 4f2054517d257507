"""Members' phones and the language of their texts, as the tally keeps them (kiosk/tally/contacts.py): the SMS
gateway reads and changes them only through the tally (issue 14), inside its own transaction."""

from __future__ import annotations

import pytest

from kiosk.tally import Tally

ANA = "+15105550101"  # one member on this phone
HOUSEHOLD = "+15105550103"  # José and Rosa share it
LAPSED = "+15105550105"
GUEST = "+15105550110"
PENDING = "+15105550125"


@pytest.fixture
def roster(tally: Tally, roster_csv: str) -> Tally:
    tally.import_roster(roster_csv)
    return tally


def test_a_texts_language_becomes_its_one_members_and_no_households(roster: Tally) -> None:
    with roster.unit_of_work() as uow:
        assert uow.people.members_on_phone(ANA) == 1
        assert uow.people.languages_on_phone(ANA) == set()
        assert uow.people.note_text_language(ANA, "es") is True
        assert uow.people.note_text_language(ANA, "es") is False  # already so: nothing written
        assert uow.people.languages_on_phone(ANA) == {"es"}
        assert uow.people.members_on_phone(HOUSEHOLD) == 2
        assert uow.people.note_text_language(HOUSEHOLD, "es") is False  # which of the two wrote?
        assert uow.people.members_on_phone("+15105550999") == 0
        assert uow.people.note_text_language("+15105550999", "es") is False
    assert roster.phone_languages([ANA, HOUSEHOLD]) == {ANA: {"es"}}


def test_a_language_the_texts_do_not_come_in_is_refused_and_changes_nothing(roster: Tally) -> None:
    with pytest.raises(ValueError, match="language must be one of en, es"), roster.unit_of_work() as uow:
        uow.people.note_text_language(ANA, "fr")
    assert roster.phone_languages([ANA]) == {}


def test_a_household_of_two_languages_has_both(roster: Tally) -> None:
    with roster.unit_of_work() as uow:
        uow.people.note_text_language(ANA, "en")
    roster.import_roster("name,phone,status,language\nJosé Hernández,+1 510 555 0103,member,es\n")
    roster.import_roster("name,phone,status,language\nRosa Delgado,510-555-0103,member,en\n")
    assert roster.phone_languages([ANA, HOUSEHOLD, GUEST]) == {ANA: {"en"}, HOUSEHOLD: {"en", "es"}}
    assert roster.phone_languages([]) == {}


def test_the_phones_texted_as_members_are_members_and_pending_ones_once_each(roster: Tally) -> None:
    phones = roster.member_phones()
    assert phones == sorted(phones) and len(set(phones)) == len(phones)
    assert ANA in phones and HOUSEHOLD in phones and PENDING in phones
    assert LAPSED not in phones and GUEST not in phones
    assert roster.member_phones(["lapsed"]) == [LAPSED, "+15105550113"]
