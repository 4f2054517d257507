"""Reading the ledger's files (issue 17): officials, pledges, recorded votes and Open Civic Data VoteEvents, as
organizers really save them (BOM, CRLF, semicolons, header case, spaces, blank lines) and as an attacker would
(NUL, control characters, huge cells, invalid UTF-8, JSON that is not a VoteEvent). Pure: no database."""

from __future__ import annotations

import doctest
import json
from datetime import date
from pathlib import Path

import pytest

import kiosk.ledger.files
import kiosk.ledger.model
import kiosk.ledger.ocd
import kiosk.ledger.scorecard
import kiosk.ledger.table
from kiosk.errors import InvalidInput
from kiosk.ledger.files import parse_officials, parse_pledges, parse_votes
from kiosk.ledger.model import PledgeAnswer, VoteCast, YesMeans
from kiosk.ledger.ocd import parse_vote_events, read_directory

FIXTURES = Path(__file__).parent / "fixtures" / "ledger"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "module", [kiosk.ledger.files, kiosk.ledger.model, kiosk.ledger.ocd, kiosk.ledger.scorecard, kiosk.ledger.table]
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def test_messy_officials_file_is_read() -> None:
    rows, refused, notes = parse_officials(fixture("officials-messy.csv"))
    assert refused == [] and notes == []
    assert [(r.line, r.name, r.endorsed, r.endorsed_by) for r in rows] == [
        (2, "Ana Ruiz", True, None),
        (4, "Ben Okafor", True, "GA12"),
        (5, "Carla Díaz", False, None),
        (6, "Dan Moss", False, None),
    ]
    assert rows[0].term_start == date(2025, 1, 1) and rows[1].term_start == date(2025, 1, 1)
    assert rows[1].term_end is None


def test_bad_official_lines_are_refused_with_their_numbers() -> None:
    rows, refused, _ = parse_officials(fixture("officials-bad.csv"))
    assert [r.name for r in rows] == ["Hal Ito", "Ivy Chen"]  # NOPE99 is a meeting code: the tally checks it
    assert [str(r) for r in refused] == [
        "line 2: no name",
        "line 3: term_start '2025-13-01' is not a date (use YYYY-MM-DD)",
        "line 4: term_end is before term_start",
        "line 5: endorsed 'perhaps!' is not yes, no or a meeting code",
    ]


def test_semicolon_pledges_with_bad_values() -> None:
    rows, refused, _ = parse_pledges(fixture("pledges-messy.csv"))
    assert [(r.line, r.official, r.plank, r.pledge) for r in rows][:2] == [
        (3, "Ana Ruiz", "rent CONTROL", PledgeAnswer.YES),
        (4, "Ben Okafor", "Rent control", PledgeAnswer.NO),
    ]
    assert [str(r) for r in refused] == ["line 8: pledge 'maybe' is not one of yes, no"]


def test_votes_file_and_its_bad_lines() -> None:
    rows, refused, _ = parse_votes(fixture("votes.csv"))
    assert len(rows) == 9 and refused == []
    assert rows[0].vote is VoteCast.YES and rows[4].yes_means is YesMeans.AGAINST
    rows, refused, _ = parse_votes(fixture("votes-bad.csv"))
    assert [str(r) for r in refused] == [
        "line 2: vote 'maybe' is not one of yes, no, abstain, absent",
        "line 3: yes_means 'sideways' is not one of for, against",
        "line 4: no date",
        "line 5: no matter",
    ]
    # unknown officials and planks are for the tally to refuse (it knows who and what exists)
    assert [r.line for r in rows] == [6, 7, 8]


def test_a_repeated_vote_replaces_the_earlier_line_with_a_note() -> None:
    text = (
        "date,matter,official,vote,plank,yes_means\n2026-01-05,Item 1,Ana,yes,P,for\n2026-01-05,ITEM  1,ana,no,p,for\n"
    )
    rows, _refused, notes = parse_votes(text)
    assert [(r.line, r.vote) for r in rows] == [(3, VoteCast.NO)]
    assert notes == ["line 3: repeats line 2; the later line was used"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the votes file is empty"),
        ("date,official\n2026-01-01,Ana\n", "has no 'matter', 'vote', 'plank', 'yes_means' column"),
    ],
)
def test_unusable_files_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_votes(text)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("Ana\x00Ruiz", "name has control characters"),
        ("Ana\u202eRuiz", "name has control characters"),
        ("A" * 201, "name is longer than 200 characters"),
    ],
)
def test_hostile_cells_are_refused(cell: str, reason: str) -> None:
    rows, refused, _ = parse_officials(f"name,office\n{cell},Mayor\nIvy Chen,Mayor\n")
    assert [r.name for r in rows] == ["Ivy Chen"]
    assert [str(r) for r in refused] in ([f"line 2: {reason}"], [])  # csv may refuse a NUL line itself
    assert len(refused) == 1


