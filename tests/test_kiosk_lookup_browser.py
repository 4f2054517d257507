"""The find page in headless Chromium: its script shows a look-up's matches in place (kiosk/web/kiosk/lookup.py),
as the whole page would show them, and posts the form as a page whenever that answer does not come."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk import i18n
from kiosk.kiosk_session import COOKIE
from tests.conftest import LiveServer, assert_accessible
from tests.test_kiosk_browser import app_config, h1, tap, type_text, word  # noqa: F401  (app_config: the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def kiosk(live_server: LiveServer, voting_meeting: str) -> LiveServer:
    return live_server


def open_find(page: Page, server: LiveServer, lang: str, by: str) -> None:
    page.goto(f"{server.url}/kiosk/")
    if lang == "es":
        tap(page, "Español")
        expect(page.locator("html")).to_have_attribute("lang", "es")
    tap(page, word(page, "sign_in"))
    search_by(page, server, by)


def search_by(page: Page, server: LiveServer, by: str) -> None:
    tap(page, word(page, "by_phone" if by == "phone" else "by_name"))
    expect(page).to_have_url(f"{server.url}/kiosk/find?by={by}")
    page.wait_for_selector("body[data-ready]", state="attached")
    expect(page.locator("#q")).to_be_focused()
    page.evaluate("window.sameDocument = true")  # gone if the page is loaded again


def in_place(page: Page) -> Any:
    return page.evaluate("window.sameDocument === true")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_matches_are_shown_in_place_and_picked(kiosk: LiveServer, page: Page, lang: str) -> None:
    open_find(page, kiosk, lang, "phone")
    posts: list[tuple[str, str | None]] = []
    page.on("request", lambda r: posts.append((r.url, r.headers.get("accept"))) if r.method == "POST" else None)
    type_text(page, "(510) 555-0103\n")
    expect(page.locator("body")).to_have_attribute("data-lookups", "1")
    expect(page.get_by_text(i18n.translate("pick_yourself", lang))).to_be_visible()
    matches = page.locator("button.match")
    expect(matches).to_have_text(["José H.", "Rosa D."])
    assert in_place(page) and posts == [(f"{kiosk.url}/kiosk/find", "application/json")]
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("(510) 555-0103")
    assert_accessible(page)
    # A second look-up replaces the first one's matches; a name that is not there says what to do instead.
    search_by(page, kiosk, "name")
    type_text(page, "Nobody Atall\n")
    expect(page.get_by_role("alert")).to_have_text(i18n.translate("none_found", lang))
    expect(page.locator("button.match")).to_have_count(0)
    assert in_place(page)
    assert_accessible(page)
    page.locator("#q").fill("")
    type_text(page, "Rosa\n")
    expect(page.locator("body")).to_have_attribute("data-lookups", "2")
    page.get_by_role("button", name=re.compile("Rosa D.")).tap()
    expect(h1(page)).to_have_text(i18n.translate("hello", lang, name="Rosa D."))


def test_the_tags_and_words_are_the_pages_own(kiosk: LiveServer, page: Page, tally: Any, voting_meeting: str) -> None:
    tally.record_rsvp(voting_meeting, answer="yes", phone="+1 415 555 0198", name="Dana Whitfield")
    open_find(page, kiosk, "en", "phone")
    type_text(page, "4155550198\n")
    expect(page.locator("button.match")).to_have_text(["Dana W. (RSVP by text)"])
    shown = page.locator("#results").inner_html()
    # Reloading shows the same matches, rendered by the server: the same buttons, with the same words.
    page.reload()
    expect(page.locator("button.match")).to_have_text(["Dana W. (RSVP by text)"])
    assert page.locator("button.match").evaluate("b => b.closest('form').getAttribute('action')") == "/kiosk/signin"
    assert "Dana W." in shown and "<script" not in shown


def test_a_name_with_markup_is_shown_as_text(kiosk: LiveServer, page: Page, tally: Any, voting_meeting: str) -> None:
    tally.record_rsvp(voting_meeting, answer="yes", phone="+1 415 555 0197", name="<img src=x onerror=alert(1)>")
    open_find(page, kiosk, "en", "phone")
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message) or d.dismiss())
    type_text(page, "4155550197\n")
    expect(page.locator("body")).to_have_attribute("data-lookups", "1")
    assert page.locator("#results img").count() == 0 and dialogs == []


def test_without_its_answer_the_form_is_posted_as_a_page(kiosk: LiveServer, page: Page, app: Flask) -> None:
    open_find(page, kiosk, "en", "name")
    # The server forgot this screen (a restart, an idle reset): the look-up is posted as a page, which starts a
    # new session and shows the matches.
    sid = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    app.extensions["kiosk"].sessions.reset(sid)
    type_text(page, "Marcus\n")
    expect(page.get_by_role("button", name=re.compile("Marcus B."))).to_be_visible()
    assert not in_place(page)
    assert page.locator("body").get_attribute("data-lookups") is None
    # The page's own post turned its history entry into the GET, as before.
    expect(page).to_have_url(f"{kiosk.url}/kiosk/find?by=name")


def test_sign_in_closed_meanwhile_goes_to_welcome(
    kiosk: LiveServer, page: Page, tally: Any, voting_meeting: str
) -> None:
    from kiosk.tally import MeetingState

    open_find(page, kiosk, "en", "name")
    tally.set_state(voting_meeting, MeetingState.CLOSED)
    type_text(page, "Marcus\n")
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome")
    assert not in_place(page)


def test_old_matches_cannot_be_picked_while_a_look_up_is_on_its_way(kiosk: LiveServer, page: Page) -> None:
    held: list[Any] = []

    def hold_json(route: Any) -> None:  # the network (or a slow server) holds the script's look-ups
        if route.request.headers.get("accept") == "application/json" and hold[0]:
            held.append(route)
        else:
            route.continue_()

    hold = [False]
    page.route("**/kiosk/find", hold_json)
    open_find(page, kiosk, "en", "name")
    type_text(page, "Rosa\n")
    expect(page.locator("button.match")).to_have_text(["Rosa D."])
    hold[0] = True
    page.locator("#q").fill("")
    type_text(page, "Marcus\n")
    # The server has replaced its list already: the old button would pick by its place in the new one.
    expect(page.locator("button.match")).to_be_disabled()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "true")
    type_text(page, " B")  # typing on while it is looked up: kept
    assert len(held) == 1
    held.pop().continue_()
    expect(page.locator("button.match")).to_have_text(["Marcus B."])
    expect(page.locator("button.match")).to_be_enabled()
    expect(page.locator("#q")).to_have_value("Marcus B")
    assert in_place(page)
    page.unroute("**/kiosk/find")


def test_an_answer_that_never_comes_is_not_waited_for(kiosk: LiveServer, page: Page) -> None:
    held: list[Any] = []

    def never_answer_json(route: Any) -> None:
        if route.request.headers.get("accept") == "application/json":
            held.append(route)  # never answered: the script gives up after 8 s and posts the page
        else:
            route.continue_()

    page.route("**/kiosk/find", never_answer_json)
    open_find(page, kiosk, "en", "name")
    type_text(page, "Marcus\n")
    type_text(page, "\n")  # pressed again while waiting: nothing more is sent
    expect(page.get_by_role("button", name=re.compile("Marcus B."))).to_be_visible(timeout=15_000)
    assert not in_place(page) and len(held) == 1
    page.unroute("**/kiosk/find")


def test_a_failed_request_posts_the_page(kiosk: LiveServer, page: Page) -> None:
    page.route(
        "**/kiosk/find",
        lambda route: route.abort() if route.request.headers.get("accept") == "application/json" else route.continue_(),
    )
    open_find(page, kiosk, "en", "name")
    type_text(page, "Marcus\n")
    expect(page.get_by_role("button", name=re.compile("Marcus B."))).to_be_visible()
    assert not in_place(page)
    page.unroute("**/kiosk/find")
