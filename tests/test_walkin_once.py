"""Issue 12, item 3: "I am joining today" is one person, one ballot.

The attack: at a meeting where guests may vote, the same name and phone signed in as a joining walk-in three
times got three ballot tokens (three ballots). Now a walk-in who matches someone already signed in at this
meeting (the same phone, or the same name when no phone is given; names compared as the roster compares them,
ignoring case, accents and spacing) is "already signed in", exactly like a member: 3 tokens became 1. A roster
re-import then merges the pending walk-in row into the member's roster entry and says so in its report.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from kiosk.schema import ballot_tokens, members, signins
from kiosk.tally import MeetingState, Tally


@pytest.fixture
def guests_vote(tally: Tally) -> str:
    tally.import_roster("name,phone,email,status,joined\nPriya Jones,(510) 555-0101,,member,2015-01-01\n")
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", guests_may_vote=True)
    tally.import_planks("GA12", "title,text,threshold\nParks,More parks,majority\n")
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return "GA12"


def live_tokens(tally: Tally) -> int:
    with tally.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(ballot_tokens.c.state != "void")).scalar_one())


def test_three_joining_walkins_through_the_kiosk_get_one_token(app: Flask, tally: Tally, guests_vote: str) -> None:
    tokens = []
    for _ in range(3):
        client = app.test_client()  # a fresh screen session each time, as after the kiosk resets
        page = client.post(
            "/kiosk/walkin", data={"name": "Sam Lee", "phone": "415 555 0198", "joining": "1"}, follow_redirects=True
        ).get_data(as_text=True)
        tokens += re.findall(r'id="receipt-token">([A-Z0-9-]+)<', page)
    assert len(tokens) == 1  # before the fix: 3
    assert live_tokens(tally) == 1
    with tally.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(signins)).scalar_one() == 1
        assert conn.execute(select(func.count()).where(members.c.status == "pending")).scalar_one() == 1


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (("Sam Lee", "415 555 0198"), ("sam lee", "+1 (415) 555-0198")),  # case, phone formatting
        (("José Núñez", "4155550198"), ("JOSE  NUNEZ", "415.555.0198")),  # accents, spacing
        (("Sam Lee", "4155550198"), ("Samuel Lee", "(415) 555-0198")),  # same phone, another name
        (("Sam Lee", None), ("  SAM   LÉE ", None)),  # no phone: the name decides
    ],
)
@pytest.mark.parametrize("joining", [True, False])
def test_walkin_variants_are_already_signed_in(
    tally: Tally, guests_vote: str, first: tuple[str, str | None], again: tuple[str, str | None], joining: bool
) -> None:
    one = tally.sign_in_guest(guests_vote, first[0], first[1], joining=joining)
    two = tally.sign_in_guest(guests_vote, again[0], again[1], joining=joining)
    assert one.token is not None and not one.already
    assert two.already and two.token is None and two.id == one.id and two.token_state == "issued"
    assert live_tokens(tally) == 1


def test_a_walkin_matching_a_signed_in_member_is_that_member(tally: Tally, guests_vote: str) -> None:
    member = tally.find_people(guests_vote, "Priya")[0]
    assert member.member_id is not None
    signin = tally.sign_in_member(guests_vote, member.member_id)
    walkin = tally.sign_in_guest(guests_vote, "Priya Jones", "510-555-0101", joining=True)
    assert walkin.already and walkin.id == signin.id and walkin.token is None
    by_name = tally.sign_in_guest(guests_vote, "priya jones", None, joining=True)
    assert by_name.already and by_name.id == signin.id
    assert live_tokens(tally) == 1


def test_joining_first_then_finding_oneself_on_the_roster_is_one_person(tally: Tally, guests_vote: str) -> None:
    walkin = tally.sign_in_guest(guests_vote, "Priya Jones", "5105550101", joining=True)
    member = next(p for p in tally.find_people(guests_vote, "Priya") if p.kind == "member")
    assert member.member_id is not None
    again = tally.sign_in_member(guests_vote, member.member_id)
    assert again.already and again.id == walkin.id and again.token is None
    assert live_tokens(tally) == 1


def test_a_household_walkin_is_still_a_person_of_their_own(tally: Tally, guests_vote: str) -> None:
    """The same phone and another name, the other way round: a member's partner who joined at the door."""
    partner = tally.sign_in_guest(guests_vote, "Ravi Jones", "5105550101", joining=True)
    member = next(p for p in tally.find_people(guests_vote, "Priya") if p.kind == "member")
    assert member.member_id is not None
    own = tally.sign_in_member(guests_vote, member.member_id)
    assert not own.already and own.token is not None and own.id != partner.id