def test_a_cell_over_the_csv_limit_loses_only_its_line() -> None:
    huge = "x" * 200_000
    rows, refused, _ = parse_officials(f'name,office\n"{huge}",Mayor\nIvy Chen,Mayor\n')
    assert [r.name for r in rows] == ["Ivy Chen"]
    assert len(refused) == 1 and refused[0].line == 2


def test_formula_looking_names_are_kept_as_text() -> None:
    rows, refused, _ = parse_officials('name,office\n"=HYPERLINK(""http://x"",""y"")",Mayor\n')
    assert refused == [] and rows[0].name.startswith("=HYPERLINK")  # neutralized on export (see test_ledger)


# --- Open Civic Data VoteEvents -----------------------------------------------------------------------------


def test_vote_events_through_the_map() -> None:
    files = read_directory(FIXTURES / "ocd")
    rows, refused, notes = parse_vote_events(files, fixture("ocd-map.csv"))
    got = sorted((r.source, r.official, r.vote.value, r.matter, r.plank, r.yes_means.value) for r in rows)
    assert got == [
        ("openstates_export.json", "Ana Ruiz", "no", "Ord. 3-26", "Rent control", "against"),
        ("openstates_export.json", "Ben Okafor", "yes", "Ord. 3-26", "Rent control", "against"),
        ("openstates_export.json", "Carla Díaz", "absent", "Ord. 3-26", "Rent control", "against"),
        ("vote_event_rent.json", "Ana Ruiz", "yes", "Res. 14-26", "Rent control", "for"),
        ("vote_event_rent.json", "Ben Okafor", "no", "Res. 14-26", "Rent control", "for"),
        ("vote_event_rent.json", "Carla Díaz", "abstain", "Res. 14-26", "Rent control", "for"),
        ("vote_event_rent.json", "Dan Moss", "absent", "Res. 14-26", "Rent control", "for"),
        ("vote_event_rent.json", "Unknown Person", "yes", "Res. 14-26", "Rent control", "for"),
    ]
    assert {r.voted_on for r in rows} == {date(2026, 3, 4), date(2026, 4, 1)}
    assert {r.body for r in rows} == {"Richmond City Council"}
    assert [str(r) for r in refused] == [
        "vote_event_rent.json vote 5: vote 'paired' is not one of yes, no, abstain, absent"
    ]
    assert notes == ["1 VoteEvents are on matters not in the map and were skipped"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"motion_text": "broken', "not JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"motion_text": "x"}', "not a VoteEvent"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b"", "empty, or larger than 20 MB"),
    ],
)
def test_hostile_vote_event_files_are_refused_whole(data: bytes, reason: str) -> None:
    good = (FIXTURES / "ocd" / "vote_event_rent.json").read_bytes()
    rows, refused, _ = parse_vote_events([("bad.json", data), ("good.json", good)], fixture("ocd-map.csv"))
    assert len(rows) == 5
    assert next(str(r).split(" (")[0] for r in refused) == f"bad.json: {reason}"


def test_vote_event_fields_of_the_wrong_type_refuse_only_that_vote() -> None:
    event = {
        "motion_text": "x",
        "bill_identifier": "Res. 14-26",
        "start_date": "2026-03-04",
        "votes": [{"option": ["yes"], "voter_name": "Ana"}, {"option": "yes", "voter_name": 7}, "nonsense"],
    }
    rows, refused, _ = parse_vote_events([("e.json", json.dumps(event).encode())], fixture("ocd-map.csv"))
    assert rows == [] and len(refused) == 3


def test_an_empty_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"no \.json files"):
        read_directory(tmp_path)
    with pytest.raises(InvalidInput, match="not a directory"):
        read_directory(tmp_path / "missing")
