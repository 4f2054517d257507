"""Ranking contests on the kiosk (issue 16) in headless Chromium over a live waitress server, mock button pins:
the five physical buttons alone in English and in Spanish, touch, keys, undo and clear, a name that cannot be
ranked twice, and the ranking stored exactly as ranked (read back with ``Tally.contest_rankings`` after close).
axe-core checks every page on load (the fixtures' browser context), and each ranking and review screen as drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from kiosk import i18n
from kiosk.tally import Contest, MeetingState, Tally
from tests.conftest import LiveServer, assert_accessible, member_id, wait_until
from tests.test_kiosk_browser import h1, press, stream_open, type_text

pytestmark = pytest.mark.browser

ROSTER = "name,phone\nMarcus Bell,510-555-0102\nRosa Diaz,510-555-0103\n"
PLANKS = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control,Defend rent control.,majority,Control de alquileres,Defender el control de alquileres.\n"
)
CONTESTS = (
    "contest,contest_es,seats,method,threshold,candidate,no_endorsement\n"
    "Mayor endorsement,Respaldo para la alcaldía,1,irv,60%,Ana Díaz,\n"
    "Mayor endorsement,,,,,Luis Ortega,\n"
    "Mayor endorsement,,,,,Mei Chen,\n"
    "Mayor endorsement,,,,,No endorsement,yes\n"
    "Steering committee,Comité directivo,3,stv,,Rosa Kim,\n"
    "Steering committee,,,,,Omar Haddad,\n"
    "Steering committee,,,,,Beatriz Soto,\n"
    "Steering committee,,,,,Dev Patel,\n"
    "Steering committee,,,,,Lena Fischer,\n"
)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"TESTING": True, "REVIEW_ARM_MS": 300, "DONE_SECONDS": 2}


def make_meeting(tally: Tally, code: str = "GA12", *, planks: bool = True) -> str:
    tally.import_roster(ROSTER)
    tally.create_meeting(code=code, title="General Assembly", starts="2026-12-03T19:00", place="Hall")
    if planks:
        tally.import_planks(code, PLANKS)
    tally.import_contests(code, CONTESTS)
    tally.set_state(code, MeetingState.VOTING_OPEN)
    return code


@pytest.fixture
def contest_meeting(tally: Tally) -> str:
    """One plank, then two contests: a mayor endorsement (4 lines, one "No endorsement") and a 3-seat committee."""
    return make_meeting(tally)


def open_ballot(
    page: Page, server: LiveServer, tally: Tally, code: str, lang: str = "en", *, who: str = "Marcus Bell"
) -> None:
    """Sign ``who`` in at the desk (the tally), then type the receipt's code on the kiosk in ``lang``."""
    token = tally.sign_in_member(code, member_id(tally, code, who)).token
    assert token
    page.goto(f"{server.url}/kiosk/")
    if lang != "en":
        page.locator(f"button.lang[value={lang}]").tap()
        expect(page.locator("html")).to_have_attribute("lang", lang)
    page.goto(f"{server.url}/kiosk/token")
    type_text(page, token + "\n")
    expect(page.locator("body")).to_have_attribute("data-screen", "ballot")
    if server.app.extensions["kiosk"].simulated:  # otherwise the presses are the screen's alone (no stream here)
        stream_open(page)


def words(lang: str) -> Callable[..., str]:
    return lambda key, **kw: i18n.translate(key, lang, **kw)


def on_screen(page: Page) -> Locator:
    return page.locator("section.contest:visible")


def ranking(page: Page) -> list[str]:
    """The "Your ranking" list on screen, first choice first (without the "your next choice" line)."""
    return on_screen(page).locator(".rank-list li:not(.next)").all_inner_texts()


def marked(page: Page) -> str | None:
    return on_screen(page).locator(".cand.marked").get_attribute("data-name")


def name_button(page: Page, name: str) -> Locator:
    return on_screen(page).locator(".cand", has_text=name)


def wait_lit(server: LiveServer, expected: set[str]) -> None:
    panel = server.app.extensions["kiosk"].panel
    assert wait_until(lambda: panel.lit() == expected, 3), (panel.lit(), expected)


