"""Roster import: the messy example file, re-imports that update in place, and households."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
from sqlalchemy import select

import kiosk.results
import kiosk.roster
import kiosk.tally
import kiosk.tokens
from kiosk.errors import InvalidInput
from kiosk.roster import parse_roster
from kiosk.schema import members
from kiosk.tally import Tally

TALLY_MODULES = [
    importlib.import_module(f"kiosk.tally.{info.name}") for info in pkgutil.iter_modules(kiosk.tally.__path__)
]


@pytest.mark.parametrize(
    "module", [kiosk.roster, kiosk.results, kiosk.tokens, kiosk.tally, *TALLY_MODULES], ids=lambda m: m.__name__
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.failed == 0


def all_members(tally: Tally) -> list[dict[str, object]]:
    with tally.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(members).order_by(members.c.id))]


def test_messy_roster_imports_every_good_row(tally: Tally, roster_csv: str) -> None:
    report = tally.import_roster(roster_csv)
    assert report.added == 28
    assert report.refused == ["line 23: phone '510-555-01XX' is not a phone number", "line 26: no name"]
    people = {m["name"]: m for m in all_members(tally)}
    # Names kept exactly, phones in E.164, status trimmed and case-folded, emails lower-cased.
    assert people["Ana Ramírez"]["phone"] == "+15105550101"
    assert people["Patrick O'Brien"]["phone"] == "+15105550105"
    assert people["Nguyễn Thị Lan"]["phone"] == "+15105550104"
    assert people["Grace Tupou"]["phone"] == "+15105550109"
    assert people["Keisha Washington"]["status"] == "member"  # "member " with a trailing space
    assert people["Robert Chen"]["status"] == "member"  # "MEMBER"
    assert people["Marcus Bell"]["email"] == "mbell@example.org"
    assert people["Dmitri Volkov"]["phone"] is None  # no phone is fine
    assert people["Samuel Okafor"]["status"] == "guest" and people["Samuel Okafor"]["joined"] is None
    assert people["Olga Petrova"]["status"] == "pending"
    assert "Liam Murphy" not in people


def test_household_phone_is_two_people(tally: Tally, roster_csv: str) -> None:
    tally.import_roster(roster_csv)
    sharing = [m["name"] for m in all_members(tally) if m["phone"] == "+15105550103"]
    assert sorted(sharing) == ["José Hernández", "Rosa Delgado"]


def test_reimport_updates_in_place_and_never_deletes(tally: Tally, roster_csv: str) -> None:
    tally.import_roster(roster_csv)
    before = {m["name"]: m["id"] for m in all_members(tally)}
    lines = roster_csv.splitlines()
    # Ana lapses, Marcus changes phone, Li Wei leaves the file, a new member joins.
    changed = [
        line.replace("ana.ramirez@example.org,member", "ana.ramirez@example.org,lapsed").replace(
            "510-555-0102,MBELL", "510-555-0199,MBELL"
        )
        for line in lines
        if not line.startswith("Li Wei,")
    ]
    changed.append("Nadia Haddad,510-555-0150,nadia@example.org,member,2026-01-01")
    report = tally.import_roster("\n".join(changed) + "\n")
    after = {m["name"]: m for m in all_members(tally)}
    assert report.added == 1 and report.updated == 2
    assert any("1 people on the roster were not in this file; nobody was removed" in n for n in report.notes)
    assert after["Ana Ramírez"]["id"] == before["Ana Ramírez"] and after["Ana Ramírez"]["status"] == "lapsed"
    assert after["Marcus Bell"]["id"] == before["Marcus Bell"] and after["Marcus Bell"]["phone"] == "+15105550199"
    assert "Li Wei" in after  # not deleted
    assert len(after) == len(before) + 1


def test_reimporting_the_same_file_changes_nothing(tally: Tally, roster_csv: str) -> None:
    tally.import_roster(roster_csv)
    report = tally.import_roster(roster_csv)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 28)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("phone,email\n5105550101,a@b.org\n", "no 'name' column"),
    ],
)
def test_unusable_files_are_refused_whole(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_roster(text, "US")


def test_row_level_problems_are_reported_with_line_numbers() -> None:
    text = (
        "Name , Phone,EMAIL,Status,Joined\n"
        "Ann Lee,510-555-0130,ann@x.org,member,2020-01-01\n"
        "Bo Diaz,555,bo@x.org,member,2020-01-01\n"
        "Cy Young,510-555-0131,cy@x.org,boss,2020-01-01\n"
        "Di Park,510-555-0132,not-an-email,member,2020-01-01\n"
        "Ed Wu,510-555-0133,ed@x.org,member,last tuesday\n"
        "Fay Ng,510-555-0134,fay@x.org,member,3/4/2021\n"
        "\n"
        "Gil\x1b[31m Red,510-555-0135,gil@x.org,member,\n"
    )
    parsed = parse_roster(text, "US")
    assert [r.name for r in parsed.rows] == ["Ann Lee", "Fay Ng"]
    assert [(r.line, r.reason.split()[0]) for r in parsed.refused] == [
        (3, "phone"),
        (4, "status"),
        (5, "email"),
        (6, "joined"),
        (9, "the"),
    ]
    assert parsed.rows[1].joined is not None and parsed.rows[1].joined.isoformat() == "2021-03-04"


def test_roster_without_status_column_imports_members() -> None:
    parsed = parse_roster("name,phone\nAna,510 555 0101\n", "US")
    assert parsed.rows[0].status == "member"
    assert parsed.notes == ["no status column: everyone is imported as a member"]


def test_other_region_numbers() -> None:
    parsed = parse_roster("name,phone\nLupe,55 1234 5678\nKai,+44 20 7946 0958\n", "MX")
    assert [r.phone for r in parsed.rows] == ["+525512345678", "+442079460958"]