def test_roster_reimport_merges_the_walkin_into_the_member(tally: Tally, guests_vote: str) -> None:
    # Priya did not look herself up: she joined at the door (a pending row beside her roster entry) and voted.
    walkin = tally.sign_in_guest(guests_vote, "Priya Jones", "510 555 0101", joining=True)
    assert walkin.token is not None
    report = tally.import_roster("name,phone,email,status,joined\nPriya Jones,510-555-0101,,member,2015-01-01\n")
    with tally.engine.connect() as conn:
        rows = conn.execute(select(members).where(members.c.search_name == "priya jones")).all()
        moved = conn.execute(select(signins)).all()
    assert [r.status for r in rows] == ["member"]  # before the fix: two rows, and a re-import made both members
    assert report.merged == 1 and report.as_dict()["merged"] == 1
    assert any("merged" in note for note in report.notes) and "1 walk-ins merged" in report.summary()
    assert [(s.member_id, s.person_key) for s in moved] == [(rows[0].id, f"m:{rows[0].id}")]
    # Signed in now under her roster entry: finding herself says "already signed in", no second token.
    again = tally.sign_in_member(guests_vote, rows[0].id)
    assert again.already and again.token is None
    assert live_tokens(tally) == 1


def test_reimport_reports_a_person_signed_in_twice_before_the_fix(tally: Tally, guests_vote: str) -> None:
    """Sign-ins made before this rule (member and walk-in, one person, one meeting) cannot be undone: said."""
    member = next(p for p in tally.find_people(guests_vote, "Priya") if p.kind == "member")
    assert member.member_id is not None
    tally.sign_in_member(guests_vote, member.member_id)
    with tally.engine.begin() as conn:  # the state an older version left: a second, pending row signed in too
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        pending = conn.execute(
            members.insert().values(
                name="Priya Jones",
                search_name="priya jones",
                phone="+15105550101",
                status="pending",
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        meeting_id = conn.execute(select(signins.c.meeting_id)).scalar_one()
        conn.execute(
            signins.insert().values(
                meeting_id=meeting_id,
                person_key=f"m:{pending}",
                member_id=pending,
                name="Priya Jones",
                phone="+15105550101",
                kind="pending",
                eligible=True,
                station="kiosk-1",
                signed_in_at=now,
            )
        )
    report = tally.import_roster("name,phone,email,status,joined\nPriya Jones,510-555-0101,,member,2015-01-01\n")
    assert report.merged == 1
    assert any("signed in twice at GA12" in note for note in report.notes)
    with tally.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members)).scalar_one() == 1
        assert {s.member_id for s in conn.execute(select(signins)).all()} == {member.member_id}


@pytest.mark.parametrize("joining", [True, False])
def test_a_200_character_name_that_folds_longer_fits(tally: Tally, guests_vote: str, joining: bool) -> None:
    # Found by the long run: a 200-character walk-in name folded to 201 characters ("ß" folds to "ss") and
    # overflowed members.search_name on PostgreSQL (StringDataRightTruncation). The search name is cut to fit.
    name = "Walk" + "a" * 195 + "ß"
    assert len(name) == 200
    signin = tally.sign_in_guest(guests_vote, name, None, joining=joining)
    assert signin.eligible and not signin.already
    again = tally.sign_in_guest(guests_vote, name.replace("Walk", "WALK"), None, joining=joining)
    assert again.already and again.id == signin.id
    tally.import_roster(f"name,phone,status\n{'ß' * 200},,member\n")
    with tally.engine.connect() as conn:
        longest = conn.execute(select(func.max(func.length(members.c.search_name)))).scalar_one()
    assert longest == 200
    assert tally.find_people(guests_vote, "ssss")[0].display_name == "ß" * 200