def assert_fits_with_large_targets(page: Page) -> None:
    """One h1, every visible control at least 48x48 px (the kiosk's rule; WCAG 2.5.8 asks 24), nothing wider
    than the 800 px screen."""
    assert page.locator("h1").count() == 1
    sizes = page.eval_on_selector_all(
        "button:not([hidden])",
        "els => els.filter(e => e.offsetParent).map(e => {const r = e.getBoundingClientRect();"
        " return [e.textContent.trim(), r.width, r.height]})",
    )
    small = [s for s in sizes if s[1] < 48 or s[2] < 48]
    assert not small, small
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def shown_names(contest: Contest, lang: str) -> list[str]:
    return [i18n.candidate_name(c, lang) for c in contest.candidates]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_rank_and_cast_with_the_five_buttons_alone(
    lang: str, live_server: LiveServer, page: Page, tally: Tally, contest_meeting: str
) -> None:
    code = contest_meeting
    w = words(lang)
    status = page.locator("#choice-status")
    mayor, steering = tally.contests(code)
    ana, luis, mei, no_one = shown_names(mayor, lang)
    open_ballot(page, live_server, tally, code, lang)

    press(live_server, "yes")  # the plank
    expect(status).to_have_text(w("your_choice", choice=w("yes")))
    press(live_server, "confirm")

    # The first contest: one line of instruction, the first name marked, nothing ranked.
    expect(h1(page)).to_have_text(mayor.title_in(lang).text)
    expect(page.locator("#counter")).to_have_text(w("contest_n_of", n=1, total=2))
    expect(on_screen(page).locator(".rank-line")).to_have_text(w("rank_line"))
    expect(page.locator("#rank-help")).to_have_text(w("rank_help"))
    expect(status).to_have_text(w("rank_none_yet"))
    assert marked(page) == ana and ranking(page) == []
    wait_lit(live_server, {"yes", "no"})
    assert_accessible(page)

    press(live_server, "no")  # No: the next name
    expect(on_screen(page).locator(".cand.marked")).to_have_attribute("data-name", luis)
    press(live_server, "yes")  # Yes: ranks the marked name; the mark goes on to the next one not ranked
    expect(status).to_have_text(w("ranked_as", name=luis, n=1))
    expect(name_button(page, luis).locator(".badge")).to_have_text("1")
    press(live_server, "yes")
    expect(status).to_have_text(w("ranked_as", name=mei, n=2))
    assert ranking(page) == [luis, mei] and marked(page) == no_one
    wait_lit(live_server, {"yes", "no", "abstain"})
    press(live_server, "no")  # wraps round to the top, past nobody ranked
    expect(on_screen(page).locator(".cand.marked")).to_have_attribute("data-name", ana)
    press(live_server, "yes")
    expect(status).to_have_text(w("ranked_as", name=ana, n=3))
    press(live_server, "abstain")  # Abstain: takes the last choice off, and the mark goes back to it
    expect(status).to_have_text(w("rank_undone", name=ana))
    assert ranking(page) == [luis, mei] and marked(page) == ana
    # No only ever marks a name not ranked yet: with buttons alone a name cannot be ranked twice.
    for expected in (no_one, ana, no_one, ana):
        press(live_server, "no")
        expect(on_screen(page).locator(".cand.marked")).to_have_attribute("data-name", expected)
        assert on_screen(page).locator(".cand.marked.ranked").count() == 0
    assert_accessible(page)
    press(live_server, "confirm")

    # The second contest, left blank: the first Confirm says so, the second goes on.
    expect(h1(page)).to_have_text(steering.title_in(lang).text)
    expect(page.locator("#counter")).to_have_text(w("contest_n_of", n=2, total=2))
    press(live_server, "confirm")
    expect(status).to_have_text(w("rank_blank_warn"))
    expect(h1(page)).to_have_text(steering.title_in(lang).text)
    press(live_server, "confirm")

    # The review shows both rankings; Back returns to the contests with the rankings kept.
    expect(h1(page)).to_have_text(w("review_title"))
    expect(page.locator("[data-row-rank='0']")).to_have_text(f"1. {luis} · 2. {mei}")
    expect(page.locator("[data-row-rank='1']")).to_have_text(w("rank_blank"))
    wait_lit(live_server, {"confirm"})
    assert_accessible(page)
    press(live_server, "back")
    expect(h1(page)).to_have_text(steering.title_in(lang).text)
    press(live_server, "back")
    expect(h1(page)).to_have_text(mayor.title_in(lang).text)
    assert ranking(page) == [luis, mei]
    press(live_server, "confirm")
    press(live_server, "confirm")  # the blank contest was said once already: it goes on
    expect(h1(page)).to_have_text(w("review_title"))
    time.sleep(0.4)  # the review's guard against a double press (REVIEW_ARM_MS)
    press(live_server, "confirm")
    expect(h1(page)).to_contain_text(w("cast_title"))

    tally.set_state(code, MeetingState.CLOSED)
    ids = [c.id for c in mayor.candidates]
    assert tally.contest_rankings(code, mayor.id) == [(ids[1], ids[2])]
    assert tally.contest_rankings(code, steering.id) == [()]


