"""The attendance rule ("members must have attended at least N of the last M closed meetings"): the rule at its
boundary, what counts as an attendance, the window fixed when sign-in opens, the CLI, the set-up form and the
attendance export. Every test runs on SQLite and PostgreSQL; dates are relative to the FakeClock."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk import accounts, export, i18n
from kiosk.errors import InvalidInput, StateError
from kiosk.schema import members
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import FakeClock
from tests.test_organizer import PASSWORD, logged_in, organizer_settings, post

ROSTER = (
    "name,phone,email,status,joined\n"
    "Ana Ruiz,510-555-0201,ana@example.org,member,2015-01-01\n"
    "Ben Ortiz,510-555-0202,ben@example.org,member,2015-01-01\n"
    "Cy Park,510-555-0203,cy@example.org,member,2015-01-01\n"
    "Dee Lopez,510-555-0204,dee@example.org,guest,\n"
    "Flo Kim,510-555-0205,flo@example.org,lapsed,2015-01-01\n"
)


def ids(tally: Tally) -> dict[str, int]:
    """Roster member ids by first name."""
    with tally.engine.connect() as conn:
        return {r.name.split()[0]: r.id for r in conn.execute(select(members.c.id, members.c.name))}


def held(
    tally: Tally, code: str, starts: Any, attendees: Iterable[int] = (), *, state: MeetingState = MeetingState.CLOSED
) -> None:
    """A meeting that happened at ``starts`` with ``attendees`` (member ids) signed in, left in ``state``."""
    tally.create_meeting(code=code, title=f"Meeting {code}", starts=starts)
    tally.set_state(code, MeetingState.SIGNIN_OPEN)
    for member in attendees:
        tally.sign_in_member(code, member)
    if state is not MeetingState.SIGNIN_OPEN:
        tally.set_state(code, state)


def months_ago(clock: FakeClock, n: int) -> Any:
    return clock.now - timedelta(days=30 * n)


@pytest.fixture
def history(tally: Tally, clock: FakeClock) -> dict[str, int]:
    """Four closed meetings before today (P4 oldest ... P1 newest): Ana attended P1 and P2, Ben only P2, Cy only
    P4 (the fourth meeting back, outside a window of 3); nobody signed in at P3, which still counts as held."""
    tally.import_roster(ROSTER)
    who = ids(tally)
    held(tally, "P4", months_ago(clock, 4), [who["Cy"], who["Ana"]])
    held(tally, "P3", months_ago(clock, 3), [])
    held(tally, "P2", months_ago(clock, 2), [who["Ana"], who["Ben"]])
    held(tally, "P1", months_ago(clock, 1), [who["Ana"]])
    return who


def rule_meeting(tally: Tally, clock: FakeClock, n: int, m: int, *, code: str = "GA12") -> str:
    tally.create_meeting(
        code=code, title="General Assembly", starts=clock.now + timedelta(days=2), min_attended=n, of_last=m
    )
    tally.set_state(code, MeetingState.SIGNIN_OPEN)
    return code


def test_the_rule_at_its_boundary(tally: Tally, clock: FakeClock, history: dict[str, int]) -> None:
    code = rule_meeting(tally, clock, 2, 3)
    window = tally.attendance_window(code)
    assert window is not None and window.counted == ("P1", "P2", "P3") and window.fixed and window.needed == 2
    opened = tally.audit_entries(code)[-1]  # the log says which meetings were counted
    assert opened.action == "state_changed" and json.loads(opened.detail)["attendance_counted"] == ["P1", "P2", "P3"]
    ana = tally.sign_in_member(code, history["Ana"])  # 2 of 3: exactly N
    assert ana.eligible and ana.token
    ben = tally.sign_in_member(code, history["Ben"])  # 1 of 3: N - 1
    assert not ben.eligible and ben.token is None
    assert ben.ineligible_reason == "attended 1 of the last 3 closed meetings; at least 2 needed"
    assert i18n.ineligible_reason(ben.ineligible_reason, "en") == (
        "you have attended 1 of the last 3 meetings; 2 are needed to vote"
    )
    assert i18n.ineligible_reason(ben.ineligible_reason, "es") == (
        "ha asistido a 1 de las últimas 3 reuniones; se necesitan 2 para votar"
    )
    # Cy attended only the fourth meeting back (M + 1): it is outside the window.
    cy = tally.sign_in_member(code, history["Cy"])
    assert not cy.eligible and cy.ineligible_reason and cy.ineligible_reason.startswith("attended 0 of the last 3")
    # Signed in again: the same answer and the same reason, from what was decided at the door.
    again = tally.sign_in_member(code, history["Ben"])
    assert again.already and not again.eligible and again.ineligible_reason == ben.ineligible_reason
    # Not eligible by the rule: not counted present for the quorum, as with the other rules.
    assert tally.results(code).quorum.present == 1


def test_a_window_of_four_reaches_back_to_the_fourth_meeting(
    tally: Tally, clock: FakeClock, history: dict[str, int]
) -> None:
    code = rule_meeting(tally, clock, 1, 4)
    assert tally.sign_in_member(code, history["Cy"]).eligible  # P4 is now inside
    assert tally.attendance_window(code).counted == ("P1", "P2", "P3", "P4")  # type: ignore[union-attr]


def test_a_meeting_not_closed_does_not_count(tally: Tally, clock: FakeClock) -> None:
    tally.import_roster(ROSTER)
    who = ids(tally)
    held(tally, "P3", months_ago(clock, 3), [who["Ana"]])
    held(tally, "P2", months_ago(clock, 2), [who["Ana"], who["Ben"]])
    # Left open by mistake (never closed): neither its sign-ins nor the meeting itself count.
    held(tally, "P1", months_ago(clock, 1), [who["Ben"]], state=MeetingState.SIGNIN_OPEN)
    code = rule_meeting(tally, clock, 2, 2)
    assert tally.attendance_window(code).counted == ("P2", "P3")  # type: ignore[union-attr]
    assert tally.sign_in_member(code, who["Ana"]).eligible
    assert not tally.sign_in_member(code, who["Ben"]).eligible
    # A closed meeting that starts after this one is not "before" it either.
    held(tally, "LATER", clock.now + timedelta(days=30), [who["Cy"]])
    assert tally.attendance_window(code).counted == ("P2", "P3")  # type: ignore[union-attr]


def test_guests_do_not_count_and_a_merged_walkin_does(tally: Tally, clock: FakeClock) -> None:
    eve_lapsed = "Eve Stone,510-555-0206,eve@example.org,lapsed,2015-01-01\n"
    tally.import_roster(ROSTER + eve_lapsed)
    who = ids(tally)
    tally.create_meeting(code="P1", title="Last month", starts=months_ago(clock, 1))
    tally.set_state("P1", MeetingState.SIGNIN_OPEN)
    tally.sign_in_member("P1", who["Dee"])  # on the roster as a guest: a guest's sign-in
    tally.sign_in_guest("P1", "Ben Ortiz")  # a walk-in guest by Ben's name, no phone: not linked to Ben
    # Eve did not look herself up: she joined (again) at the door, a pending row beside her roster entry.
    tally.sign_in_guest("P1", "Eve Stone", "510-555-0206", joining=True)
    tally.set_state("P1", MeetingState.CLOSED)
    # Dee becomes a member; the re-import merges Eve's walk-in row, and its sign-in, into her roster entry.
    dee_member = "Dee Lopez,510-555-0204,dee@example.org,member,2015-01-01"
    report = tally.import_roster(
        ROSTER.replace("Dee Lopez,510-555-0204,dee@example.org,guest,", dee_member)
        + eve_lapsed.replace("lapsed", "member")
    )
    assert report.merged == 1
    who = ids(tally)
    code = rule_meeting(tally, clock, 1, 1)
    eve = tally.sign_in_member(code, who["Eve"])
    assert eve.eligible
    dee = tally.sign_in_member(code, who["Dee"])
    assert not dee.eligible and dee.ineligible_reason == "attended 0 of the last 1 closed meetings; at least 1 needed"
    assert i18n.ineligible_reason(dee.ineligible_reason, "en") == (
        "you did not attend the last meeting, and that is needed to vote"
    )
    assert not tally.sign_in_member(code, who["Ben"]).eligible
    # Guests and people joining today are not held to the rule (the guest rule decides for them).
    assert tally.sign_in_guest(code, "Gus Visitor").ineligible_reason == "guests may not vote at this meeting"


def test_fewer_closed_meetings_than_the_window(tally: Tally, clock: FakeClock) -> None:
    tally.import_roster(ROSTER)
    who = ids(tally)
    held(tally, "P1", months_ago(clock, 1), [who["Ana"]])
    code = rule_meeting(tally, clock, 2, 3)  # 2 of the last 3, but only one meeting ever closed: 1 of 1
    window = tally.attendance_window(code)
    assert window is not None and window.counted == ("P1",) and window.needed == 1
    assert tally.sign_in_member(code, who["Ana"]).eligible
    ben = tally.sign_in_member(code, who["Ben"])
    assert not ben.eligible and "0 of the last 1 closed meetings; at least 1 needed" in (ben.ineligible_reason or "")


def test_no_closed_meeting_at_all_holds_nobody_back(tally: Tally, clock: FakeClock) -> None:
    tally.import_roster(ROSTER)
    who = ids(tally)
    code = rule_meeting(tally, clock, 2, 3)
    assert tally.attendance_window(code).counted == ()  # type: ignore[union-attr]
    assert tally.sign_in_member(code, who["Ben"]).eligible
    # The other rules still apply first: a lapsed member is told about their membership, not attendance.
    flo = tally.sign_in_member(code, who["Flo"])
    assert not flo.eligible and flo.ineligible_reason == "membership status is lapsed"


def test_the_window_is_fixed_when_sign_in_opens(tally: Tally, clock: FakeClock) -> None:
    tally.import_roster(ROSTER)
    who = ids(tally)
    held(tally, "P2", months_ago(clock, 2), [who["Ana"]])
    held(tally, "P1", months_ago(clock, 1), [who["Ben"]], state=MeetingState.SIGNIN_OPEN)
    tally.create_meeting(code="GA12", title="GA", starts=clock.now + timedelta(days=2), min_attended=1, of_last=1)
    draft = tally.attendance_window("GA12")
    assert draft is not None and draft.counted == ("P2",) and not draft.fixed
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    assert tally.sign_in_member("GA12", who["Ana"]).eligible
    tally.set_state("P1", MeetingState.CLOSED)  # closed late, while GA12 signs people in
    window = tally.attendance_window("GA12")
    assert window is not None and window.counted == ("P2",) and window.fixed
    assert not tally.sign_in_member("GA12", who["Ben"]).eligible  # counted over the same window as Ana


def test_the_rule_is_checked_and_fixed_once_sign_in_opens(tally: Tally, clock: FakeClock) -> None:
    starts = clock.now + timedelta(days=2)
    for n, m in [(3, 2), (0, 2), (2, None), (None, 3), (1, 101), ("two", 3)]:
        with pytest.raises(InvalidInput):
            tally.create_meeting(code="GA12", title="GA", starts=starts, min_attended=n, of_last=m)  # type: ignore[arg-type]
    tally.create_meeting(code="GA12", title="GA", starts=starts)
    assert tally.update_meeting("GA12", min_attended="2", of_last="3").of_last == 3
    assert tally.audit_entries("GA12")[-1].action == "meeting_updated"
    with pytest.raises(InvalidInput):
        tally.update_meeting("GA12", min_attended=4)
    assert tally.update_meeting("GA12", min_attended=None, of_last=None).min_attended is None
    tally.update_meeting("GA12", min_attended=1, of_last=2)
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    assert tally.update_meeting("GA12", min_attended=1, of_last=2, title="Same rule").title == "Same rule"
    with pytest.raises(StateError, match="fixed once sign-in has opened"):
        tally.update_meeting("GA12", min_attended=2)
    with pytest.raises(StateError):
        tally.update_meeting("GA12", min_attended=None, of_last=None)


def test_the_attendance_export(tally: Tally, clock: FakeClock, history: dict[str, int]) -> None:
    code = rule_meeting(tally, clock, 2, 3)
    for name in ("Ana", "Ben", "Flo"):
        tally.sign_in_member(code, history[name])
    tally.sign_in_guest(code, "Gus Visitor")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(export.attendance_csv(tally, code)))}
    assert {k: rows["Ana Ruiz"][k] for k in ("eligible", "attended", "of_meetings", "attendance_rule")} == {
        "eligible": "yes",
        "attended": "2",
        "of_meetings": "3",
        "attendance_rule": "met",
    }
    assert (rows["Ben Ortiz"]["eligible"], rows["Ben Ortiz"]["attended"], rows["Ben Ortiz"]["attendance_rule"]) == (
        "no",
        "1",
        "not met",
    )
    # Flo is lapsed (not eligible for that), and attended 0 of 3: the row says both.
    assert (rows["Flo Kim"]["eligible"], rows["Flo Kim"]["attendance_rule"]) == ("no", "not met")
    assert rows["Gus Visitor"]["attendance_rule"] == rows["Gus Visitor"]["attended"] == ""
    # A meeting without a rule: the columns are there, and empty.
    plain = list(csv.DictReader(io.StringIO(export.attendance_csv(tally, "P1"))))
    assert plain and all(r["attended"] == r["attendance_rule"] == "" for r in plain)


# --- the command line -----------------------------------------------------------------------------------------


def test_cli_meeting_create_with_the_rule(
    tally: Tally, clock: FakeClock, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    tally.import_roster(ROSTER)
    held(tally, "P1", months_ago(clock, 1), [ids(tally)["Ana"]])
    starts = f"{clock.now + timedelta(days=2):%Y-%m-%dT19:00}"
    argv = ["meeting", "create", "--code", "GA12", "--title", "GA", "--starts", starts]
    assert main([*argv, "--min-attended", "2", "--of-last", "3"]) == 0
    out = capsys.readouterr().out
    assert "at least 2 of the last 3 closed meetings" in out
    assert main(["meeting", "show", "GA12", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["min_attended"], shown["of_last"]) == (2, 3)
    assert shown["attendance_window"] == {
        "min_attended": 2,
        "of_last": 3,
        "counted": ["P1"],
        "needed": 1,
        "fixed": False,
    }
    assert main(["meeting", "show", "GA12"]) == 0
    assert "attendance rule: 1 needed of P1 (as of now; fixed when sign-in opens)" in capsys.readouterr().out
    # Bad input: one clear line, and nothing created.
    assert main([*argv[:3], "GA13", *argv[4:], "--min-attended", "4", "--of-last", "3"]) == 1
    assert capsys.readouterr().err.strip() == (
        "kiosk: error: the attendance rule needs at least 1 and at most 3 meetings attended (of the last 3)"
    )
    assert main([*argv[:3], "GA13", *argv[4:], "--min-attended", "2"]) == 1
    assert "needs both numbers" in capsys.readouterr().err
    assert [m.code for m in tally.meetings()] == ["P1", "GA12"]


# --- the organizer's set-up form ------------------------------------------------------------------------------


@pytest.fixture
def organizer(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    return create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})


def test_the_set_up_form(organizer: Flask, tally: Tally, clock: FakeClock, history: dict[str, int]) -> None:
    client = logged_in(organizer)
    form = {
        "code": "GA12",
        "title": "General Assembly",
        "starts": f"{clock.now + timedelta(days=2):%Y-%m-%dT19:00}",
        "quorum": "0",
        "min_attended": "2",
        "of_last": "3",
    }
    assert post(client, "/organizer/meetings", {**form, "code": "GA13", "of_last": ""}).status_code == 302
    assert "GA13" not in [m.code for m in tally.meetings()]  # refused: both numbers or neither
    assert post(client, "/organizer/meetings", form).status_code == 302
    meeting = tally.meeting("GA12")
    assert (meeting.min_attended, meeting.of_last) == (2, 3)
    page = client.get("/organizer/m/GA12").get_data(as_text=True)
    assert 'name="min_attended" type="number" min="1" max="100" value="2" >' in page
    assert "Counted: P1, P2, P3" in page and "as of now: fixed when sign-in opens" in page
    edit = {k: form[k] for k in ("title", "starts", "quorum")}
    # In draft the rule may change, or go.
    post(client, "/organizer/m/GA12/edit", {**edit, "min_attended": "1", "of_last": "4"})
    assert (tally.meeting("GA12").min_attended, tally.meeting("GA12").of_last) == (1, 4)
    post(client, "/organizer/m/GA12/edit", {**edit, "min_attended": "", "of_last": ""})
    assert tally.meeting("GA12").min_attended is None
    post(client, "/organizer/m/GA12/edit", {**edit, "min_attended": "2", "of_last": "3"})
    tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
    page = client.get("/organizer/m/GA12").get_data(as_text=True)
    assert 'value="2" disabled aria-describedby="attendance-rule"' in page
    assert "fixed when the meeting left draft" in page
    # Once sign-in is open the form leaves the rule out (disabled): other details still save.
    post(client, "/organizer/m/GA12/edit", {**edit, "title": "GA (renamed)"})
    meeting = tally.meeting("GA12")
    assert (meeting.title, meeting.min_attended, meeting.of_last) == ("GA (renamed)", 2, 3)
    # A forged form that changes it is refused with the reason.
    answer = post(
        client, "/organizer/m/GA12/edit", {**edit, "min_attended": "1", "of_last": "3"}, follow_redirects=True
    )
    assert "the attendance rule is fixed once sign-in has opened" in answer.get_data(as_text=True)
    assert tally.meeting("GA12").min_attended == 2
    # The attendance export, downloaded from the page.
    tally.sign_in_member("GA12", history["Ben"])
    rows = list(
        csv.DictReader(io.StringIO(client.get("/organizer/m/GA12/export/attendance.csv").get_data(as_text=True)))
    )
    assert [(r["name"], r["attended"], r["of_meetings"], r["attendance_rule"]) for r in rows] == [
        ("Ben Ortiz", "1", "3", "not met")
    ]


@pytest.mark.parametrize(
    ("reason", "english", "spanish"),
    [
        (
            "attended 2 of the last 5 closed meetings; at least 3 needed",
            "you have attended 2 of the last 5 meetings; 3 are needed to vote",
            "ha asistido a 2 de las últimas 5 reuniones; se necesitan 3 para votar",
        ),
        (
            "attended 0 of the last 3 closed meetings; at least 1 needed",
            "you have attended 0 of the last 3 meetings; 1 is needed to vote",
            "ha asistido a 0 de las últimas 3 reuniones; se necesita 1 para votar",
        ),
        (
            "attended 0 of the last 1 closed meetings; at least 1 needed",
            "you did not attend the last meeting, and that is needed to vote",
            "no asistió a la última reunión, y eso se necesita para votar",
        ),
    ],
)
def test_the_reason_reads_right_in_both_languages(reason: str, english: str, spanish: str) -> None:
    assert i18n.ineligible_reason(reason, "en") == english
    assert i18n.ineligible_reason(reason, "es") == spanish
