"""The find page's look-up as its script asks for it (JSON, answered before Flask: kiosk/web/kiosk/lookup.py):
the same matches and words as the page, the same session afterwards, and every case it does not answer left to
the page's own post."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import i18n
from kiosk.tally import MeetingState, Tally

JSON = {"Accept": "application/json"}


def look_up(client: FlaskClient, q: str, by: str = "name", **kw: Any) -> Any:
    return client.post("/kiosk/find", data={"by": by, "q": q}, headers=JSON, **kw)


def labels_on_page(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r'<button type="submit" class="match">(.*?)</button>', html)
    ]


@pytest.fixture
def screen(client: FlaskClient) -> FlaskClient:
    """A client with a screen session (the page running the script always has one)."""
    assert client.get("/kiosk/").status_code == 200
    return client


@pytest.mark.parametrize(
    ("by", "query"),
    [
        ("phone", "(510) 555-0103"),
        ("name", "Marcus"),
        ("name", "jose"),
        ("name", "Nobody Atall"),
        ("phone", "4155550198"),
    ],
)
def test_the_json_look_up_finds_what_the_page_finds(
    screen: FlaskClient, app: Flask, tally: Tally, voting_meeting: str, by: str, query: str
) -> None:
    tally.record_rsvp(voting_meeting, answer="yes", phone="+1 415 555 0198", name="Dana Whitfield")
    response = look_up(screen, query, by)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    found = response.get_json()
    page = screen.post("/kiosk/find", data={"by": by, "q": query}).get_data(as_text=True)
    shown = [m["label"] + (f" ({m['tag']})" if m["tag"] else "") for m in found["matches"]]
    assert shown == labels_on_page(page)
    assert found["by"] == by and found["query"] == query
    if found["matches"]:
        assert found["prompt"] == "Tap your name:" and found["notice"] is None
    else:
        assert found["notice"] == i18n.translate("none_found", "en") and found["prompt"] is None
        assert found["notice"] in page


def test_a_match_found_as_json_is_signed_in_by_its_place(
    screen: FlaskClient, tally: Tally, voting_meeting: str
) -> None:
    found = look_up(screen, "(510) 555-0103", "phone").get_json()
    labels = [m["label"] for m in found["matches"]]
    assert labels == ["José H.", "Rosa D."]  # a household phone: both, display names only
    assert "Hernández" not in str(found) and "member_id" not in str(found) and "phone" not in found["matches"][0]
    response = screen.post("/kiosk/signin", data={"pick": "1"}, follow_redirects=True)
    assert "Welcome, Rosa D.!" in response.get_data(as_text=True)
    assert tally.signins(voting_meeting)[-1]["name"].startswith("Rosa")


def test_the_page_reloaded_after_a_json_look_up_shows_the_same_matches(
    screen: FlaskClient, voting_meeting: str
) -> None:
    look_up(screen, "Marcus")
    html = screen.get("/kiosk/find?by=name").get_data(as_text=True)
    assert labels_on_page(html) == ["Marcus B."] and 'value="Marcus"' in html


@pytest.mark.parametrize(
    ("lang", "by", "query", "key"),
    [
        ("en", "name", "Z", "too_short"),
        ("en", "phone", "555", "not_a_phone"),
        ("es", "phone", "5105550123456789012", "not_a_phone"),
    ],
)
def test_a_query_that_cannot_be_searched_is_refused_in_the_screens_language(
    screen: FlaskClient, voting_meeting: str, lang: str, by: str, query: str, key: str
) -> None:
    screen.post("/kiosk/lang", data={"lang": lang, "next": "/kiosk/find"})
    response = look_up(screen, query, by)
    assert response.status_code == 422
    found = response.get_json()
    assert found["notice"] == i18n.translate(key, lang) and found["matches"] == []


def test_spanish_words_and_a_short_name_say_what_to_do(screen: FlaskClient, voting_meeting: str) -> None:
    screen.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/find"})
    found = look_up(screen, "Zq").get_json()
    assert found["notice"] == i18n.translate("none_found_short_name", "es", query="Zq")
    found = look_up(screen, "Marcus").get_json()
    assert found["prompt"] == "Toque su nombre:"


def test_invisible_characters_are_dropped_and_the_query_is_tidied(screen: FlaskClient, voting_meeting: str) -> None:
    found = look_up(screen, "  Mar\u200bcus\x00  ").get_json()
    assert found["query"] == "Marcus" and [m["label"] for m in found["matches"]] == ["Marcus B."]
    found = look_up(screen, "Marcus " * 30).get_json()
    assert len(found["query"]) <= 60


def test_without_a_screen_session_it_is_left_to_the_page(client: FlaskClient, app: Flask, voting_meeting: str) -> None:
    sessions = app.extensions["kiosk"].sessions
    assert look_up(client, "Marcus").status_code == 409  # no cookie
    client.set_cookie("kiosk_sid", "made-up")
    assert look_up(client, "Marcus").status_code == 409
    assert len(sessions) == 0  # nothing made, nothing stored
    # The page's own post (what the script falls back to) makes the session and shows the matches.
    client.delete_cookie("kiosk_sid")
    assert labels_on_page(client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}).get_data(as_text=True)) == [
        "Marcus B."
    ]


@pytest.mark.parametrize("meeting_state", [None, MeetingState.DRAFT, MeetingState.CLOSED])
def test_when_sign_in_is_not_open_it_is_left_to_the_page(
    screen: FlaskClient, tally: Tally, roster_csv: str, meeting_state: MeetingState | None
) -> None:
    if meeting_state is not None:
        tally.import_roster(roster_csv)
        tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
        if meeting_state is MeetingState.CLOSED:
            tally.set_state("GA12", MeetingState.SIGNIN_OPEN)
            tally.set_state("GA12", MeetingState.CLOSED)
    assert look_up(screen, "Marcus").status_code == 409
    assert screen.post("/kiosk/find", data={"by": "name", "q": "Marcus"}).status_code == 303  # to welcome


def test_an_untrusted_host_is_refused(screen: FlaskClient, voting_meeting: str) -> None:
    response = screen.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, headers={**JSON, "Host": "evil.example"})
    assert response.status_code == 400 and "Marcus" not in response.get_data(as_text=True)


def test_forged_posts_are_refused_plainly(screen: FlaskClient, voting_meeting: str) -> None:
    big = screen.post("/kiosk/find", data={"by": "name", "q": "M" * 5000}, headers=JSON)
    assert big.status_code == 413
    as_json = screen.post("/kiosk/find", json={"by": "name", "q": "Marcus"}, headers=JSON)
    assert as_json.status_code == 415
    many = screen.post(
        "/kiosk/find",
        data="&".join(f"f{i}=1" for i in range(20)),
        headers=JSON,
        content_type="application/x-www-form-urlencoded",
    )
    assert many.status_code == 400
    bad_utf8 = screen.post(
        "/kiosk/find", data=b"by=name&q=Mar%ff%fecus", headers=JSON, content_type="application/x-www-form-urlencoded"
    )
    # Escaped bytes that are not UTF-8 are read as the page's post reads them (kept as escapes).
    page = screen.post("/kiosk/find", data=b"by=name&q=Mar%ff%fecus", content_type="application/x-www-form-urlencoded")
    assert bad_utf8.status_code == 200
    assert [m["label"] for m in bad_utf8.get_json()["matches"]] == labels_on_page(page.get_data(as_text=True))
    for response in (big, as_json, many):
        assert response.headers["Content-Type"] == "application/json"


def test_other_requests_are_flasks(screen: FlaskClient, voting_meeting: str) -> None:
    # Without the script's Accept header: the whole page, as before. Another path or method: Flask's answer.
    page = screen.post("/kiosk/find", data={"by": "name", "q": "Marcus"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert screen.get("/kiosk/find?by=name", headers=JSON).headers["Content-Type"].startswith("text/html")
    assert screen.post("/kiosk/findx", data={"q": "Marcus"}, headers=JSON).status_code == 404


def test_a_repeated_field_is_read_as_the_page_reads_it(screen: FlaskClient, voting_meeting: str) -> None:
    body = "by=name&q=Zq&q=Marcus&by=phone"
    form = {"content_type": "application/x-www-form-urlencoded"}
    found = screen.post("/kiosk/find", data=body, headers=JSON, **form).get_json()
    page = screen.post("/kiosk/find", data=body, **form).get_data(as_text=True)
    assert found["query"] == "Zq" and found["by"] == "name" and found["matches"] == []
    assert found["notice"] in page and labels_on_page(page) == []


def test_a_fault_is_left_to_the_page_and_logged_by_its_kind_only(
    screen: FlaskClient, tally: Tally, voting_meeting: str, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import event

    def broken(*_args: Any) -> None:  # a fault below the look-up (the driver), not one of the database's own
        raise RuntimeError("fault while looking up Marcus at 5105550109")

    event.listen(tally.engine, "before_cursor_execute", broken)
    try:
        with caplog.at_level("INFO"):
            response = look_up(screen, "Marcus")
    finally:
        event.remove(tally.engine, "before_cursor_execute", broken)
    assert response.status_code == 503 and response.get_json() == {"error": "failed"}
    assert "RuntimeError" in caplog.text and "Marcus" not in caplog.text and "5105550109" not in caplog.text


def test_the_look_up_never_tells_who_has_voted(app: Flask, tally: Tally, voting_meeting: str) -> None:
    """An attacker at another screen (or a local process with a screen session) looks Marcus up before and after
    he casts his ballot: the answers are the same, so the look-up cannot show who voted, nor when."""
    attacker, voter = app.test_client(), app.test_client()
    attacker.get("/kiosk/")
    voter.get("/kiosk/")
    assert [m["label"] for m in look_up(voter, "Marcus").get_json()["matches"]] == ["Marcus B."]
    assert "Welcome, Marcus B.!" in voter.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(
        as_text=True
    )
    signed_in = [look_up(attacker, q, by).get_data() for q, by in (("Marcus", "name"), ("5105550102", "phone"))]
    assert voter.post("/kiosk/vote").headers["Location"].endswith("/kiosk/ballot")
    form = {f"choice-{p.id}": "no" for p in tally.planks(voting_meeting)}
    assert "Your ballot is cast" in voter.post("/kiosk/ballot/cast", data=form, follow_redirects=True).get_data(
        as_text=True
    )
    assert tally.results(voting_meeting).ballots_cast == 1
    voted = [look_up(attacker, q, by).get_data() for q, by in (("Marcus", "name"), ("5105550102", "phone"))]
    assert voted == signed_in
