"""The platform in the tally: what passed at closed meetings joins it, amend and repeal keep the history, and a
title finds its plank (also an amended one's old title). SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given

from kiosk.errors import InvalidInput
from kiosk.tally import MeetingState, PlatformState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.fuzz_support import fuzz_settings, text_values
from tests.platform_support import forget_platform, hold_meeting, open_meeting, vote_and_close
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


def test_amend_replaces_and_repeal_ends_with_history_kept(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0), "Public bank": (3, 0, 0)})
    amendments = (
        "title,text,threshold,amends,repeals,title_es\n"
        "Rent control for all,Cap rents and ban no-cause evictions.,majority,rent CONTROL,,"
        "Control de alquileres para todos\n"
        "Repeal the bank,,majority,,public bank,\n"
    )
    hold_meeting(
        tally, "GA2", "2027-01-14T19:00", amendments, {"Rent control for all": (4, 1, 0), "Repeal the bank": (5, 2, 1)}
    )
    (current,) = tally.platform()
    assert (current.title, current.adopted.meeting_code, current.adopted.yes) == ("Rent control for all", "GA2", 4)
    history = {p.title: p for p in tally.platform(history=True)}
    assert list(history) == ["Rent control", "Public bank", "Rent control for all"]  # the order they were adopted
    old = history["Rent control"]
    assert old.state is PlatformState.AMENDED and old.replaced_by_id == current.id
    assert old.ended is not None and (old.ended.meeting_code, old.ended.by_title) == ("GA2", "Rent control for all")
    bank = history["Public bank"]
    assert bank.state is PlatformState.REPEALED and bank.replaced_by_id is None
    assert bank.ended is not None and (bank.ended.meeting_code, bank.ended.by_title) == ("GA2", "Repeal the bank")
    # The repealing plank itself does not join the platform; the old title finds the amendment.
    assert tally.platform_plank_by_title("Repeal the bank") is None
    assert tally.platform_plank_by_title("Rent Control") == current
    assert tally.platform_plank_by_title("Public bank") is None
    repealed = tally.platform_plank_by_title("Public bank", include_repealed=True)
    assert repealed is not None and repealed.state is PlatformState.REPEALED
    changed = [e for e in tally.audit_entries("GA2") if e.action == "platform_changed"]
    assert len(changed) == 1 and "Rent control" in changed[0].detail and "Public bank" in changed[0].detail


def test_a_plank_that_fails_changes_nothing(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0), "Public bank": (3, 0, 0)})
    before = tally.platform(history=True)
    planks = "title,amends,repeals\nWeaker rent control,Rent control,\nRepeal rent control,,Public bank\n"
    hold_meeting(
        tally, "GA2", "2027-01-14T19:00", planks, {"Weaker rent control": (2, 2, 0), "Repeal rent control": (1, 5, 0)}
    )
    assert tally.platform(history=True) == before
    assert not [e for e in tally.audit_entries("GA2") if e.action == "platform_changed"]


def test_amendments_chain_and_the_oldest_title_finds_the_newest(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    hold_meeting(
        tally, "GA2", "2027-01-14T19:00", "title,amends\nRent control v2,Rent control\n", {"Rent control v2": (3, 0, 0)}
    )
    hold_meeting(
        tally, "GA3", "2027-02-11T19:00", "title,amends\nRent control v3,rent control\n", {"Rent control v3": (3, 0, 0)}
    )
    found = tally.platform_plank_by_title("Rent control")
    assert found is not None and found.title == "Rent control v3"
    assert [p.state for p in tally.platform(history=True)] == [
        PlatformState.AMENDED,
        PlatformState.AMENDED,
        PlatformState.CURRENT,
    ]


def test_same_title_passed_again_replaces_the_older_one(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    hold_meeting(tally, "GA2", "2027-01-14T19:00", "title,text\nRENT control,New words.\n", {"RENT control": (3, 0, 0)})
    (current,) = tally.platform()
    assert (current.title, current.text) == ("RENT control", "New words.")
    assert [p.state for p in tally.platform(history=True)] == [PlatformState.AMENDED, PlatformState.CURRENT]


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        ("Fix it,No such plank,", "line 2: it amends 'No such plank', but no plank in force on the platform"),
        ("Fix it,,No such plank", "line 2: it repeals 'No such plank', but no plank in force"),
        ("Fix it,Rent control,Rent control", "line 2: a plank may amend or repeal one platform plank, not both"),
        ("Fix it,Public bank,", "line 2: it amends 'Public bank', which was repealed"),
        ("Fix it," + "x" * 400 + ",", "line 2: the plank it amends has a title longer than 300 characters"),
        ('Fix it,"Rent\x00control",', "line 2: it amends"),
    ],
)
def test_hostile_amend_and_repeal_columns_are_refused_with_their_line(tally: Tally, line: str, refusal: str) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0), "Public bank": (3, 0, 0)})
    hold_meeting(tally, "GA2", "2026-12-10T19:00", "title,repeals\nNo bank,Public bank\n", {"No bank": (3, 0, 0)})
    tally.create_meeting(code="GA3", title="Next", starts="2027-01-14T19:00")
    report = tally.import_planks("GA3", f"title,amends,repeals\n{line}\nKeep going,,\n")
    assert len(report.refused) == 1 and report.refused[0].startswith(refusal), report.refused
    assert [p.title for p in tally.planks("GA3")] == ["Keep going"]  # the rest is imported, the bad line is not
    assert tally.plank_platform_changes("GA3") == {}


def test_two_planks_of_one_meeting_cannot_target_the_same_platform_plank(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    tally.create_meeting(code="GA2", title="Next", starts="2027-01-14T19:00")
    report = tally.import_planks("GA2", "title,amends,repeals\nA,Rent control,\nB,,Rent control\n")
    assert report.refused == ["line 3: 'A' of this meeting already amends or repeals 'Rent control'"]
    (a,) = tally.planks("GA2")
    assert tally.plank_platform_changes("GA2") == {a.id: ("amends", "Rent control")}
    # Re-importing A with the columns empty removes its change; without the columns keeps it.
    tally.import_planks("GA2", "title,text\nA,words\n")
    assert tally.plank_platform_changes("GA2") == {a.id: ("amends", "Rent control")}
    tally.import_planks("GA2", "title,amends,repeals\nA,,\n")
    assert tally.plank_platform_changes("GA2") == {}
    tally.set_plank_platform_change("GA2", a.id, "repeals", "rent control")
    assert tally.plank_platform_changes("GA2") == {a.id: ("repeals", "Rent control")}
    with pytest.raises(InvalidInput, match="no plank in force"):
        tally.set_plank_platform_change("GA2", a.id, "amends", "Nothing like it")


def test_rebuild_adds_meetings_closed_before_the_platform_in_the_order_they_were_held(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    hold_meeting(
        tally, "GA2", "2027-01-14T19:00", "title,text\nRENT control,Second words.\n", {"RENT control": (3, 0, 0)}
    )
    forget_platform(tally)
    # A newer meeting closes after the upgrade, before anyone rebuilt: its plank stays the one in force.
    hold_meeting(
        tally, "GA3", "2027-02-11T19:00", "title,text\nRent Control,Third words.\n", {"Rent Control": (5, 0, 0)}
    )
    applied = tally.rebuild_platform()
    assert [code for code, _ in applied] == ["GA1", "GA2"]
    (current,) = tally.platform()
    assert (current.text, current.adopted.meeting_code) == ("Third words.", "GA3")
    history = tally.platform(history=True)
    assert [(p.adopted.meeting_code, p.state) for p in history] == [
        ("GA1", PlatformState.AMENDED),
        ("GA2", PlatformState.AMENDED),
        ("GA3", PlatformState.CURRENT),
    ]
    assert tally.rebuild_platform() == []
    assert tally.platform(history=True) == history


_fuzz_meetings = itertools.count(1)


@fuzz_settings(40)
@given(amends=text_values, repeals=text_values)
def test_fuzzed_amends_and_repeals_cells_are_refused_or_name_the_plank(
    platform_of_one: Tally, amends: str, repeals: str
) -> None:
    tally = platform_of_one
    code = f"FZ{next(_fuzz_meetings)}"
    tally.create_meeting(code=code, title="Fuzz", starts="2027-03-01T19:00")
    out = io.StringIO()
    csv.writer(out).writerows([["title", "amends", "repeals"], ["A fuzzed plank", amends, repeals]])
    report = tally.import_planks(code, out.getvalue())
    changes = tally.plank_platform_changes(code)
    if report.refused:
        # (a quoted cell with line breaks ends on a later line: the report names the line where the row ends)
        assert len(report.refused) == 1 and re.match(r"line [2-9]\d*: ", report.refused[0]), report.refused
        assert changes == {} and tally.planks(code) == []
    else:
        (plank,) = tally.planks(code)
        named = [c for c in (amends.strip(), repeals.strip()) if c]
        if named:  # it named the one plank in force, as the title compares
            assert changes == {plank.id: ("amends" if amends.strip() else "repeals", "Rent control")}
        else:
            assert changes == {}


@pytest.fixture
def platform_of_one(tally: Tally) -> Tally:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Rent control": (3, 1, 0)})
    return tally


def test_a_repeal_of_a_plank_already_gone_is_noted_once(tally: Tally) -> None:
    hold_meeting(tally, "GA1", "2026-12-03T19:00", GA1_PLANKS, {"Public bank": (3, 0, 0)})
    open_meeting(tally, "GA2", "2027-01-14T19:00", "title,repeals\nDrop the bank,Public bank\n")
    hold_meeting(tally, "GA3", "2027-01-10T19:00", "title,repeals\nNo bank,public bank\n", {"No bank": (3, 0, 0)})
    vote_and_close(tally, "GA2", {"Drop the bank": (3, 0, 0)})  # passes, but the bank plank is already repealed
    (bank,) = tally.platform(history=True)
    assert bank.state is PlatformState.REPEALED and bank.ended is not None and bank.ended.meeting_code == "GA3"
    (noted,) = [e for e in tally.audit_entries("GA2") if e.action == "platform_changed"]
    assert "no longer in force" in noted.detail
    assert tally.rebuild_platform() == []  # GA2's close applied it, to no effect: a rebuild does not note it again
    assert len([e for e in tally.audit_entries("GA2") if e.action == "platform_changed"]) == 1
