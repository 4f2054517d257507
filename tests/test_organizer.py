"""Organizer pages through Flask's test client: login, CSRF, every route guarded, the meeting flow, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import accounts, export
from kiosk.cli import main as cli_main
from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from kiosk.web.organizer.live import LiveFigures, Visibility
from tests.conftest import FIXTURES, FakeClock

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"


def organizer_settings(tmp_path: Path, db_url: str) -> Settings:
    settings = Settings()
    return replace(
        settings,
        kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(settings.database, url=db_url),
    )


@pytest.fixture
def app(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    return create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})


def csrf_of(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = csrf_of(client, "/organizer/login")
    response = client.post("/organizer/login", data={"name": "rosa", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    token = csrf_of(client, "/organizer/")
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def fill_route(rule: str) -> str:
    return (
        rule.replace("<code>", "GA12")
        .replace("<int:plank_id>", "1")
        .replace("<int:signin_id>", "1")
        .replace("<action>", "close")
        .replace("<what>", "roster")
        .replace("<name>", "attendance.csv")
        .replace("<path:filename>", "organizer.css")
        .replace("<any(json, csv):fmt>", "json")
    )


def test_every_organizer_route_refuses_without_a_session(app: Flask, tally: Tally, voting_meeting: str) -> None:
    tally.sign_in_guest(voting_meeting, XSS, station="door")
    client = app.test_client()
    crawled = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organizer/") or rule.endpoint in ("organizer.login", "organizer.static"):
            continue
        path = fill_route(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            crawled += 1
            body = response.get_data(as_text=True)
            assert response.status_code in (302, 400, 401, 403, 404), (method, path, response.status_code)
            if response.status_code == 302:
                assert "/organizer/login" in response.headers["Location"]
            assert "General Assembly" not in body and "onerror" not in body, (method, path)
    assert crawled >= 25


def test_login_is_throttled_in_the_database(app: Flask, tally: Tally, clock: FakeClock) -> None:
    client = app.test_client()
    for _ in range(accounts.FREE_FAILURES):
        token = csrf_of(client, "/organizer/login")
        response = client.post("/organizer/login", data={"name": "rosa", "password": "wrong", "csrf_token": token})
        assert response.status_code == 401
    token = csrf_of(client, "/organizer/login")
    locked = client.post("/organizer/login", data={"name": "rosa", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "Too many failed attempts" in locked.get_data(as_text=True)
    # The lock is in the database: a fresh app (a restart) still refuses until the window has passed.
    result = accounts.authenticate(tally.engine, "rosa", PASSWORD, "127.0.0.1", clock=clock)
    assert result.outcome is accounts.LoginOutcome.LOCKED
    clock.advance(seconds=result.retry_after_s + 1)
    assert accounts.authenticate(tally.engine, "rosa", PASSWORD, "127.0.0.1", clock=clock).ok
    assert accounts.lock_seconds(30) == accounts.MAX_LOCK_S


def test_a_password_hashed_with_older_settings_is_rehashed_at_login(tally: Tally) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    from kiosk.schema import organizers

    accounts.add_organizer(tally.engine, "ines", PASSWORD)
    old = PasswordHasher().hash(PASSWORD)  # the library's defaults (64 MiB), as before 12 MiB was chosen
    with tally.engine.begin() as conn:
        conn.execute(update(organizers).where(organizers.c.name == "ines").values(password_hash=old))
    assert accounts.authenticate(tally.engine, "ines", PASSWORD, "127.0.0.1").ok
    with tally.engine.connect() as conn:
        stored = conn.execute(select(organizers.c.password_hash).where(organizers.c.name == "ines")).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=12288,t=3,p=1$")
    assert accounts.authenticate(tally.engine, "ines", PASSWORD, "127.0.0.1").ok


def test_csrf_token_missing_or_wrong_is_refused(app: Flask, tally: Tally) -> None:
    client = logged_in(app)
    form = {"code": "GA9", "title": "T", "starts": "2026-12-03T19:00"}
    assert client.post("/organizer/meetings", data=form).status_code == 400
    assert client.post("/organizer/meetings", data={**form, "csrf_token": "forged"}).status_code == 400
    assert tally.meetings() == []
    assert post(client, "/organizer/meetings", form).status_code == 302
    assert [m.code for m in tally.meetings()] == ["GA9"]
    # No token, no login either.
    fresh = app.test_client()
    assert fresh.post("/organizer/login", data={"name": "rosa", "password": PASSWORD}).status_code == 400


def test_session_cookie_flags_and_host_check(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/organizer/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Content-Security-Policy" in response.headers
    assert client.get("/organizer/login", headers={"Host": "evil.example"}).status_code == 400
    assert app.debug is False


def test_open_redirect_after_login_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client, "/organizer/login")
    data = {"name": "rosa", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    response = client.post("/organizer/login", data=data)
    assert response.headers["Location"].endswith("/organizer/")


def upload(text: str, name: str = "file.csv") -> dict[str, Any]:
    return {"file": (io.BytesIO(text.encode("utf-8")), name)}


def test_full_flow_through_the_pages(app: Flask, tally: Tally, tmp_path: Path, db_url: str) -> None:
    client = logged_in(app)
    form = {
        "code": "GA12",
        "title": "General Assembly",
        "starts": "2026-12-03T19:00",
        "place": "Hall",
        "quorum": "3",
        "live_results_shown": "on",
    }
    assert post(client, "/organizer/meetings", form).status_code == 302
    assert tally.meeting("GA12").live_results_shown
    roster = (FIXTURES / "roster-messy.csv").read_text(encoding="utf-8") + f'"{XSS}",,,member,2010-01-01\n'
    response = post(client, "/organizer/m/GA12/import/roster", upload(roster), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Roster import report" in page and "refused" in page
    planks = (FIXTURES / "planks.csv").read_text(encoding="utf-8") + "Bad plank,,supermajority\n"
    page = post(client, "/organizer/m/GA12/import/planks", upload(planks), follow_redirects=True).get_data(as_text=True)
    assert "supermajority" in page and "Planks import report" in page
    post(client, "/organizer/m/GA12/planks", {"title": "Tenant union", "text": "", "threshold": "two-thirds"})
    assert tally.planks("GA12")[-1].title == "Tenant union"
    assert str(tally.planks("GA12")[-1].threshold) == "two-thirds"
    last = tally.planks("GA12")[-1]
    post(client, f"/organizer/m/GA12/planks/{last.id}/edit", {"title": "Tenant unions", "threshold": "majority"})
    assert tally.planks("GA12")[-1].title == "Tenant unions"
    titles = [p.title for p in tally.planks("GA12")]
    second = tally.planks("GA12")[1]
    post(client, f"/organizer/m/GA12/planks/{second.id}/move", {"direction": "up"})
    assert [p.title for p in tally.planks("GA12")][:2] == [titles[1], titles[0]]
    # Deliberate state changes: a confirmation page, then the code typed in.
    assert "Type the meeting code" in client.get("/organizer/m/GA12/state/open-signin").get_data(as_text=True)
    post(client, "/organizer/m/GA12/state/open-signin", {"confirm": "nope"})
    assert tally.meeting("GA12").state is MeetingState.DRAFT
    post(client, "/organizer/m/GA12/state/open-signin", {"confirm": "GA12"})
    post(client, "/organizer/m/GA12/state/open-voting", {"confirm": "GA12"})
    assert tally.meeting("GA12").state is MeetingState.VOTING_OPEN
    # Sign-ins and ballots through the tally API (the kiosk pages are another branch).
    people = [p for p in tally.find_people("GA12", "onerror")]
    xss_signin = tally.sign_in_member("GA12", people[0].member_id)  # type: ignore[arg-type]
    ids = [p.id for p in tally.planks("GA12")]
    for query in ("ana", "marcus"):
        person = tally.find_people("GA12", query)[0]
        signin = tally.sign_in_member("GA12", person.member_id)  # type: ignore[arg-type]
        assert signin.token
        tally.cast_ballot("GA12", signin.token, {ids[0]: "yes"})
    dash = client.get("/organizer/m/GA12/dashboard").get_data(as_text=True)
    assert "Ballots cast / issued" in dash and "<svg" in dash
    people_page = client.get("/organizer/m/GA12/people").get_data(as_text=True)
    assert XSS not in people_page and "&lt;img src=x onerror=alert(1)&gt;" in people_page
    # Reissue a lost ballot code: the old one stops working and a reprint is queued.
    post(client, f"/organizer/m/GA12/people/{xss_signin.id}/reissue", {"reason": "lost"})
    from kiosk.print_queue import PrintQueue

    jobs = PrintQueue(tally.engine).jobs()
    assert any(j.kind == "signin" and j.reprint for j in jobs)
    post(client, "/organizer/m/GA12/state/close", {"confirm": "GA12"})
    assert tally.meeting("GA12").state is MeetingState.CLOSED
    post(client, "/organizer/m/GA12/tally-tape")
    post(client, "/organizer/m/GA12/tally-tape")  # the same tape is not queued twice
    post(client, "/organizer/m/GA12/tally-tape", {"copy": "1"})  # a copy is asked for explicitly
    tapes = [j for j in PrintQueue(tally.engine).jobs() if j.kind == "tally"]
    assert [j.reprint for j in tapes] == [True, False]
    assert tapes[0].payload and "Ballots hash" in tapes[0].payload
    attendance = client.get("/organizer/m/GA12/export/attendance.csv")
    assert attendance.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(attendance.get_data(as_text=True))))
    assert any(XSS in row for row in rows)
    results = json.loads(client.get("/organizer/m/GA12/export/results.json").get_data(as_text=True))
    assert results["results"]["ballots_cast"] == 2
    bundle_text = client.get("/organizer/m/GA12/export/bundle.json").get_data(as_text=True)
    report = export.verify_bundle(bundle_text)
    assert report.ok, report.problems
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(bundle_text, encoding="utf-8")
    assert cli_main(["audit", "verify", str(bundle_path)]) == 0
    tape_head = re.search(r"[0-9a-f]{64}", tapes[1].payload or "")
    assert tape_head is not None
    assert cli_main(["audit", "verify", str(bundle_path), "--tape-head", tape_head.group(0)]) == 0
    assert cli_main(["audit", "verify", str(bundle_path), "--tape-head", "0" * 64]) == 1


def test_csv_cells_cannot_run_as_formulas() -> None:
    text = export.to_csv(["a"], [["=HYPERLINK(1)"], ["+1"], ["-2"], ["@x"], ["plain"], [XSS]])
    rows = [r[0] for r in csv.reader(io.StringIO(text))]
    assert rows[1:5] == ["'=HYPERLINK(1)", "'+1", "'-2", "'@x"]
    assert rows[5:] == ["plain", XSS]


def test_a_tampered_bundle_fails(tally: Tally, voting_meeting: str) -> None:
    ids = [p.id for p in tally.planks(voting_meeting)]
    person = tally.find_people(voting_meeting, "ana")[0]
    signin = tally.sign_in_member(voting_meeting, person.member_id)  # type: ignore[arg-type]
    assert signin.token
    tally.cast_ballot(voting_meeting, signin.token, {ids[0]: "no"})
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    bundle = export.meeting_bundle(tally, voting_meeting, exported_at=tally.clock())
    assert export.verify_bundle(json.dumps(bundle)).ok
    flipped = json.loads(json.dumps(bundle))
    flipped["ballots"][0]["choices"][0] = "yes"
    problems = export.verify_bundle(json.dumps(flipped)).problems
    assert any("ballots hash" in p for p in problems) and any("plank 1" in p for p in problems)
    edited = json.loads(json.dumps(bundle))
    edited["audit"]["entries"][0]["actor"] = "someone else"
    assert any("audit log" in p for p in export.verify_bundle(json.dumps(edited)).problems)
    padded = json.loads(json.dumps(bundle))
    padded["ballots"].append({"code": "ZZZZZZZZ", "choices": ["yes"] * len(ids)})
    padded["ballots_hash"] = export.ballots_hash(padded["ballots"])
    assert any("audit log records" in p for p in export.verify_bundle(json.dumps(padded)).problems)


def test_live_figures_move_only_in_steps(tally: Tally, voting_meeting: str) -> None:
    live = LiveFigures(step=3)
    ids = [p.id for p in tally.planks(voting_meeting)]
    roster = "name,status,joined\n" + "".join(f"Voter {i:03d},member,2000-01-01\n" for i in range(7))
    tally.import_roster(roster)
    tokens = []
    for person in tally.find_people(voting_meeting, "voter", limit=10):
        signin = tally.sign_in_member(voting_meeting, person.member_id)  # type: ignore[arg-type]
        tokens.append(signin.token)
    seen = []
    for token in tokens:
        tally.cast_ballot(voting_meeting, token, {ids[0]: "yes"})
        view = live.view(tally, voting_meeting)
        assert view.visibility is Visibility.LIVE
        seen.append(view.bars[0].yes)
    assert seen == [0, 0, 3, 3, 3, 6, 6]
    # A restart (or another process) shows the same snapshot: the step holds across them.
    assert LiveFigures(step=3).view(tally, voting_meeting).bars[0].yes == 6
    tally.update_meeting(voting_meeting, results_hidden_until_close=True)
    assert live.view(tally, voting_meeting).visibility is Visibility.HIDDEN
    assert live.view(tally, voting_meeting, for_projector=True).bars == ()
    assert live.view(tally, voting_meeting, peek=True).bars[0].yes == 6
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    final = live.view(tally, voting_meeting, for_projector=True)
    assert final.visibility is Visibility.FINAL and final.bars[0].yes == 7
    from sqlalchemy import func, select

    from kiosk.schema import live_figures

    with tally.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(live_figures)).scalar_one() == 0


def test_peek_is_audited_and_hidden_results_are_not_exported(app: Flask, tally: Tally, voting_meeting: str) -> None:
    tally.update_meeting(voting_meeting, results_hidden_until_close=True)
    client = logged_in(app)
    assert "hides results until voting closes" in client.get("/organizer/m/GA12/dashboard").get_data(as_text=True)
    assert client.get("/organizer/m/GA12/export/results.csv").status_code == 403
    post(client, "/organizer/m/GA12/peek")
    assert [e.action for e in tally.audit_entries("GA12")][-1] == "results_peeked"
    assert "Peek" not in client.get("/organizer/m/GA12/dashboard").get_data(as_text=True).split("Stop peeking")[1]


def test_text_count_endpoint_and_two_step_send(app: Flask, tally: Tally, voting_meeting: str) -> None:
    client = logged_in(app)
    token = csrf_of(client, "/organizer/m/GA12/texts")
    body = "Hola! Asamblea mañana 7pm"
    count = client.post(
        "/organizer/m/GA12/texts/count",
        data={"body": body, "audience": "members"},
        headers={"X-CSRF-Token": token},
    ).get_json()
    phones = len(app.extensions["organizer_gateway"].member_phones())
    assert count["recipients"] == phones > 0 and count["segments"] == 1 and count["total"] == phones
    review = post(client, "/organizer/m/GA12/texts/review", {"body": body, "audience": "members"})
    assert f"Send {phones} texts" in review.get_data(as_text=True)
    assert app.extensions["organizer_gateway"].queue_counts() == {}
    post(client, "/organizer/m/GA12/texts/send", {"body": body, "audience": "members", "kind": "manual"})
    post(client, "/organizer/m/GA12/texts/send", {"body": body, "audience": "members", "kind": "manual"})
    assert app.extensions["organizer_gateway"].queue_counts() == {"queued": phones}


def test_the_page_queues_two_different_texts_of_the_same_length(app: Flask, tally: Tally, voting_meeting: str) -> None:
    # Issue 14: one path for the CLI and the page; a second text of the same length is a new text, not a repeat.
    client = logged_in(app)
    gateway = app.extensions["organizer_gateway"]
    phones = len(gateway.audience("members").texted)
    first, second = "Assembly at 7pm tonight", "Assembly at 8pm tonight"
    assert len(first) == len(second)
    for body in (first, second, first):
        post(client, "/organizer/m/GA12/texts/send", {"body": body, "audience": "members", "kind": "manual"})
    assert gateway.queue_counts() == {"queued": 2 * phones}
    by_number: dict[str, set[str]] = {}
    for row in gateway.outbound(limit=1000):
        by_number.setdefault(row["recipient"], set()).add(row["body"])
    assert len(by_number) == phones and all(bodies == {first, second} for bodies in by_number.values())


def test_test_deck_from_the_page(app: Flask, tally: Tally, voting_meeting: str) -> None:
    client = logged_in(app)
    title = tally.planks(voting_meeting)[0].title
    deck = f'"{title}"\nyes\nno\nyes\n'
    page = post(client, "/organizer/m/GA12/test-deck", upload(deck), follow_redirects=True).get_data(as_text=True)
    assert "Test deck: 3 ballots cast" in page
    assert tally.results(voting_meeting).ballots_cast == 0


def test_public_verification_page(app: Flask, tally: Tally, voting_meeting: str) -> None:
    person = tally.find_people(voting_meeting, "ana")[0]
    signin = tally.sign_in_member(voting_meeting, person.member_id)  # type: ignore[arg-type]
    assert signin.token
    cast = tally.cast_ballot(voting_meeting, signin.token, {})
    client = app.test_client()
    page = client.get(f"/verify/{cast.verification_code}").get_data(as_text=True)
    assert "was counted" in page
    assert "No ballot has that" in client.get("/verify/NOPE-NOPE").get_data(as_text=True)
    # A code typed into the form (or an old ?code= link) goes to the one address of that ballot's check.
    typed = client.get(f"/verify?code={cast.verification_code.lower()}")
    assert typed.status_code == 303
    assert typed.headers["Location"].endswith(f"/verify/{cast.verification_code.replace('-', '')}")
    assert "was counted" in client.get(typed.headers["Location"]).get_data(as_text=True)
    # The organizer app serves nothing of the kiosk.
    assert client.get("/simulate/press").status_code == 404
    assert client.get("/results/GA12").status_code == 404


def test_organizer_add_cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, tally: Tally) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", db_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli_main(["organizer", "add", "maria", "--password-stdin"]) == 0
    assert "maria" in accounts.organizer_names(tally.engine)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli_main(["organizer", "add", "maria", "--password-stdin"]) != 0


def test_meeting_edits_are_audited_and_fixed_after_voting_opens(tally: Tally, voting_meeting: str) -> None:
    tally.update_meeting(voting_meeting, title="GA Winter", live_results_shown=True)
    assert tally.meeting(voting_meeting).title == "GA Winter"
    assert tally.audit_entries(voting_meeting)[-1].action == "meeting_updated"
    from kiosk.errors import StateError

    with pytest.raises(StateError):
        tally.update_meeting(voting_meeting, quorum="50%")
    with pytest.raises(StateError):
        tally.update_plank(voting_meeting, tally.planks(voting_meeting)[0].id, title="x")


def test_devices_page_shows_what_the_owners_reported(app: Flask, tally: Tally, clock: FakeClock) -> None:
    from kiosk.device_status import set_device_status

    set_device_status(
        tally.engine, "printer", ok=False, summary="Printer offline: paper out", detail={"queue": 3}, now=clock()
    )
    set_device_status(tally.engine, "sms", ok=True, summary="Twilio OK", detail={"backend": "twilio"}, now=clock())
    page = logged_in(app).get("/organizer/devices").get_data(as_text=True)
    assert "Printer offline: paper out" in page and "PROBLEM" in page and "Twilio OK" in page
    # It updates itself in place (organizer.js) rather than reloading under the organizer (WCAG 2.2.1).
    assert 'http-equiv="refresh"' not in page and 'id="devices-live"' in page


def test_rsvps_page_counts_turnout_and_forecasts_quorum(app: Flask, tally: Tally, voting_meeting: str) -> None:
    ana = tally.find_people(voting_meeting, "ana")[0].member_id
    marcus = tally.find_people(voting_meeting, "marcus")[0].member_id
    tally.record_rsvp(voting_meeting, answer="yes", guests=2, member_id=ana)
    tally.record_rsvp(voting_meeting, answer="maybe", member_id=marcus)
    tally.record_rsvp(voting_meeting, answer="no", phone="+15105550199", name=XSS)
    client = logged_in(app)
    page = client.get("/organizer/m/GA12/rsvps").get_data(as_text=True)
    assert XSS not in page and "&lt;img" in page
    expected = re.search(r"Expected turnout</span><span class=\"value\">(\d+)<", page)
    assert expected and expected.group(1) == "3"  # one yes, her two guests, half of one maybe (rounded down)
    rows = list(csv.reader(io.StringIO(client.get("/organizer/m/GA12/export/rsvps.csv").get_data(as_text=True))))
    assert rows[0] == ["name", "phone", "answer", "guests", "source", "at"] and len(rows) == 4


def test_damaged_texts_are_marked_in_the_inbox(app: Flask, tally: Tally, voting_meeting: str) -> None:
    from sms.backends import InboundText

    gateway = app.extensions["organizer_gateway"]
    now = tally.clock()
    gateway.receive(InboundText("gsm-cut-1", "+15105550101", "Hi, about the dues vote, I thi", now, damage="cut"))
    gateway.receive(InboundText("gsm-cut-2", "+15105550102", "YES see you", now, damage="cut"))
    page = logged_in(app).get("/organizer/m/GA12/texts").get_data(as_text=True)
    inbox = page.split("Inbox:")[1]
    assert "Hi, about the dues vote, I thi <strong>(damaged" in inbox
    assert "YES see you <strong>(damaged" in inbox and "read as YES" in inbox


def test_the_cost_of_a_text_counts_a_flag_at_a_part_boundary_as_twilio_does(
    app: Flask, tally: Tally, voting_meeting: str
) -> None:
    client = logged_in(app)
    token = csrf_of(client, "/organizer/m/GA12/texts")
    body = "a" * 64 + "🇲🇽" + "b" * 64  # the flag cannot be split, so it opens part 2: 3 parts, not 2
    count = client.post(
        "/organizer/m/GA12/texts/count",
        data={"body": body, "audience": "members"},
        headers={"X-CSRF-Token": token},
    ).get_json()
    assert count["segments"] == 3 and count["total"] == 3 * count["recipients"]


def test_a_login_name_with_a_tab_is_counted_without_it(tally: Tally, clock: FakeClock) -> None:
    # Found by the long run: a pasted name's tab was stored in the login_attempts key.
    from sqlalchemy import select

    from kiosk.schema import login_attempts

    result = accounts.authenticate(tally.engine, "rosa\tmaria\r\n", "wrong", "127.0.0.1", clock=clock)
    assert result.outcome is accounts.LoginOutcome.WRONG
    with tally.engine.connect() as conn:
        keys = set(conn.execute(select(login_attempts.c.key)).scalars())
    assert keys == {"rosa maria|127.0.0.1"}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_desk_reissue_prints_the_kiosks_receipt(
    tally: Tally, voting_meeting: str, tmp_path: Path, db_url: str, lang: str
) -> None:
    """A sign-in receipt reprinted at the desk (an organizer's reissue) is the kiosk's own reprint, byte for byte but
    for the new code: in the language the attendee signed in with, with the same "RSVP by text" line."""
    from tests.printer_emulator import PrinterEmulator, decode
    from tests.test_kiosk_printing import make_app

    code_pattern = re.compile(rb"[A-Z0-9]{4}-[A-Z0-9]{4}")
    with PrinterEmulator() as printer:
        base = organizer_settings(tmp_path, db_url)
        settings = replace(
            base,
            printer=replace(base.printer, url=printer.url, timeout_s=1.0),
            organization=replace(base.organization, name="Eastside Tenants", sms_number="+1 510 555 0199"),
        )
        kiosk, services = make_app(tally, settings, {"TESTING": True}, simulated=False)
        try:
            screen = kiosk.test_client()
            screen.post("/kiosk/lang", data={"lang": lang, "next": "/kiosk/"})
            screen.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
            screen.post("/kiosk/signin", data={"pick": "0"})
            screen.post("/kiosk/reprint")  # "Show my receipt again": the kiosk's own reprint
            kiosk_reprint = printer.wait_for_jobs(2, timeout=10)[1]
            signin_id = next(p["id"] for p in tally.signins(voting_meeting) if p["name"].startswith("Marcus"))
            assert tally.receipt_language(signin_id) == lang
            accounts.add_organizer(tally.engine, "rosa", PASSWORD)
            desk = logged_in(create_organizer_app(settings, tally, test_config={"TESTING": True}))
            post(desk, f"/organizer/m/{voting_meeting}/people/{signin_id}/reissue", {"reason": "lost receipt"})
            desk_reprint = printer.wait_for_jobs(3, timeout=10)[2]
        finally:
            kiosk.extensions["kiosk"].close()
            services.stop()
    kiosk_code = set(code_pattern.findall(kiosk_reprint))
    desk_code = set(code_pattern.findall(desk_reprint))
    assert len(kiosk_code) == len(desk_code) == 1 and kiosk_code != desk_code  # a new code, the old one void
    same = b"XXXX-XXXX"
    assert desk_reprint.replace(desk_code.pop(), same) == kiosk_reprint.replace(kiosk_code.pop(), same)
    text = " ".join(decode(desk_reprint).text.split())
    expected = {"en": "Text YES to +1 510 555 0199 to RSVP", "es": "Envíe SÍ al +1 510 555 0199 para confirmar"}
    assert expected[lang] in text and "Marcus B." in text


def test_a_desk_reprint_without_a_kiosk_receipt_uses_the_members_language(tally: Tally, voting_meeting: str) -> None:
    from sqlalchemy import update

    from kiosk.schema import members

    person = tally.find_people(voting_meeting, "marcus")[0]
    signin = tally.sign_in_member(voting_meeting, person.member_id)  # type: ignore[arg-type]
    assert tally.receipt_language(signin.id) == "en"  # nothing known: English
    with tally.engine.begin() as conn:
        conn.execute(update(members).where(members.c.id == person.member_id).values(language="es"))
    assert tally.receipt_language(signin.id) == "es"
