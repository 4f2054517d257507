"""Issue 12, item 4: nobody at the kiosk can take over another attendee's ballot.

The attack: anyone can find anyone by name or phone. Finding an attendee who signed in but has not voted offered
"Continue to the ballot" and "Show my receipt again", and either voided the attendee's code and handed the
stranger a new one (the attendee's own receipt then said "replaced by a newer one"). Now, outside the screen
session that signed the attendee in (after a reset, or on another kiosk), only the receipt's code (typed or
scanned) continues, and a lost receipt is the desk's (an organizer's reissue); the screen says so in English and
Spanish. Tested through the web client and, for the screen, in headless Chromium.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.tally import Tally
from tests.conftest import member_id

TOKEN_RE = re.compile(r'id="receipt-token">([A-Z0-9-]+)<')


def find_and_pick(client: FlaskClient, name: str) -> str:
    client.post("/kiosk/find", data={"by": "name", "q": name})
    return client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)


def test_a_stranger_cannot_continue_or_reprint_someone_elses_ballot(
    app: Flask, tally: Tally, voting_meeting: str
) -> None:
    keisha = app.test_client()
    token = TOKEN_RE.search(find_and_pick(keisha, "Keisha"))
    assert token is not None
    keisha.post("/kiosk/reset")  # Keisha walks away with her receipt; the screen resets

    stranger = app.test_client()
    page = find_and_pick(stranger, "Keisha")
    assert "You are already signed in" in page
    assert "Continue to the ballot" not in page and "Show my receipt again" not in page  # before the fix: offered
    assert "type the ballot code from your sign-in receipt" in page and "sign-in desk" in page
    for path in ("/kiosk/continue", "/kiosk/reprint"):
        response = stranger.post(path)
        assert response.status_code == 403  # before the fix: a new code for the stranger, Keisha's voided
        assert "sign-in desk" in response.get_data(as_text=True)
        assert not TOKEN_RE.search(response.get_data(as_text=True))
    assert stranger.get("/kiosk/ballot").headers["Location"].endswith("/kiosk/")  # no ballot for the stranger

    # Keisha's own code still works: typed at any kiosk, it opens her ballot.
    back = app.test_client()
    assert back.post("/kiosk/token", data={"token": token.group(1)}).headers["Location"].endswith("/kiosk/ballot")


def test_the_screen_says_where_to_go_in_spanish(app: Flask, tally: Tally, voting_meeting: str) -> None:
    tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Keisha"))
    stranger = app.test_client()
    stranger.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/find"})
    page = find_and_pick(stranger, "Keisha")
    assert "escriba el código de votación de su recibo de registro" in page
    assert "mesa de registro" in page
    refused = stranger.post("/kiosk/continue").get_data(as_text=True)
    assert "mesa de registro" in refused


def test_an_organizer_reissue_at_the_desk_still_helps(app: Flask, tally: Tally, voting_meeting: str) -> None:
    first = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Keisha"))
    new = tally.reissue_token(voting_meeting, first.id, actor="organizer", reason="lost receipt")
    client = app.test_client()
    assert client.post("/kiosk/token", data={"token": new}).headers["Location"].endswith("/kiosk/ballot")
    assert client.post("/kiosk/token", data={"token": first.token}).status_code == 409


@pytest.mark.browser
def test_screen_offers_only_the_code_or_the_desk(
    app: Flask, tally: Tally, voting_meeting: str, page: Any, live_server: Any
) -> None:
    tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Keisha"))
    page.goto(f"{live_server.url}/kiosk/find?by=name")
    page.fill("input[name=q]", "Keisha")
    page.keyboard.press("Enter")
    page.get_by_role("button", name=re.compile("Keisha")).click()
    page.wait_for_url(re.compile(r"/kiosk/signed-in"))
    assert page.get_by_text("You are already signed in").is_visible()
    assert page.get_by_role("button", name="Continue to the ballot").count() == 0
    assert page.get_by_role("button", name="Show my receipt again").count() == 0
    assert page.get_by_text("sign-in desk").is_visible()
    page.get_by_role("button", name="I have a ballot code").click()  # the screen's way on: the receipt's code
    page.wait_for_url(re.compile(r"/kiosk/token"))
