"""The ledger in the tally and the CLI (issue 17): importing officials, pledges and votes (CSV and Open Civic Data
VoteEvents) with line-numbered refusals, idempotent re-imports, and the scorecard. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.tally import Tally
from tests.ledger_support import LEDGER, adopt_platform, amend_rent_control, fixture_text, import_ledger


@pytest.fixture
def platform_tally(tally: Tally) -> Tally:
    adopt_platform(tally)
    return tally


def test_officials_import_is_idempotent_and_updates_in_place(platform_tally: Tally) -> None:
    tally = platform_tally
    text = fixture_text("officials-messy.csv")
    first = tally.import_officials(text)
    assert (first.added, first.updated, first.unchanged, first.refused) == (4, 0, 0, [])
    again = tally.import_officials(text)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    changed = tally.import_officials("name,office,body,endorsed\nana ruiz,Mayor,Richmond City Council,no\n")
    assert (changed.added, changed.updated) == (0, 1)
    (ana,) = tally.scorecard(official="ANA RUIZ")
    assert (ana.name, ana.endorsed) == ("ana ruiz", False)


def test_an_unknown_endorsing_meeting_is_refused_with_its_line(platform_tally: Tally) -> None:
    report = platform_tally.import_officials(fixture_text("officials-bad.csv"))
    assert report.added == 1  # Ivy Chen
    assert report.refused[-1] == "line 6: no meeting with code 'NOPE99' (endorsed)"
    assert [r.split(":")[0] for r in report.refused] == ["line 2", "line 3", "line 4", "line 5", "line 6"]


def test_pledges_match_officials_and_platform_titles_loosely(platform_tally: Tally) -> None:
    tally = platform_tally
    tally.import_officials(fixture_text("officials-messy.csv"))
    report = tally.import_pledges(fixture_text("pledges-messy.csv"))
    assert (report.added, report.unchanged) == (3, 0)
    assert report.refused == [
        "line 6: unknown official 'Nobody Known' (import them with `kiosk officials import` first)",
        "line 7: plank 'No such plank' is not on the platform",
        "line 8: pledge 'maybe' is not one of yes, no",
    ]
    again = tally.import_pledges(fixture_text("pledges-messy.csv"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)


def test_votes_import_refuses_unknowns_and_reimports_change_nothing(platform_tally: Tally) -> None:
    tally = platform_tally
    tally.import_officials(fixture_text("officials-messy.csv"))
    report = tally.import_votes(fixture_text("votes-bad.csv"))
    assert report.added == 1
    assert [r.split(":")[0] for r in report.refused] == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "unknown official 'Zed Nobody'" in report.refused[4]
    assert "plank 'Not a plank' is not on the platform" in report.refused[5]
    first = tally.import_votes(fixture_text("votes.csv"))
    assert (first.added, first.unchanged) == (9, 0)
    before = [s.as_dict() for s in tally.scorecard()]
    again = tally.import_votes(fixture_text("votes.csv"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 9)
    assert [s.as_dict() for s in tally.scorecard()] == before
    # The same vote spelt differently (case, spaces) is the same vote, changed in place.
    fixed = tally.import_votes(
        "date,body,matter,official,vote,plank,yes_means\n"
        "2026-03-04,richmond city council,RES.  14-26,ana ruiz,no,RENT CONTROL,for\n"
    )
    assert (fixed.added, fixed.updated) == (0, 1)


def test_the_scorecard_from_the_fixtures(platform_tally: Tally) -> None:
    tally = platform_tally
    import_ledger(tally)
    scores = {s.name: s.as_dict() for s in tally.scorecard()}
    ana, ben, carla, dan = (scores[n] for n in ("Ana Ruiz", "Ben Okafor", "Carla Díaz", "Dan Moss"))
    # Ana: yes on a for-matter, no on an against-matter (both for), yes on the bank (for)
    assert (ana["for"], ana["against"], ana["abstain"], ana["absent"], ana["alignment"]) == (3, 0, 0, 0, 1.0)
    # Ben: no on a for-matter, yes on an against-matter (both against), yes on the bank
    assert (ben["for"], ben["against"], ben["alignment"], ben["alignment_exact"]) == (1, 2, 0.333, "1/3")
    assert (carla["for"], carla["against"], carla["abstain"]) == (0, 1, 1)
    assert (dan["absent"], dan["alignment"]) == (1, None)
    # Ben pledged no to rent control (reported as such) and yes to the bank (kept); Ana pledged yes and kept it.
    assert ben["broken_pledges"] == [] and [p["plank"] for p in ben["pledged_no"]] == ["Rent control"]
    assert ana["broken_pledges"] == []
    assert [p["plank"] for p in ana["planks"]] == ["Rent control", "Public bank"]
    assert ana["planks"][0]["pledge"] == "yes"


def test_a_broken_pledge(platform_tally: Tally) -> None:
    tally = platform_tally
    import_ledger(tally)
    tally.import_pledges("name,plank,pledge,date\nCarla Díaz,Rent control,yes,2026-01-01\n")
    (carla,) = tally.scorecard(official="carla diaz")
    (broken,) = carla.as_dict()["broken_pledges"]
    assert broken["plank"] == "Rent control" and broken["pledged_on"] == "2026-01-01"
    assert [(v["date"], v["vote"], v["position"]) for v in broken["votes_against"]] == [
        ("2026-04-01", "yes", "against")
    ]


def test_vote_events_import_through_the_map(platform_tally: Tally) -> None:
    tally = platform_tally
    tally.import_officials(fixture_text("officials-messy.csv"))
    files = [(p.name, p.read_bytes()) for p in sorted((LEDGER / "ocd").glob("*.json"))]
    report = tally.import_vote_events(files, fixture_text("ocd-map.csv"))
    assert report.added == 7
    assert report.refused == [
        "vote_event_rent.json vote 5: vote 'paired' is not one of yes, no, abstain, absent",
        "vote_event_rent.json vote 6: unknown official 'Unknown Person' (import them with `kiosk officials import` "
        "first)",
    ]
    assert tally.import_vote_events(files, fixture_text("ocd-map.csv")).unchanged == 7
    # the CSV of the same meetings adds only what the VoteEvents lacked, and differs on one vote
    from_csv = tally.import_votes(fixture_text("votes.csv"))
    assert (from_csv.added, from_csv.updated, from_csv.unchanged) == (2, 1, 6)
    scores = {s.name: s for s in tally.scorecard()}
    assert (scores["Ana Ruiz"].counts.for_, scores["Ben Okafor"].counts.against) == (3, 2)


def test_a_vote_on_an_amended_plank_title_finds_the_plank_in_force(platform_tally: Tally) -> None:
    tally = platform_tally
    amend_rent_control(tally)
    tally.import_officials("name\nAna Ruiz\n")
    report = tally.import_votes(
        "date,matter,official,vote,plank,yes_means\n2027-02-01,Item 9,Ana Ruiz,yes,rent control,for\n"
    )
    assert report.refused == [] and report.added == 1
    (ana,) = tally.scorecard()
    assert [p.plank for p in ana.planks] == ["Rent control for all"]


# --- the CLI ------------------------------------------------------------------------------------------------


@pytest.fixture
def kiosk(platform_tally: Tally, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_imports_and_scorecard(kiosk: Any, tmp_path: Path) -> None:
    code, out, _ = kiosk("officials", "import", str(LEDGER / "officials-messy.csv"))
    assert code == 0 and out.startswith("4 lines imported (4 added, 0 updated, 0 unchanged), 0 refused")
    code, out, _ = kiosk("pledges", "import", str(LEDGER / "pledges-messy.csv"), "--json")
    assert code == 0 and json.loads(out)["added"] == 3
    code, out, _ = kiosk("votes", "import", str(LEDGER / "votes-bad.csv"))
    assert code == 0 and "refused line 2: vote 'maybe'" in out
    code, out, _ = kiosk("votes", "import", "--ocd", str(LEDGER / "ocd"), "--map", str(LEDGER / "ocd-map.csv"))
    assert code == 0 and "7 added" in out and "refused vote_event_rent.json vote 5" in out
    code, out, _ = kiosk("scorecard", "--json")
    officials = json.loads(out)["officials"]
    assert [o["name"] for o in officials] == ["Ana Ruiz", "Ben Okafor", "Carla Díaz", "Dan Moss"]
    assert set(officials[0]) >= {"name", "for", "against", "abstain", "absent", "alignment", "planks", "broken_pledges"}
    code, out, _ = kiosk("scorecard", "--official", "ben okafor")
    assert code == 0 and out.startswith("Ben Okafor (Councilmember, Richmond City Council)  endorsed")
    assert "alignment 0% (0/2, rounded down)" in out and "pledged no: Rent control" in out
    code, _, err = kiosk("scorecard", "--official", "Nobody")
    assert code == 1 and "no official named 'Nobody'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("votes", "import", "--ocd", "DIR"), "with --ocd DIR give --map"),
        (("votes", "import"), "give a votes CSV"),
        (("officials", "import", "missing.csv"), "missing.csv: file not found"),
    ],
)
def test_cli_usage_errors_are_one_line(kiosk: Any, argv: tuple[str, ...], message: str) -> None:
    code, _, err = kiosk(*argv)
    assert code == 1 and message in err and "Traceback" not in err


def test_cli_refuses_a_file_that_is_not_utf8(kiosk: Any, tmp_path: Path) -> None:
    bad = tmp_path / "officials.csv"
    bad.write_bytes(b"name,office\nAna \xff Ruiz,Mayor\n")
    code, _, err = kiosk("officials", "import", str(bad))
    assert code == 1 and "not UTF-8 text" in err


def test_scorecard_csv_cannot_carry_a_formula(kiosk: Any, tmp_path: Path) -> None:
    hostile = tmp_path / "officials.csv"
    hostile.write_text('name,office\n"=HYPERLINK(""http://evil.example"",""x"")",@SUM(A1)\n', encoding="utf-8")
    assert kiosk("officials", "import", str(hostile))[0] == 0
    _code, out, _ = kiosk("scorecard", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["name"].startswith("'=HYPERLINK") and rows[0]["office"] == "'@SUM(A1)"
