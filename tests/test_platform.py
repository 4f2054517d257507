"""The platform in the tally: what passed at closed meetings joins it, amend and repeal keep the history, and a
title finds its plank (also an amended one's old title). SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from kiosk.tally import MeetingState, PlatformState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.platform_support import hold_meeting
from tests.test_organizer import organizer_settings

GA1_PLANKS = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control,Cap rents for every tenant.,majority,Control de alquileres,Limitar los alquileres.\n"
    "Public bank,Found a city bank.,two-thirds,Banca pública,Fundar un banco municipal.\n"
    "Tie vote,Fails on a tie.,majority,,\n"
)


def test_passed_planks_join_at_close_and_failed_ones_do_not(tally: Tally) -> None:
    tally.create_meeting(code="GA0", title="Open", starts="2026-11-01T19:00")
    hold_meeting(
        tally,
        "GA1",
        "2026-12-03T19:00",
        GA1_PLANKS,
        {
            "Rent control": (6, 4, 3),  # 60% of yes+no: passes a majority
            "Public bank": (6, 4, 0),  # 60%: short of two-thirds
            "Tie vote": (5, 5, 0),  # a majority is more than half
        },
    )
    (plank,) = tally.platform()
    assert (plank.title, plank.text, plank.state) == (
        "Rent control",
        "Cap rents for every tenant.",
        PlatformState.CURRENT,
    )
    adopted = plank.adopted
    assert (adopted.meeting_code, adopted.date.isoformat(), adopted.yes, adopted.no, adopted.abstain) == (
        "GA1",
        "2026-12-03",
        6,
        4,
        3,
    )
    assert str(adopted.threshold) == "majority"
    assert plank.title_in("es").text == "Control de alquileres"
    assert plank.text_in("es").text == "Limitar los alquileres."
    # The same rule as the results.
    passed = {p.title for p in tally.results("GA1").planks if p.passed}
    assert passed == {"Rent control"}
    assert tally.audit_entries("GA1")[-2].action == "platform_changed"


def test_title_lookup_ignores_case_accents_and_spaces(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 0, 0)})
    found = tally.platform_plank_by_title("  RENT   control ")
    assert found is not None and found.title == "Rent control"
    assert tally.platform_plank_by_title("Public bank") is None  # failed: not on the platform
    assert tally.platform_plank_by_title("") is None


def test_rebuild_applies_each_closed_meeting_once(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 0, 0)})
    assert tally.rebuild_platform() == []  # the close already applied it
    assert len(tally.platform()) == 1
    assert tally.meeting("GA1").state is MeetingState.CLOSED


def test_public_platform_page_needs_no_login(tally: Tally, tmp_path: Path, db_url: str) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    client = create_organizer_app(
        organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True}
    ).test_client()
    english = client.get("/platform?lang=en").get_data(as_text=True)
    assert "Rent control" in english and "3 yes, 1 no" in english and "December 3, 2026" in english
    spanish = client.get("/platform?lang=es").get_data(as_text=True)
    assert "Control de alquileres" in spanish and "3 de diciembre de 2026" in spanish
    assert '<html lang="es">' in spanish