def test_rank_by_touch_with_undo_clear_and_a_name_that_cannot_be_ranked_twice(
    live_server: LiveServer, page: Page, tally: Tally, contest_meeting: str
) -> None:
    code = contest_meeting
    w = words("en")
    status = page.locator("#choice-status")
    mayor, steering = tally.contests(code)
    open_ballot(page, live_server, tally, code)
    page.locator("[data-choice=no]").tap()
    page.locator("[data-act=next]").tap()

    expect(h1(page)).to_have_text("Mayor endorsement")
    page.get_by_role("button", name="Mei Chen").tap()
    page.get_by_role("button", name="Ana Díaz").tap()
    assert ranking(page) == ["Mei Chen", "Ana Díaz"]
    assert_fits_with_large_targets(page)
    # A ranked name stays where it is, dark, with its number; tapping it again changes nothing and says why.
    mei = name_button(page, "Mei Chen")
    expect(mei).to_have_attribute("aria-disabled", "true")
    expect(mei).to_have_class("cand ranked")
    mei.tap(force=True)  # force: Playwright itself will not tap a control marked disabled
    expect(status).to_have_text(w("already_ranked", name="Mei Chen", n=1))
    assert ranking(page) == ["Mei Chen", "Ana Díaz"]
    assert page.locator("[data-rank-input='0']").input_value() == f"{mayor.candidates[2].id},{mayor.candidates[0].id}"

    page.get_by_role("button", name=w("rank_undo")).tap()
    assert ranking(page) == ["Mei Chen"]
    page.get_by_role("button", name=w("rank_clear")).tap()
    expect(status).to_have_text(w("rank_cleared"))
    assert ranking(page) == []
    page.get_by_role("button", name=w("rank_undo")).tap()
    expect(status).to_have_text(w("rank_nothing"))
    page.get_by_role("button", name="No endorsement").tap()
    page.get_by_role("button", name="Luis Ortega").tap()
    page.locator("[data-act=next]").tap()

    expect(h1(page)).to_have_text("Steering committee")
    for name in ("Dev Patel", "Rosa Kim", "Beatriz Soto"):
        page.get_by_role("button", name=name).tap()
    assert ranking(page) == ["Dev Patel", "Rosa Kim", "Beatriz Soto"]
    assert_fits_with_large_targets(page)
    page.locator("[data-act=review]").tap()
    expect(page.locator("[data-row-rank='0']")).to_have_text("1. No endorsement · 2. Luis Ortega")
    expect(page.locator("[data-row-rank='1']")).to_have_text("1. Dev Patel · 2. Rosa Kim · 3. Beatriz Soto")
    assert_fits_with_large_targets(page)
    page.locator("[data-row-rank='0']").tap()  # a review row goes back to its contest, ranking kept
    expect(h1(page)).to_have_text("Mayor endorsement")
    assert ranking(page) == ["No endorsement", "Luis Ortega"]
    page.locator("[data-act=review]").tap()
    page.wait_for_timeout(350)
    page.get_by_role("button", name=w("cast")).tap()
    expect(h1(page)).to_contain_text(w("cast_title"))

    tally.set_state(code, MeetingState.CLOSED)
    m = [c.id for c in mayor.candidates]
    s = [c.id for c in steering.candidates]
    assert tally.contest_rankings(code, mayor.id) == [(m[3], m[1])]
    assert tally.contest_rankings(code, steering.id) == [(s[3], s[0], s[2])]


def test_rank_by_keyboard_on_a_ballot_of_contests_alone(live_server: LiveServer, page: Page, tally: Tally) -> None:
    code = make_meeting(tally, "EL1", planks=False)
    mayor, steering = tally.contests(code)
    w = words("es")
    open_ballot(page, live_server, tally, code, "es")

    # No planks: the ballot opens on the first contest, drawn by the server before any script runs.
    expect(h1(page)).to_have_text("Respaldo para la alcaldía")
    expect(page.locator("#options")).to_be_hidden()
    page.keyboard.press("ArrowDown")  # the arrows move the mark and the focus
    expect(name_button(page, "Luis Ortega")).to_be_focused()
    page.keyboard.press("Enter")  # Enter on a focused name ranks it
    expect(page.locator("#choice-status")).to_have_text(w("ranked_as", name="Luis Ortega", n=1))
    page.keyboard.press("Enter")  # Enter on a name already ranked is Confirm: the next contest
    expect(h1(page)).to_have_text("Comité directivo")
    page.keyboard.press("y")
    page.keyboard.press("n")
    page.keyboard.press("y")
    assert ranking(page) == ["Rosa Kim", "Beatriz Soto"]
    page.keyboard.press("a")
    assert ranking(page) == ["Rosa Kim"]
    page.keyboard.press("Backspace")  # back to the first contest, its ranking kept
    expect(h1(page)).to_have_text("Respaldo para la alcaldía")
    assert ranking(page) == ["Luis Ortega"]
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text(w("review_title"))
    expect(page.locator("#review-blank")).to_be_hidden()  # no planks: nothing about planks without a choice
    page.wait_for_timeout(350)
    page.keyboard.press("Enter")
    expect(h1(page)).to_contain_text(w("cast_title"))

    tally.set_state(code, MeetingState.CLOSED)
    assert tally.contest_rankings(code, mayor.id) == [(mayor.candidates[1].id,)]
    assert tally.contest_rankings(code, steering.id) == [(steering.candidates[0].id,)]
