"""The contests' round-by-round results in headless Chromium after the close: the dashboard (axe-core checks every
page the browser context opens) and the projector, whose contest pages fit 1280×800 and 1920×1080 without
scrolling, with twelve candidates over many rounds.

Set KIOSK_SCREENSHOTS=1 to write docs/screenshots/organizer-contests-dashboard.png and
organizer-contests-projector.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import accounts
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import CHROMIUM, FIXTURES, LiveServer
from tests.test_contest_results import CONTESTS_CSV, cast_all
from tests.test_organizer import PASSWORD, organizer_settings
from tests.test_projector_fit import MEASURE

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

TWELVE = [
    "Adaeze Okafor",
    "Bruno Silva",
    "Carmen Ruiz",
    "Daniel Cohen",
    "Esther Nakamura",
    "Farid Rahimi",
    "Grace Liu",
    "Hector Morales",
    "Imani Brooks",
    "Jonas Berg",
    "Keiko Tanaka",
    "Leila Haddad",
]


@pytest.fixture
def served(tally: Tally, tmp_path: Path, db_url: str) -> Iterator[str]:
    """GA16 closed: the two contests of test_contest_results, and a twelve-candidate, three-seat election."""
    tally.create_meeting(
        code="GA16", title="Endorsements and elections", starts="2026-12-03T19:00", guests_may_vote=True
    )
    tally.import_planks("GA16", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    big = "".join(
        f"Board of directors,,{'3' if i == 0 else ''},{'stv' if i == 0 else ''},,{name},\n"
        for i, name in enumerate(TWELVE)
    )
    tally.import_contests("GA16", CONTESTS_CSV + big)
    tally.set_state("GA16", MeetingState.VOTING_OPEN)
    cast_all(tally, "GA16", extra=_board_rankings(tally))
    tally.set_state("GA16", MeetingState.CLOSED)
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    app = create_organizer_app(
        organizer_settings(tmp_path, db_url), tally, test_config={"ORGANIZER_KEEPALIVE_S": 0.3, "ORGANIZER_POLL_S": 0.2}
    )
    server = LiveServer(app, threads=4, channel_request_lookahead=1)
    streams = app.extensions["organizer_streams"]
    try:
        yield server.url
    finally:
        streams.stopping.set()
        server.stop()


def _board_rankings(tally: Tally) -> list[dict[int, list[int]]]:
    board = next(c for c in tally.contests("GA16") if c.title == "Board of directors")
    ids = [c.id for c in board.candidates]
    # Ten ballots, each ranking most of the field from a different starting point: many rounds, surpluses.
    return [{board.id: [ids[(start * 5 + k) % 12] for k in range(9)]} for start in range(10)]


def shots_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" / "screenshots" if os.environ.get("KIOSK_SCREENSHOTS") else tmp_path


def login(page: Any, url: str) -> None:
    page.goto(url)
    page.fill("input[name=name]", "rosa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_dashboard_shows_every_round(browser_context: Any, served: str, tmp_path: Path) -> None:
    context = browser_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, f"{served}/organizer/m/GA16/dashboard")
    page.wait_for_selector("section.contest table.rounds")
    assert page.locator("section.contest").count() == 3
    mayor = page.locator("section.contest[data-contest='1']")
    assert "No endorsement: Luis Ortega won with 55.56% of the final round" in mayor.inner_text()
    assert mayor.locator("thead th").all_inner_texts() == ["Candidate", "Round 1", "Round 2", "Round 3"]
    page.locator("section.contest[data-contest='1']").scroll_into_view_if_needed()
    page.screenshot(path=str(shots_dir(tmp_path) / "organizer-contests-dashboard.png"))


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def test_projector_contest_pages_fit(browser_context: Any, served: str, tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    context = browser_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, f"{served}/organizer/m/GA16/projector")
    page.wait_for_selector("svg.bars")
    pages = page.locator(".proj-page").count()
    assert pages == 1 + 3  # six planks on one page, then one page per contest
    for number in range(1, pages):
        page.evaluate("() => window.turnProjectorPage()")
        shown = page.locator(".proj-page:visible")
        assert shown.get_attribute("data-contest") == str(number)
        found = page.evaluate(MEASURE)
        assert found["problems"] == [], found["problems"]
        # The round table stays readable from the room: names and figures at least 14 px tall at 1280×800.
        smallest = page.evaluate(
            "() => Math.min(...[...document.querySelectorAll('.proj-page:not([hidden]) svg.rounds text')]"
            ".map(t => t.getBoundingClientRect().height))"
        )
        assert smallest >= 14, smallest
        if number == 3 and size == (1280, 800):
            page.screenshot(path=str(shots_dir(tmp_path) / "organizer-contests-projector.png"))
