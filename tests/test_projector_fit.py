"""The projector view fits the screen it is shown on: 1280×800 and 1920×1080, with 6 planks and with 12.

Measured in headless Chromium: the page does not scroll, every element lies inside the viewport, each plank's
title ends before its PASSES/FAILS, and the plank text stays large enough to read from the room.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import accounts
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import CHROMIUM, LiveServer
from tests.test_organizer import PASSWORD, organizer_settings

pytestmark = pytest.mark.browser
if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

# Long titles, as platforms have them: the longest is cut by the page, the others must fit whole.
TITLES = [
    "Rent control and just-cause eviction protections for every tenant",
    "No corporate money in our campaigns, and every donor published",
    "A public bank for the city",
    "Free municipal broadband in every neighborhood, paid by a bond",
    "Community oversight of policing with subpoena power",
    "Climate: a Green New Deal for the refinery town and its workers",
    "Participatory budgeting for ten percent of the capital budget",
    "Living wage for every city contractor and subcontractor",
    "Language access: every city service in Spanish and Chinese",
    "Public power: buy out the utility's local grid",
    "Tenant right to counsel in every eviction case, city-funded",
    "Sanctuary city, with no cooperation with immigration raids",
]

MEASURE = """() => {
  const vw = innerWidth, vh = innerHeight, problems = [];
  const doc = document.documentElement;
  if (doc.scrollHeight > vh + 1) problems.push(`the page scrolls: ${doc.scrollHeight} px tall in ${vh}`);
  if (doc.scrollWidth > vw + 1) problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in ${vw}`);
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 1 || r.bottom > vh + 1 || r.left < -1 || r.top < -1) {
      const text = (el.textContent || '').trim().slice(0, 40);
      problems.push(`${el.tagName} "${text}" at ${Math.round(r.left)},${Math.round(r.top)}-` +
                    `${Math.round(r.right)},${Math.round(r.bottom)}`);
    }
  }
  const titles = [...document.querySelectorAll('svg.bars text.title')];
  for (const title of titles.filter(t => t.getBoundingClientRect().height > 0)) {
    const outcome = title.parentNode.querySelector(
      `text.outcome[data-row="${title.dataset.row}"]`);
    if (outcome && title.getBoundingClientRect().right > outcome.getBoundingClientRect().left - 4)
      problems.push(`plank ${title.dataset.row}: its title runs into its outcome`);
  }
  const shown = titles.filter(t => t.getBoundingClientRect().height > 0);
  const sizes = shown.map(t => t.getBoundingClientRect().height);
  return {problems, planks: shown.map(t => Number(t.dataset.row)), smallest: Math.min(...sizes),
          height: doc.scrollHeight};
}"""


@pytest.fixture
def projector_url(tally: Tally, tmp_path: Path, db_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    planks: int = request.param
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "text", "threshold"])
    for title in TITLES[:planks]:
        writer.writerow([title, f"{title}.", "two-thirds" if len(title) % 2 else "majority"])
    roster = "name,status,joined\n" + "".join(f"Voter {i:02d},member,2000-01-01\n" for i in range(9))
    tally.import_roster(roster)
    tally.create_meeting(
        code="GA12", title="General Assembly of the Richmond Progressive Alliance", starts="2026-12-03T19:00"
    )
    tally.import_planks("GA12", out.getvalue())
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    ids = [p.id for p in tally.planks("GA12")]
    for n, person in enumerate(tally.find_people("GA12", "voter", limit=20)):
        signin = tally.sign_in_member("GA12", person.member_id)  # type: ignore[arg-type]
        assert signin.token
        tally.cast_ballot(
            "GA12", signin.token, {pid: ("yes", "no", "abstain")[(n + i) % 3] for i, pid in enumerate(ids)}
        )
    tally.set_state("GA12", MeetingState.CLOSED)  # final results: PASSES/FAILS beside each title, the widest view
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    settings = organizer_settings(tmp_path, db_url)
    app = create_organizer_app(settings, tally, test_config={"ORGANIZER_KEEPALIVE_S": 0.3, "ORGANIZER_POLL_S": 0.2})
    server = LiveServer(app, threads=4, channel_request_lookahead=1)
    streams = app.extensions["organizer_streams"]
    try:
        yield f"{server.url}/organizer/m/GA12/projector"
    finally:
        streams.stopping.set()
        server.stop()


@pytest.mark.parametrize("projector_url", [6, 12], indirect=True, ids=["6-planks", "12-planks"])
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def test_the_projector_view_fits_without_scrolling(
    browser: Any, projector_url: str, size: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    width, height = size
    expected_planks = 12 if "12-planks" in request.node.name else 6
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10000)
    try:
        page = context.new_page()
        page.goto(projector_url)
        page.fill("input[name=name]", "rosa")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("svg.bars text.title")
        # Measured once its stylesheet is there: the planks are in the page before organizer.css has come, and
        # under load Chromium laid the page out unstyled (809 px tall in 800, the SVG at its natural height).
        page.wait_for_load_state("load")
        # Every plank is shown: six at a time, the pages turning (by themselves, or with the arrow key).
        seen: list[int] = []
        for _ in range(expected_planks // 6):
            found = page.evaluate(MEASURE)
            print(f"{width}x{height}: {found}")
            assert found["problems"] == [], found["problems"]
            # Readable from the back of the room: plank titles at least 24 px tall, even on a 1280×800 screen.
            assert found["smallest"] >= 24, found
            seen += found["planks"]
            page.keyboard.press("ArrowRight")
        assert seen == list(range(1, expected_planks + 1))
        if expected_planks == 12:
            assert page.locator(".proj-page-label:visible").inner_text().startswith("Planks 1–6 of 12")
    finally:
        context.close()
