"""The kiosk in headless Chromium over a live waitress server: touch, keyboard and physical buttons, end to end."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hardware.buttons import ButtonName
from kiosk import i18n
from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import LiveServer, assert_accessible, member_id

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"TESTING": True, "REVIEW_ARM_MS": 300, "DONE_SECONDS": 2}


@pytest.fixture
def kiosk(live_server: LiveServer, voting_meeting: str) -> LiveServer:
    return live_server


_last_press: dict[tuple[str, str], float] = {}


def press(server: LiveServer, name: str) -> None:
    """Press a (mock) button, never sooner than a person could: the panel debounces 50 ms per button."""
    key = (server.url, name)
    wait = _last_press.get(key, 0.0) + 0.08 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_press[key] = time.monotonic()
    request = urllib.request.Request(f"{server.url}/simulate/button/{name}", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204


def stream_open(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-stream", "open")


def type_text(page: Page, text: str, **kw: Any) -> None:
    """Type on a (USB) keyboard once the page's script is ready (a person is never faster than that)."""
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.type(text, **kw)


def press_key(page: Page, key: str) -> None:
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.press(key)


def tap(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).tap()


def h1(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def word(page: Page, key: str, **kw: object) -> str:
    """The catalogue's words for ``key`` in the language of the page on screen."""
    return i18n.translate(key, page.locator("html").get_attribute("lang") or "en", **kw)


def sign_in_by_phone_pad(page: Page, server: LiveServer, digits: str, who: str, *, by_touch: bool = False) -> None:
    """Sign in by phone: tapping the on-screen pad, or (faster, for tests about later screens) a USB number pad."""
    page.goto(f"{server.url}/kiosk/")
    tap(page, word(page, "sign_in"))  # buttons are found by their visible label, in the page's language
    tap(page, word(page, "by_phone"))
    if by_touch:
        for digit in digits:
            tap(page, digit)
        tap(page, word(page, "find"))
    else:
        expect(page.locator("#q")).to_be_focused()
        type_text(page, digits + "\n")
    page.get_by_role("button", name=re.compile(who)).tap()


def token_on_screen(page: Page) -> str:
    return page.locator("#receipt-token").inner_text()


def current_choice(page: Page) -> str | None:
    return page.locator("#choice-status").get_attribute("data-choice")


def test_full_ballot_by_physical_buttons(kiosk: LiveServer, page: Page, tally: Tally, voting_meeting: str) -> None:
    panel = kiosk.app.extensions["kiosk"].panel
    sign_in_by_phone_pad(page, kiosk, "5105550102", "Marcus B.", by_touch=True)
    expect(h1(page)).to_have_text("Welcome, Marcus B.!")
    stream_open(page)
    press(kiosk, "confirm")  # Confirm = the screen's primary action: "Vote now"
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    stream_open(page)
    planks = tally.planks(voting_meeting)
    expect(h1(page)).to_have_text(planks[0].title)

    press(kiosk, "confirm")  # no choice yet: stays, and says what to do
    expect(page.locator("#choice-status")).to_contain_text("Choose Yes, No or Abstain first")
    expect(h1(page)).to_have_text(planks[0].title)

    press(kiosk, "yes")
    expect(page.get_by_role("button", name="Yes", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#choice-status")).to_have_text("Your choice: Yes")
    deadline = time.monotonic() + 3
    while panel.lit() != {"yes"} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert panel.lit() == {"yes"}
    press(kiosk, "confirm")
    expect(h1(page)).to_have_text(planks[1].title)
    press(kiosk, "no")
    press(kiosk, "back")  # back to plank 1, choice kept
    expect(h1(page)).to_have_text(planks[0].title)
    expect(page.locator("#choice-status")).to_have_text("Your choice: Yes")
    press(kiosk, "confirm")
    expect(page.locator("#choice-status")).to_have_text("Your choice: No")
    press(kiosk, "abstain")
    press(kiosk, "confirm")
    for plank in planks[2:]:
        expect(h1(page)).to_have_text(plank.title)
        press(kiosk, "yes")
        expect(page.locator("#choice-status")).to_have_text("Your choice: Yes")
        press(kiosk, "confirm")
    expect(h1(page)).to_have_text("Review your ballot")
    press(kiosk, "confirm")  # a second Confirm straight away (a double press) does not cast
    page.wait_for_timeout(350)  # REVIEW_ARM_MS
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    press(kiosk, "yes")  # stray choice presses on the review screen change nothing
    press(kiosk, "confirm")
    expect(page.locator("body")).to_have_attribute("data-screen", "done")
    expect(h1(page)).to_have_text("✓ Your ballot is cast")
    code = page.locator("#verification").inner_text()
    cast = dict(tally.lookup_ballot(code).choices)
    assert cast[planks[0].title] == "yes" and cast[planks[1].title] == "abstain"
    assert list(cast.values())[2:] == ["yes"] * (len(planks) - 2)
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome", timeout=5000)  # DONE_SECONDS = 2
    assert panel.lit() == set()


def test_double_confirm_cannot_cast_by_accident(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    sign_in_by_phone_pad(page, kiosk, "5105550102", "Marcus B.")
    tap(page, "Vote now")
    stream_open(page)
    tap(page, "Review")
    expect(h1(page)).to_have_text("Review your ballot")
    press_key(page, "Enter")  # within REVIEW_ARM_MS of arriving: ignored
    page.wait_for_timeout(100)
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    assert tally.results("GA12").ballots_cast == 0


def test_full_ballot_by_touch(kiosk: LiveServer, page: Page, tally: Tally, voting_meeting: str) -> None:
    page.goto(f"{kiosk.url}/kiosk/")
    tap(page, "Sign in")
    tap(page, "Name")
    for letter in "GRA":
        tap(page, letter)
    expect(page.locator("#q")).to_have_value("Gra")
    tap(page, "Find")
    page.get_by_role("button", name="Grace T.").tap()
    tap(page, "Vote now")
    planks = tally.planks(voting_meeting)
    tap(page, "No")
    expect(page.get_by_role("button", name="No", exact=True)).to_have_attribute("aria-pressed", "true")
    tap(page, "Next")
    tap(page, "Yes")
    tap(page, "Back")
    expect(h1(page)).to_have_text(planks[0].title)
    tap(page, "Review")
    rows = page.locator(".review-list .rc")
    expect(rows.nth(0)).to_have_text("No")
    expect(rows.nth(1)).to_have_text("Yes")
    expect(rows.nth(2)).to_have_text("No choice")
    expect(page.locator("#review-blank")).to_have_text("4 questions have no choice: they count as abstain.")
    page.locator(".review-list .row").nth(2).tap()  # change plank 3 from the review screen
    expect(h1(page)).to_have_text(planks[2].title)
    tap(page, "Abstain")
    tap(page, "Review")
    page.wait_for_timeout(350)
    tap(page, "Cast ballot")
    expect(h1(page)).to_have_text("✓ Your ballot is cast")
    cast = [c for _, c in tally.lookup_ballot(page.locator("#verification").inner_text()).choices]
    assert cast == ["no", "yes", "abstain", "abstain", "abstain", "abstain"]


def tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the control named ``name`` has the focus (keyboard only, as a person would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? (e.getAttribute('aria-label') || e.textContent).trim() : ''; }"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_full_ballot_by_keyboard_only(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    page.goto(f"{kiosk.url}/kiosk/")
    tab_to(page, "Sign in")
    press_key(page, "Space")  # a link that looks like a button works like one
    expect(page.locator("#q")).to_be_focused()
    type_text(page, "510 555 0106")  # a USB number pad types like this
    press_key(page, "Enter")
    expect(page.locator("#q")).to_be_focused()
    tab_to(page, "Keisha W.")
    press_key(page, "Enter")
    expect(h1(page)).to_have_text("Welcome, Keisha W.!")
    tab_to(page, "Vote now")
    press_key(page, "Enter")
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    press_key(page, "y")
    press_key(page, "Enter")
    press_key(page, "n")
    press_key(page, "ArrowRight")  # No -> Abstain
    expect(page.get_by_role("button", name="Abstain", exact=True)).to_be_focused()
    press_key(page, "Enter")
    press_key(page, "ArrowLeft")  # no choice yet: the last option
    press_key(page, "ArrowLeft")  # Abstain -> No
    press_key(page, "Backspace")
    expect(page.locator("#choice-status")).to_have_text("Your choice: Abstain")
    press_key(page, "Enter")
    expect(page.locator("#choice-status")).to_have_text("Your choice: No")
    for key in "aya":
        press_key(page, "Enter")
        press_key(page, key)
    press_key(page, "Enter")
    expect(h1(page)).to_have_text("Review your ballot")
    page.wait_for_timeout(350)
    press_key(page, "Enter")
    expect(h1(page)).to_have_text("✓ Your ballot is cast")
    cast = [c for _, c in tally.lookup_ballot(page.locator("#verification").inner_text()).choices]
    assert cast == ["yes", "abstain", "no", "abstain", "yes", "abstain"]


def test_spanish_throughout(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    page.goto(f"{kiosk.url}/kiosk/")
    page.get_by_role("button", name="Español").tap()
    expect(h1(page)).to_have_text("Le damos la bienvenida")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    tap(page, "Registrarse")  # the accessible name is the visible label, in Spanish
    expect(h1(page)).to_have_text("Busque su nombre")
    expect(page.get_by_role("button", name="Buscar", exact=True)).to_be_visible()
    type_text(page, "5105550111")
    press_key(page, "Enter")
    expect(page.get_by_text("Toque su nombre:")).to_be_visible()
    page.get_by_role("button", name="María G.").tap()
    expect(h1(page)).to_have_text("¡Hola, María G.!")
    expect(page.get_by_text("Su código de votación")).to_be_visible()
    tap(page, "Votar ahora")
    expect(page.get_by_text("Propuesta 1 de 6")).to_be_visible()
    expect(page.locator(".threshold:visible")).to_have_text(
        "Se aprueba si más de la mitad de los votos son Sí; las abstenciones no cuentan."
    )
    expect(page.get_by_role("group", name="Su respuesta")).to_be_visible()
    assert page.get_by_role("button", name="Yes", exact=True).count() == 0
    press_key(page, "y")
    expect(page.get_by_role("button", name="Sí", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#choice-status")).to_have_text("Su respuesta: Sí")
    tap(page, "Siguiente")
    tap(page, "Atrás")
    tap(page, "Revisar")
    expect(h1(page)).to_have_text("Revise su boleta")
    expect(page.locator(".review-list .rc").nth(1)).to_have_text("Sin respuesta")
    expect(page.locator("#review-blank")).to_have_text("5 propuestas no tienen respuesta: cuentan como abstención.")
    assert_accessible(page)
    page.wait_for_timeout(350)
    tap(page, "Enviar mi voto")
    expect(h1(page)).to_have_text("✓ Su boleta se envió")
    assert_accessible(page)
    expect(page.get_by_text("Código de verificación")).to_be_visible()
    # Back at the welcome screen the next attendee gets the default language again.
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome", timeout=5000)
    expect(h1(page)).to_have_text("Welcome")


@pytest.fixture
def short_idle_app(tally: Tally, voting_meeting: str) -> Any:
    app = create_app(
        Settings(),
        tally,
        simulated=True,
        # 5 s: long enough for a page load plus its axe-core check before the countdown (2 s) may cover it.
        test_config={"IDLE_SECONDS": 5, "IDLE_COUNTDOWN_SECONDS": 2, "REVIEW_ARM_MS": 300},
    )
    yield app
    app.extensions["kiosk"].close()


def test_idle_reset_mid_ballot_leaves_no_trace(
    short_idle_app: Flask, live_server_factory: Callable[..., LiveServer], page: Page, tally: Tally
) -> None:
    server = live_server_factory(short_idle_app)
    planks = tally.planks("GA12")
    page.goto(f"{server.url}/kiosk/")
    page.get_by_role("button", name="Español").tap()
    expect(h1(page)).to_have_text("Le damos la bienvenida")
    sign_in_by_phone_pad(page, server, "5105550108", "Fatima A.")
    token = token_on_screen(page)
    tap(page, "Votar ahora")
    press_key(page, "y")
    press_key(page, "Enter")
    expect(page.locator("#idle")).to_be_visible(timeout=4000)
    expect(page.locator("#idle-text")).to_contain_text("Se reinicia en")
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome", timeout=5000)
    expect(h1(page)).to_have_text("Welcome")  # language back to the default too
    body = page.locator("body").inner_text()
    assert planks[1].title not in body and token not in body and "Fatima" not in body
    page.go_back()  # the ballot page is not cached and the server forgot the token
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome")
    # The token itself is still good: nothing was cast.
    assert tally.results("GA12").ballots_cast == 0


def test_reloading_the_matches_shows_them_again_without_posting(kiosk: LiveServer, page: Page) -> None:
    page.goto(f"{kiosk.url}/kiosk/find?by=phone")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    type_text(page, "5105550109\n")
    expect(page.get_by_role("button", name=re.compile("Grace T."))).to_be_visible()
    # the entry is a GET now, with no query in it (the page's script replaces it once it runs: wait for that)
    expect(page).to_have_url(f"{kiosk.url}/kiosk/find?by=phone")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/kiosk/find" in r.url else None)
    page.on("dialog", lambda dialog: posts.append("resubmit dialog") or dialog.dismiss())
    page.reload()
    expect(page.get_by_role("button", name=re.compile("Grace T."))).to_be_visible()
    assert posts == []


def test_idle_countdown_can_be_dismissed(
    short_idle_app: Flask, live_server_factory: Callable[..., LiveServer], page: Page
) -> None:
    server = live_server_factory(short_idle_app)
    page.goto(f"{server.url}/kiosk/find")
    type_text(page, "51055")
    expect(page.locator("#idle")).to_be_visible(timeout=4000)
    press_key(page, "7")  # the key that wakes the screen types nothing
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("#q")).to_have_value("51055")
    expect(page.locator("#idle")).to_be_visible(timeout=4000)
    tap(page, "I'm still here")
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("#q")).to_have_value("51055")
    expect(page.locator("body")).to_have_attribute("data-screen", "find")


def test_double_vote_refused(kiosk: LiveServer, page: Page) -> None:
    sign_in_by_phone_pad(page, kiosk, "5105550109", "Grace T.")
    token = token_on_screen(page)
    tap(page, "Vote now")
    tap(page, "Review")
    page.wait_for_timeout(350)
    tap(page, "Cast ballot")
    expect(h1(page)).to_have_text("✓ Your ballot is cast")
    page.goto(f"{kiosk.url}/kiosk/token")
    type_text(page, token)
    press_key(page, "Enter")
    expect(page.get_by_role("alert")).to_have_text(
        "This ballot code has already been used to vote. Each code votes once."
    )
    # Signing in again says so too.
    sign_in_by_phone_pad(page, kiosk, "5105550109", "Grace T.")
    expect(page.get_by_text("You have already voted at this meeting")).to_be_visible()


def test_scanned_receipt_on_welcome_starts_the_ballot(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    signin = tally.sign_in_member("GA12", member_id(tally, "GA12", "Robert"))
    assert signin.token
    page.goto(f"{kiosk.url}/kiosk/")
    type_text(page, signin.token.lower() + "\n", delay=5)  # a USB barcode scanner: fast, then Enter
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")


def test_walkin_named_script_renders_as_text(kiosk: LiveServer, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{kiosk.url}/kiosk/walkin")
    page.locator("#name").fill("<script>alert(1)</script>")
    page.locator("#phone").tap()
    for digit in "5105550177":
        tap(page, digit)
    tap(page, "Sign in")
    expect(h1(page)).to_have_text("Welcome, <script>alert(1)</script>!")
    expect(page.get_by_text("only members may vote")).to_be_visible()
    page.wait_for_timeout(100)
    assert dialogs == []


def test_walkin_joining_on_screen_keyboard(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    page.goto(f"{kiosk.url}/kiosk/walkin")
    for key in ["R", "U", "T", "H", "Space", "O", "D", "U", "X", "Delete", "M"]:
        tap(page, key)
    expect(page.locator("#name")).to_have_value("Ruth Odum")
    page.get_by_label("I am joining today").check()
    tap(page, "Sign in")
    expect(h1(page)).to_have_text("Welcome, Ruth O.!")
    assert tally.signins("GA12")[-1]["kind"] == "pending"


def test_token_from_another_meeting_refused(
    tally: Tally, voting_meeting: str, planks_csv: str, live_server_factory: Callable[..., LiveServer], page: Page
) -> None:
    tally.create_meeting(code="GA13", title="Second Assembly", starts="2026-12-03T20:00")
    tally.import_planks("GA13", planks_csv)
    tally.set_state("GA13", MeetingState.VOTING_OPEN)
    signin = tally.sign_in_member("GA12", member_id(tally, "GA12", "Li Wei"))
    assert signin.token
    app = create_app(Settings(), tally, simulated=True, test_config={"KIOSK_MEETING": "GA13"})
    try:
        server = live_server_factory(app)
        page.goto(f"{server.url}/kiosk/token")
        for ch in signin.token.replace("-", ""):
            tap(page, ch)
        tap(page, "Start voting")
        expect(page.get_by_role("alert")).to_have_text("This ballot code is for a different meeting.")
    finally:
        app.extensions["kiosk"].close()


def test_household_phone_lists_both_people(kiosk: LiveServer, page: Page) -> None:
    page.goto(f"{kiosk.url}/kiosk/find")
    type_text(page, "(510) 555-0103\n")
    expect(page.locator(".matches button")).to_have_text(["José H.", "Rosa D."])
    assert "0103" not in page.locator(".matches").inner_text()
    page.get_by_role("button", name="Rosa D.").tap()
    expect(h1(page)).to_have_text("Welcome, Rosa D.!")


def test_ineligible_attendee_told_why(kiosk: LiveServer, page: Page) -> None:
    page.goto(f"{kiosk.url}/kiosk/find?by=name")
    type_text(page, "aisha\n")
    page.get_by_role("button", name="Aisha T.").tap()
    expect(page.get_by_role("status")).to_have_text(
        "You are welcome here, but you cannot vote at this meeting: your membership is lapsed."
    )
    expect(page.get_by_role("button", name="Vote now")).to_have_count(0)


def test_event_streams_do_not_exhaust_server_threads(
    tally: Tally, voting_meeting: str, live_server_factory: Callable[..., LiveServer], page: Page
) -> None:
    app = create_app(Settings(), tally, simulated=True, test_config={"SSE_MAX_STREAMS": 2})
    try:
        server = live_server_factory(app, threads=4)
        for i in range(12):
            page.goto(f"{server.url}/kiosk/" + ("find" if i % 2 else ""))
            stream_open(page)
        started = time.monotonic()
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - started < 1.0
        assert app.extensions["kiosk"].hub.open_streams <= 2
        press(server, "back")  # the page still on screen still gets presses: Back = the Back link
        expect(page.locator("body")).to_have_attribute("data-screen", "welcome")
    finally:
        app.extensions["kiosk"].close()


def test_screens_fit_800x480_with_large_targets(kiosk: LiveServer, page: Page) -> None:
    """Exactly one h1 per screen, every visible control at least 48x48 px, nothing wider than the screen."""
    screens: list[str] = []

    def check(screen: str) -> None:
        expect(page.locator("body")).to_have_attribute("data-screen", screen)
        page.wait_for_load_state()
        screens.append(screen)
        assert page.locator("h1").count() == 1
        sizes = page.eval_on_selector_all(
            "button:not([hidden]), a.button, input[type=checkbox]",
            "els => els.filter(e => e.offsetParent).map(e => {const r = e.getBoundingClientRect();"
            " const l = e.closest('label'); const t = l ? l.getBoundingClientRect() : r;"
            " return [e.getAttribute('aria-label') || e.textContent.trim(), t.width, t.height]})",
        )
        small = [s for s in sizes if s[1] < 48 or s[2] < 48]
        assert not small, (screens[-1], small)
        assert page.evaluate("document.documentElement.scrollWidth") <= 800

    page.goto(f"{kiosk.url}/kiosk/")
    check("welcome")
    tap(page, "Sign in")
    check("find")
    tap(page, "Name")
    expect(page.get_by_role("button", name="Q", exact=True)).to_be_visible()
    check("find")
    page.goto(f"{kiosk.url}/kiosk/walkin")
    check("walkin")
    page.goto(f"{kiosk.url}/kiosk/token")
    check("token")
    sign_in_by_phone_pad(page, kiosk, "5105550112", "Robert C.")
    check("signed-in")
    tap(page, "Vote now")
    check("ballot")
    tap(page, "Review")
    check("ballot")


def test_enter_on_a_review_row_opens_that_plank_and_does_not_cast(kiosk: LiveServer, page: Page, tally: Tally) -> None:
    sign_in_by_phone_pad(page, kiosk, "5105550112", "Robert C.")
    tap(page, "Vote now")
    press_key(page, "n")
    tap(page, "Review")
    page.wait_for_timeout(350)
    page.locator(".review-list .row").nth(0).focus()
    press_key(page, "Enter")
    expect(h1(page)).to_have_text(tally.planks("GA12")[0].title)
    page.get_by_role("button", name="Yes", exact=True).focus()
    press_key(page, "Enter")  # Enter on an option not yet chosen chooses it...
    expect(page.locator("#choice-status")).to_have_text("Your choice: Yes")
    expect(h1(page)).to_have_text(tally.planks("GA12")[0].title)
    press_key(page, "Enter")  # ...and then confirms
    expect(h1(page)).to_have_text(tally.planks("GA12")[1].title)
    assert tally.results("GA12").ballots_cast == 0


def test_a_closed_page_frees_its_stream_with_request_lookahead(
    tally: Tally,
    voting_meeting: str,
    live_server_factory: Callable[..., LiveServer],
    browser_context: Callable[..., Any],
) -> None:
    """With waitress's channel_request_lookahead (recommended for `kiosk serve`), a gone page is noticed in ~1 s."""
    app = create_app(Settings(), tally, simulated=True)
    try:
        server = live_server_factory(app, channel_request_lookahead=1)
        context = browser_context()
        page = context.new_page()
        page.goto(f"{server.url}/kiosk/")
        stream_open(page)
        hub = app.extensions["kiosk"].hub
        assert hub.open_streams == 1
        context.close()
        deadline = time.monotonic() + 3
        while hub.open_streams and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.open_streams == 0
    finally:
        app.extensions["kiosk"].close()


def test_a_stuck_button_does_not_block_the_others(
    tally: Tally, voting_meeting: str, live_server_factory: Callable[..., LiveServer], page: Page
) -> None:
    settings = Settings()
    settings = replace(settings, hardware=replace(settings.hardware, stuck_after_s=0.2))
    app = create_app(settings, tally, simulated=True)
    try:
        server = live_server_factory(app)
        panel = app.extensions["kiosk"].panel
        sign_in_by_phone_pad(page, server, "5105550116", "Jamal C.")
        tap(page, "Vote now")
        stream_open(page)
        panel.hold(ButtonName.YES)  # pressed, and then never let go
        expect(page.locator("#choice-status")).to_have_text("Your choice: Yes")
        time.sleep(0.4)  # now it is stuck
        press(server, "no")
        expect(page.locator("#choice-status")).to_have_text("Your choice: No")
        press(server, "confirm")
        expect(h1(page)).to_have_text(tally.planks("GA12")[1].title)
        assert "stuck" not in page.locator("body").inner_text().lower()
        assert any(s.stuck for s in panel.status())
        panel.release(ButtonName.YES)
    finally:
        app.extensions["kiosk"].close()


def long_ballot(tally: Tally, code: str, count: int) -> None:
    """A meeting with ``count`` planks whose titles are as long as real ones, voting open."""
    rows = ["title,text,threshold"]
    for n in range(1, count + 1):
        rows.append(f'"Plank {n}: expand rent stabilization and tenant protections citywide","Text {n}.",majority')
    tally.create_meeting(code=code, title="Long Assembly", starts="2026-12-03T20:00")
    tally.import_planks(code, "\n".join(rows) + "\n")
    tally.set_state(code, MeetingState.VOTING_OPEN)


def review_rows_on_screen(page: Page) -> list[str]:
    """The review rows wholly visible on the screen right now, without scrolling anything."""
    return page.evaluate(
        """() => {
          const box = document.getElementById("review").getBoundingClientRect();
          return Array.from(document.querySelectorAll(".review-list .row")).filter((row) => {
            if (!row.offsetParent) return false;
            const r = row.getBoundingClientRect();
            return r.top >= Math.max(0, box.top) && r.bottom <= Math.min(box.bottom, window.innerHeight) + 0.5
              && r.right <= window.innerWidth;
          }).map((row) => row.querySelector(".rn").textContent + " " + row.querySelector(".rc").textContent);
        }"""
    )


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("count", [8, 12])
def test_review_shows_every_choice_at_800x480(
    tally: Tally, voting_meeting: str, live_server_factory: Callable[..., LiveServer], page: Page, lang: str, count: int
) -> None:
    """Eight planks' choices on one screen (with the demo's button strip); twelve on two numbered pages that
    Confirm walks through before Cast ballot shows; the count of planks left without a choice."""
    long_ballot(tally, "LONG", count)
    signin = tally.sign_in_member("LONG", member_id(tally, "LONG", "Marcus"))
    assert signin.token
    app = create_app(Settings(), tally, simulated=True, test_config={"KIOSK_MEETING": "LONG", "REVIEW_ARM_MS": 300})
    try:
        server = live_server_factory(app)
        page.goto(f"{server.url}/kiosk/")
        if lang == "es":
            tap(page, "Español")
            expect(page.locator("html")).to_have_attribute("lang", "es")
        tap(page, word(page, "have_code"))
        type_text(page, signin.token + "\n")
        expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
        stream_open(page)
        for _ in range(count - 2):  # the last two are left blank
            press_key(page, "y")
            press_key(page, "Enter")
        tap(page, word(page, "review"))
        expect(h1(page)).to_have_text(word(page, "review_title"))
        blank = {
            "en": "2 questions have no choice: they count as abstain.",
            "es": "2 propuestas no tienen respuesta: cuentan como abstención.",
        }
        expect(page.locator("#review-blank")).to_have_text(blank[lang])
        yes, none = word(page, "yes"), word(page, "no_choice_short")
        first = [f"{n}. {yes}" for n in range(1, min(count, 8) + 1)]
        if count == 8:
            first[-2:] = [f"7. {none}", f"8. {none}"]
        assert review_rows_on_screen(page) == first
        assert_accessible(page)
        if count > 8:
            expect(page.locator("#review-page")).to_have_text(word(page, "review_page", n=1, total=2))
            expect(page.get_by_role("button", name=word(page, "cast"))).to_be_hidden()
            page.wait_for_timeout(350)
            press(server, "confirm")  # Confirm turns the page; it does not cast
            expect(page.locator("#review-page")).to_have_text(word(page, "review_page", n=2, total=2))
            assert review_rows_on_screen(page) == [f"9. {yes}", f"10. {yes}", f"11. {none}", f"12. {none}"]
            assert tally.results("LONG").ballots_cast == 0
            assert_accessible(page)
        page.wait_for_timeout(350)
        press(server, "confirm")
        expect(page.locator("body")).to_have_attribute("data-screen", "done")
        cast = [c for _, c in tally.lookup_ballot(page.locator("#verification").inner_text()).choices]
        assert cast == ["yes"] * (count - 2) + ["abstain", "abstain"]
    finally:
        app.extensions["kiosk"].close()


@pytest.mark.parametrize(
    ("lang", "title", "text"),
    [
        ("en", "Your ballot was not counted", "Voting closed before you cast your ballot"),
        ("es", "Su boleta no se contó", "La votación se cerró antes de que enviara su boleta"),
    ],
)
def test_ballot_open_when_voting_closes_says_it_was_not_counted(
    kiosk: LiveServer, page: Page, tally: Tally, lang: str, title: str, text: str
) -> None:
    page.goto(f"{kiosk.url}/kiosk/")
    if lang == "es":
        tap(page, "Español")
        expect(page.locator("html")).to_have_attribute("lang", "es")
    sign_in_by_phone_pad(page, kiosk, "5105550102", "Marcus B.")
    tap(page, word(page, "vote_now"))
    stream_open(page)
    press_key(page, "y")
    tap(page, word(page, "review"))
    tally.set_state("GA12", MeetingState.CLOSED)  # the organizer closes voting meanwhile
    page.wait_for_timeout(350)
    press(kiosk, "confirm")
    expect(h1(page)).to_have_text(title)
    expect(page.get_by_role("alert")).to_contain_text(text)
    assert_accessible(page)
    assert tally.results("GA12").ballots_cast == 0
    press(kiosk, "confirm")  # the screen's one action: start over
    expect(page.locator("body")).to_have_attribute("data-screen", "welcome")


@pytest.mark.parametrize(
    ("lang", "short_name", "not_phone"),
    [
        (
            "en",
            "Nobody found for “Zq”. Type more of your first or last name, or tap “Not on the list?” to sign in as a "
            "walk-in.",
            "That is not a full phone number. Type all 10 digits, like 510 555 0123, or tap “Name” to search by "
            "your name.",
        ),
        (
            "es",
            "No se encontró a nadie con «Zq». Escriba más de su nombre o de su apellido, o toque «¿No está en la "
            "lista?» para registrarse como visitante.",
            "Ese no es un número de teléfono completo. Escriba los 10 dígitos, como 510 555 0123, o toque «Nombre» "
            "para buscar por su nombre.",
        ),
    ],
)
def test_nobody_found_says_what_to_do_instead(
    kiosk: LiveServer, page: Page, lang: str, short_name: str, not_phone: str
) -> None:
    page.goto(f"{kiosk.url}/kiosk/")
    if lang == "es":
        tap(page, "Español")
        expect(page.locator("html")).to_have_attribute("lang", "es")
    tap(page, word(page, "sign_in"))
    for garbage in ("555", "5105550123456789012"):  # too short; longer than any phone number
        page.locator("#q").fill("")
        for digit in garbage:
            tap(page, digit)
        tap(page, word(page, "find"))
        expect(page.get_by_role("alert")).to_have_text(not_phone)
        assert_accessible(page)
    tap(page, word(page, "by_name"))
    type_text(page, "Zq\n")
    expect(page.get_by_role("alert")).to_have_text(short_name)
    assert_accessible(page)
    # The way out it names is on the screen.
    expect(page.get_by_role("button", name=word(page, "walkin_link"))).to_be_visible()


def fully_on_screen(page: Page, selector: str) -> bool:
    """The element is wholly inside the screen's main area (under the header bar), with nothing scrolled."""
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
          const main = document.getElementById("main");
          const m = main.getBoundingClientRect();
          return main.scrollTop === 0 && r.top >= m.top && r.bottom <= m.bottom && r.right <= m.right; }""",
        selector,
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_walkin_errors_focus_the_field_and_fit_the_screen(
    tally: Tally, voting_meeting: str, live_server_factory: Callable[..., LiveServer], page: Page, lang: str
) -> None:
    """On the Pi's own 800x480 screen (no demo button strip): the field in error has the focus, aria-invalid
    and the message as its description, and the whole form with its message is on screen."""
    app = create_app(Settings(), tally, simulated=False, test_config={"REVIEW_ARM_MS": 300})
    kiosk = live_server_factory(app)
    page.goto(f"{kiosk.url}/kiosk/")
    if lang == "es":
        tap(page, "Español")
        expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(f"{kiosk.url}/kiosk/walkin")
    # The phone field shows every digit of a 10-digit number as typed.
    page.locator("#phone").tap()
    for digit in "5105550177":
        tap(page, digit)
    assert page.evaluate("() => { const e = document.getElementById('phone'); return e.scrollWidth <= e.clientWidth; }")
    # No name: the name field is the one in error.
    tap(page, word(page, "sign_in"))
    expect(page.locator("#name")).to_be_focused()
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name")).to_have_accessible_description(word(page, "walkin_need_name"))
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    # A bad phone number: focus, aria-invalid and the message on the phone field; the form still fits.
    for key in "ANA":
        tap(page, key)
    page.locator("#phone").fill("")
    page.locator("#phone").tap()
    for digit in "12345":
        tap(page, digit)
    tap(page, word(page, "sign_in"))
    expect(page.get_by_role("alert")).to_have_text(word(page, "bad_phone"))
    expect(page.locator("#phone")).to_be_focused()
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone")).to_have_accessible_description(word(page, "bad_phone"))
    expect(page.locator("#name")).to_have_value("Ana")
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    for selector in ("#walkin-error", "#name", "#phone", "#walkin-form button[type=submit]", ".check"):
        assert fully_on_screen(page, selector), selector
    assert_accessible(page)
    # Fixed, it signs in.
    page.locator("#phone").fill("")
    for digit in "5105550177":
        tap(page, digit)
    tap(page, word(page, "sign_in"))
    expect(h1(page)).to_have_text(word(page, "hello", name="Ana"))
