"""Kiosk routes through Flask's test client: status codes, sign-in paths, tokens, casting, the simulate endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import member_id


def _find(client: FlaskClient, query: str, by: str = "name") -> str:
    response = client.post("/kiosk/find", data={"by": by, "q": query}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _token(html: str) -> str:
    match = re.search(r'id="receipt-token">([A-Z0-9-]+)<', html)
    assert match, html
    return match.group(1)


def test_welcome_without_meeting_says_so(client: FlaskClient) -> None:
    html = client.get("/kiosk/").get_data(as_text=True)
    assert "No meeting is open for sign-in" in html
    assert html.count("<h1") == 1


def test_every_kiosk_page_has_one_h1_and_no_store(client: FlaskClient, voting_meeting: str) -> None:
    for path in ("/kiosk/", "/kiosk/find?by=phone", "/kiosk/find?by=name", "/kiosk/walkin", "/kiosk/token"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True).count("<h1") == 1, path
        assert response.headers["Cache-Control"] == "no-store"


def test_phone_lookup_shows_display_names_only(client: FlaskClient, voting_meeting: str) -> None:
    html = _find(client, "(510) 555-0103", by="phone")
    assert "José H." in html and "Rosa D." in html  # a household phone lists both
    assert "Hernández" not in html and "Delgado" not in html
    assert "rosa.delgado@example.org" not in html
    assert html.count('name="pick"') == 2


def test_lookup_answers_the_post_with_matches_and_a_query_free_reload_url(
    client: FlaskClient, voting_meeting: str
) -> None:
    # One request, not a 303 and a GET (half the wait on a Pi); what was typed is in no URL, and the URL the page
    # gives its history entry (kiosk.js replaceState) is a GET that shows the same matches: a reload is harmless.
    response = client.post("/kiosk/find", data={"by": "name", "q": "Marcus"})
    assert response.status_code == 200 and "Location" not in response.headers
    html = response.get_data(as_text=True)
    assert html.count('name="pick"') == 1 and "Marcus B." in html
    assert 'data-replace-url="/kiosk/find?by=name"' in html
    urls = re.findall(r'(?:href|action|data-[a-z-]*url)="([^"]*)"', html)
    assert urls and not any("Marcus" in url or "q=" in url for url in urls)
    reloaded = client.get("/kiosk/find?by=name").get_data(as_text=True)
    assert reloaded.count('name="pick"') == 1 and "Marcus B." in reloaded
    assert "data-replace-url" not in reloaded  # a GET needs no replacing


def test_short_name_query_is_refused_kindly(client: FlaskClient, voting_meeting: str) -> None:
    response = client.post("/kiosk/find", data={"by": "name", "q": "A"})
    assert response.status_code == 422
    assert "at least 2 letters" in response.get_data(as_text=True)


def test_a_two_letter_surname_finds_its_owner(client: FlaskClient, voting_meeting: str) -> None:
    html = _find(client, "Li")
    assert "Li W." in html and "Liam" not in html


def test_member_sign_in_gives_a_token_then_ballot(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    _find(client, "Marcus")
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "Welcome, Marcus B.!" in html
    token = _token(html)
    assert client.post("/kiosk/vote").headers["Location"].endswith("/kiosk/ballot")
    ballot = client.get("/kiosk/ballot").get_data(as_text=True)
    planks = tally.planks(voting_meeting)
    assert all(f'name="choice-{p.id}"' in ballot for p in planks)
    form = {f"choice-{p.id}": "yes" for p in planks}
    done = client.post("/kiosk/ballot/cast", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Your ballot is cast" in done
    code = re.search(r'id="verification">([A-Z0-9-]+)<', done).group(1)  # type: ignore[union-attr]
    assert tally.lookup_ballot(code).choices[0][1] == "yes"
    # The same token again: refused with a clear message.
    again = client.post("/kiosk/token", data={"token": token})
    assert again.status_code == 409
    assert "already been used" in again.get_data(as_text=True)


def test_ineligible_member_is_told_why(client: FlaskClient, voting_meeting: str) -> None:
    _find(client, "Patrick")
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "cannot vote at this meeting: your membership is lapsed" in html
    assert "receipt-token" not in html


def test_own_screen_session_can_continue_or_reprint(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    """The screen session that signed someone in (the receipt was given here) may replace the code."""
    _find(client, "Keisha")
    first = _token(client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True))
    _find(client, "Keisha")  # found again on the same screen, before voting: the code is no longer on screen
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "You are already signed in" in html and "Continue to the ballot" in html
    reprinted = client.post("/kiosk/reprint", follow_redirects=True).get_data(as_text=True)
    new_token = _token(reprinted)
    assert new_token != first
    assert client.post("/kiosk/token", data={"token": first}).status_code == 409  # the old one is void
    response = client.post("/kiosk/continue")
    assert response.headers["Location"].endswith("/kiosk/ballot")
    assert client.get("/kiosk/ballot").status_code == 200


def test_already_voted_is_told_so(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Keisha"))
    assert signin.token
    tally.cast_ballot(voting_meeting, signin.token, {})
    _find(client, "Keisha")
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "You have already voted" in html
    assert "Continue to the ballot" not in html
    # A screen that still offered "continue" to its own attendee (who voted elsewhere meanwhile) finds out too.
    other = client.application.test_client()
    _find(other, "Marcus")
    token = _token(other.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True))
    tally.cast_ballot(voting_meeting, token, {})
    html = other.post("/kiosk/continue", follow_redirects=True).get_data(as_text=True)
    assert "You have already voted" in html


def test_rsvp_number_not_on_roster_signs_in_as_guest(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    tally.record_rsvp(voting_meeting, answer="yes", phone="+1 415 555 0199", name="Dana Whitfield")
    html = _find(client, "415 555 0199", by="phone")
    assert "Dana W." in html and "RSVP by text" in html
    done = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "Welcome, Dana W.!" in done
    assert "only members may vote" in done
    assert tally.signins(voting_meeting)[-1]["phone"] == "+14155550199"


def test_rsvp_without_a_name_is_asked_for_it(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    tally.record_rsvp(voting_meeting, answer="yes", phone="+1 415 555 0198")
    html = _find(client, "4155550198", by="phone")
    assert "RSVP ···0198" in html
    response = client.post("/kiosk/signin", data={"pick": "0"})
    assert response.headers["Location"].endswith("/kiosk/walkin")
    assert 'value="4155550198"' in client.get("/kiosk/walkin").get_data(as_text=True)
    client.post("/kiosk/walkin", data={"name": "Sam Lee", "phone": "4155550198"})
    assert tally.signins(voting_meeting)[-1]["name"] == "Sam Lee"
    assert tally.find_people(voting_meeting, "4155550198")[0].signed_in


def test_walkin_joining_and_bad_phone(client: FlaskClient, tally: Tally, voting_meeting: str) -> None:
    bad = client.post("/kiosk/walkin", data={"name": "Zoe Quinn", "phone": "12"})
    assert bad.status_code == 422
    assert 'value="Zoe Quinn"' in bad.get_data(as_text=True)  # nothing typed is lost
    assert client.post("/kiosk/walkin", data={"name": "  "}).status_code == 422
    ok = client.post("/kiosk/walkin", data={"name": "Zoe Quinn", "joining": "1"}, follow_redirects=True)
    assert "Welcome, Zoe Q.!" in ok.get_data(as_text=True)
    assert tally.signins(voting_meeting)[-1]["kind"] == "pending"


def test_script_name_is_escaped(client: FlaskClient, voting_meeting: str) -> None:
    html = client.post("/kiosk/walkin", data={"name": "<script>alert(1)</script>"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("token", "message"),
    [("", "Please type your ballot code"), ("ACD3-4EFG", "not known"), ("hello", "not known")],
)
def test_bad_tokens(client: FlaskClient, voting_meeting: str, token: str, message: str) -> None:
    response = client.post("/kiosk/token", data={"token": token})
    assert response.status_code in (409, 422)
    assert message in response.get_data(as_text=True)


def test_token_before_voting_opens(client: FlaskClient, tally: Tally, roster_csv: str, planks_csv: str) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA20", title="Early", starts="2026-12-03T19:00")
    tally.import_planks("GA20", planks_csv)
    tally.set_state("GA20", MeetingState.SIGNIN_OPEN)
    _find(client, "Marcus")
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    token = _token(html)
    assert "Voting has not opened yet" in html and "Vote now" not in html
    response = client.post("/kiosk/token", data={"token": token})
    assert "Voting has not opened yet" in response.get_data(as_text=True)


def test_ballot_without_token_goes_home(client: FlaskClient, voting_meeting: str) -> None:
    assert client.get("/kiosk/ballot").status_code == 303
    assert client.post("/kiosk/ballot/cast", data={}).status_code == 303
    assert client.get("/kiosk/done").status_code == 303


def test_language_switch_and_reset(client: FlaskClient, voting_meeting: str) -> None:
    response = client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/find?by=name"})
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/find?by=name"
    assert "Busque su nombre" in client.get("/kiosk/find").get_data(as_text=True)
    assert (
        client.post("/kiosk/lang", data={"lang": "es", "next": "https://evil.example/"})
        .headers["Location"]
        .endswith("/kiosk/")
    )
    client.post("/kiosk/reset")
    assert "Welcome" in client.get("/kiosk/").get_data(as_text=True)


def test_server_forgets_an_idle_session(app: Flask, client: FlaskClient, voting_meeting: str) -> None:
    _find(client, "Marcus")
    store = app.extensions["kiosk"].sessions
    store.clock = lambda: 10**9  # far in the future: every session has been idle too long
    assert "Marcus" not in client.get("/kiosk/find?by=name").get_data(as_text=True)


def test_simulate_endpoint_drives_the_mock_pins(app: Flask, client: FlaskClient) -> None:
    pressed: list[str] = []
    hub = app.extensions["kiosk"].hub
    sub = hub.subscribe()
    assert client.post("/simulate/button/yes").status_code == 204
    pressed.append(sub.queue.get(timeout=1).name)
    assert pressed == ["yes"]
    assert client.post("/simulate/button/maybe").status_code == 404
    assert client.get("/simulate/button/yes").status_code == 405


def test_simulate_endpoint_absent_outside_simulation(tally: Tally) -> None:
    app = create_app(Settings(), tally, simulated=False)
    try:
        client = app.test_client()
        assert client.post("/simulate/button/yes").status_code == 404
        assert client.get("/kiosk/").status_code == 200
        assert "Simulated" not in client.get("/kiosk/").get_data(as_text=True)
    finally:
        app.extensions["kiosk"].close()


def test_panel_lit_sets_leds(app: Flask, client: FlaskClient) -> None:
    panel = app.extensions["kiosk"].panel
    assert client.post("/kiosk/panel/lit", json={"lit": ["no"]}).status_code == 204
    assert panel.lit() == {"no"}
    assert client.post("/kiosk/panel/lit", json={"lit": ["bogus"]}).status_code == 400
    client.post("/kiosk/reset")
    assert panel.lit() == set()


def test_unreachable_database_is_said_plainly(app_config: dict[str, Any]) -> None:
    from kiosk import db

    engine = db.make_engine("postgresql+psycopg://kiosk:secret@127.0.0.1:1/tally?connect_timeout=1")
    app = create_app(Settings(), Tally(engine), simulated=True, test_config=app_config)
    try:
        response = app.test_client().post("/kiosk/find", data={"by": "name", "q": "Marcus"})
        assert response.status_code == 503
        assert "cannot reach the tally right now" in response.get_data(as_text=True)
        assert "Nothing was saved" in response.get_data(as_text=True)
    finally:
        app.extensions["kiosk"].close()
        engine.dispose()


@pytest.mark.parametrize("pick", ["-1", "1", "x", "", "٠"])
def test_a_pick_that_is_not_on_the_list_signs_nobody_in(
    client: FlaskClient, tally: Tally, voting_meeting: str, pick: str
) -> None:
    _find(client, "Marcus")  # one match: only pick 0 exists
    response = client.post("/kiosk/signin", data={"pick": pick})
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk/find")
    assert tally.results(voting_meeting).ballots_issued == 0


def test_every_page_ends_with_its_overlay_and_audio_in_its_language(
    client: FlaskClient, tally: Tally, voting_meeting: str
) -> None:
    """The end of a page (idle overlay, reset form, audio ballot) is rendered once per language and reused; the
    ballot's own, with its planks, is rendered each time."""
    from kiosk import i18n

    for lang in ("en", "es", "en"):
        client.post("/kiosk/lang", data={"lang": lang, "next": "/kiosk/find"})
        html = client.get("/kiosk/find?by=name").get_data(as_text=True)
        assert f'<p id="idle-title" class="big">{i18n.translate("still_there", lang)}</p>' in html
        assert 'id="reset-form" method="post" action="/kiosk/reset"' in html
        assert "data-manifest-url=" in html
        assert "data-planks=" not in html
    client.post("/kiosk/lang", data={"lang": "en", "next": "/kiosk/find"})
    _find(client, "Marcus")
    client.post("/kiosk/signin", data={"pick": "0"})
    client.post("/kiosk/vote")
    ballot = client.get("/kiosk/ballot").get_data(as_text=True)
    ids = [p.id for p in tally.planks(voting_meeting)]
    assert f"data-planks='{ids}'".replace(" ", "") in ballot.replace(", ", ",")
    assert '<p id="idle-title" class="big">' in ballot
