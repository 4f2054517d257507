"""The attendance rule at the kiosk, in headless Chromium at 800x480: a member who attended too few of the last
closed meetings signs in, gets no ballot code, and is told why with the numbers, in English and in Spanish
(axe-core checks every page, and the screen once more as it is). The screen is shot too, checked for overflow;
``KIOSK_SCREENSHOTS=docs/screenshots`` writes the documentation's copies (as tests/test_kiosk_screenshots.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.config import Settings
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from tests.conftest import FIXTURES, FakeClock, LiveServer, assert_accessible
from tests.test_attendance_rule import ROSTER, held, ids, months_ago
from tests.test_kiosk_screenshots import shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def app(tally: Tally) -> Iterator[Flask]:
    """The kiosk as the Pi serves it (no simulated button panel), as the documentation's screenshots show it."""
    application = create_app(Settings(), tally, simulated=False, test_config={"TESTING": True})
    yield application
    application.extensions["kiosk"].close()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KIOSK_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def rule_meeting(tally: Tally, clock: FakeClock) -> dict[str, int]:
    """GA12, voting open, 2 of the last 3 closed meetings needed: Ana attended 2, Ben 1, Cy none."""
    tally.import_roster(ROSTER)
    who = ids(tally)
    held(tally, "P3", months_ago(clock, 3), [who["Ana"]])
    held(tally, "P2", months_ago(clock, 2), [who["Ana"], who["Ben"]])
    held(tally, "P1", months_ago(clock, 1), [])
    tally.create_meeting(
        code="GA12", title="General Assembly", starts=clock.now + timedelta(hours=2), min_attended=2, of_last=3
    )
    tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    return who


def _sign_in_by_name(page: Page, server: LiveServer, typed: str, shown: str) -> None:
    page.goto(f"{server.url}/kiosk/find?by=name")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.keyboard.type(typed + "\n")
    page.get_by_role("button", name=shown).tap()


def test_too_few_meetings_is_explained_in_english(
    live_server: LiveServer, page: Page, rule_meeting: dict[str, int], out_dir: Path
) -> None:
    _sign_in_by_name(page, live_server, "ben", "Ben O.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ben O.!")
    expect(page.locator(".notice[role=status]")).to_have_text(
        "You are welcome here, but you cannot vote at this meeting: you have attended 1 of the last 3 meetings; "
        "2 are needed to vote."
    )
    expect(page.get_by_role("button", name="Vote now")).to_have_count(0)
    expect(page.locator("#receipt-token")).to_have_count(0)
    assert_accessible(page)
    shoot(page, out_dir, "attendance-ineligible")
    # Enough meetings: the ballot code as usual.
    page.goto(f"{live_server.url}/kiosk/")
    _sign_in_by_name(page, live_server, "ana", "Ana R.")
    expect(page.locator("#receipt-token")).to_be_visible()


def test_too_few_meetings_is_explained_in_spanish(
    live_server: LiveServer, page: Page, rule_meeting: dict[str, int], out_dir: Path
) -> None:
    page.goto(f"{live_server.url}/kiosk/")
    page.locator("button.lang[value=es]").tap()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    _sign_in_by_name(page, live_server, "cy", "Cy P.")
    expect(page.get_by_role("heading", level=1)).to_have_text("¡Hola, Cy P.!")
    expect(page.locator(".notice[role=status]")).to_have_text(
        "Le damos la bienvenida, pero no puede votar en esta reunión: ha asistido a 0 de las últimas 3 reuniones; "
        "se necesitan 2 para votar."
    )
    expect(page.locator("#receipt-token")).to_have_count(0)
    assert_accessible(page)
    shoot(page, out_dir, "attendance-ineligible-es")
