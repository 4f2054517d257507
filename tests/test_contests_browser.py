"""The contests on the organizer's set-up page and the rankings on /verify, in headless Chromium: axe-core finds
nothing, in English and Spanish, while the contests can be edited and once they are frozen."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.tally import MeetingState, Tally
from tests.conftest import CHROMIUM, assert_accessible, member_id
from tests.test_contests import CONTESTS_CSV
from tests.test_organizer import PASSWORD
from tests.test_organizer_browser import Served, served  # noqa: F401  (served is a fixture)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def test_contests_setup_and_verify_pass_axe(
    browser_context: Any,
    served: Served,  # noqa: F811
    tally: Tally,
    roster_csv: str,
) -> None:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    tally.import_contests("GA12", CONTESTS_CSV)
    page = browser_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{served.url}/organizer/login")
    page.fill("input[name=name]", "rosa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{served.url}/organizer/")

    page.goto(f"{served.url}/organizer/m/GA12")
    assert page.locator("#add-contest").count() == 1
    assert_accessible(page)  # editable: a form per contest, the add form, the import form
    page.fill("#add-contest input[name=title]", "Treasurer")
    page.fill("#add-contest textarea[name=candidates]", "Ana Díaz\nLuis Ortega")
    page.click("#add-contest button[type=submit]")
    page.wait_for_url(f"{served.url}/organizer/m/GA12#contests")
    assert [c.title for c in tally.contests("GA12")][-1] == "Treasurer"

    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    mayor = tally.contests("GA12")[0]
    token = tally.sign_in_member("GA12", member_id(tally, "GA12", "Marcus")).token
    assert token
    cast = tally.cast_ballot("GA12", token, {}, {mayor.id: [c.id for c in mayor.candidates[:2]]})
    page.goto(f"{served.url}/organizer/m/GA12")
    assert page.locator("#add-contest").count() == 0 and "Contests are fixed" in page.content()
    assert_accessible(page)  # frozen: the contests listed
    for lang in ("en", "es"):
        page.goto(f"{served.url}/verify/{cast.verification_code}?lang={lang}")
        assert page.locator("ol.ranked li").all_inner_texts()[:2] == ["Ana Díaz", "Luis Ortega"]
        assert_accessible(page)
