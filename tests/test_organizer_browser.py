"""The organizer pages in headless Chromium: the whole meeting, live updates over SSE, and no script injection.

Set KIOSK_SCREENSHOTS=1 to write docs/screenshots/organizer-dashboard.png and organizer-projector.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from kiosk import accounts
from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import CHROMIUM, FIXTURES, LiveServer, assert_accessible, member_id
from tests.test_organizer import PASSWORD, XSS, organizer_settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

# The session's one browser is conftest's ``browser`` fixture.


@dataclass
class Served:
    url: str
    streams: Any


@pytest.fixture
def served(tally: Tally, tmp_path: Path, db_url: str) -> Iterator[Served]:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    settings = organizer_settings(tmp_path, db_url)
    settings = replace(settings, organizer=replace(settings.organizer, live_step=2))
    app = create_organizer_app(settings, tally, test_config={"ORGANIZER_KEEPALIVE_S": 0.3, "ORGANIZER_POLL_S": 0.2})
    server = LiveServer(app, threads=6, channel_request_lookahead=1)
    streams = app.extensions["organizer_streams"]
    try:
        yield Served(server.url, streams)
    finally:
        streams.stopping.set()  # open streams end, so their worker threads finish
        wait_until(lambda: streams.open == 0)
        server.stop()


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def counted(text: str, *, cast: int) -> int:
    match = re.search(r"(\d+) of (\d+) ballots counted", text)
    assert match is not None, text
    shown, total = int(match.group(1)), int(match.group(2))
    assert total == cast and 0 <= cast - shown < 2, (shown, total)
    return shown


def shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("KIOSK_SCREENSHOTS"):
        return ROOT / "docs" / "screenshots"
    return tmp_path


def test_a_whole_meeting_in_the_browser(browser_context: Any, served: Served, tally: Tally, tmp_path: Path) -> None:
    server = served.url
    context = browser_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"{server}/organizer/")
        assert "/organizer/login" in page.url
        page.fill("input[name=name]", "rosa")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        page.wait_for_url(f"{server}/organizer/")

        # Before the meeting: create it, import the roster and planks, see the reports.
        page.fill("input[name=code]", "GA12")
        page.fill("input[name=title]", "General Assembly")
        page.fill("input[name=starts]", "2026-12-03T19:00")
        page.fill("input[name=place]", "Community Center, Room 2")
        page.fill("input[name=quorum]", "25%")
        page.check("input[name=live_results_shown]")
        page.click("button:has-text('Create meeting')")
        page.wait_for_url(f"{server}/organizer/m/GA12")
        roster = (ROOT / "kiosk" / "data" / "demo-roster.csv").read_text(encoding="utf-8")
        roster += f'"{XSS}",,,member,2010-01-01\nNo Status Person,,,,\n'
        page.set_input_files(
            "form[action$='/import/roster'] input[type=file]",
            {"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode("utf-8")},
        )
        page.click("button:has-text('Import roster')")
        assert "Roster import report" in page.inner_text("#import-report")
        planks = (FIXTURES / "planks.csv").read_text(encoding="utf-8")
        page.set_input_files(
            "form[action$='/import/planks'] input[type=file]",
            {"name": "planks.csv", "mimeType": "text/csv", "buffer": planks.encode("utf-8")},
        )
        page.click("button:has-text('Import planks')")
        assert "Planks import report" in page.inner_text("#import-report")

        # Open sign-in and voting, each confirmed by typing the code.
        for action in ("Open sign-in", "Open voting"):
            page.click(f"a:has-text('{action}')")
            page.fill("input[name=confirm]", "GA12")
            page.click(f"button:has-text('{action}')")
            page.wait_for_url(f"{server}/organizer/m/GA12/dashboard")

        # Sign people in and let some vote, through the tally (the kiosk pages are another branch).
        ids = [p.id for p in tally.planks("GA12")]
        tokens = []
        names = [line.split(",")[0] for line in roster.splitlines()[1:] if line.strip()]
        members = [p for name in names for p in tally.find_people("GA12", name.strip('"')[:12])]
        members += tally.find_people("GA12", "onerror")
        seen: set[int] = set()
        for person in members:
            if person.member_id is None or person.member_id in seen:
                continue
            seen.add(person.member_id)
            signin = tally.sign_in_member("GA12", person.member_id)
            if signin.token:
                tokens.append(signin.token)
        tally.sign_in_guest("GA12", "Visiting Friend", station="door")
        assert len(tokens) >= 8
        pattern = ["yes", "yes", "no", "yes", "abstain", "yes", "no", "yes", "yes", "no"]

        page.goto(f"{server}/organizer/m/GA12/dashboard")
        before = page.inner_text("[data-k=ballots]")
        assert before.startswith("0 /")
        for i, token in enumerate(tokens[:7]):
            tally.cast_ballot("GA12", token, {pid: pattern[(i + j) % len(pattern)] for j, pid in enumerate(ids)})
        # The page updates itself over server-sent events: no reload.
        from playwright.sync_api import expect

        expect(page.locator("[data-k=ballots]")).to_have_text(re.compile(r"^7 /"), timeout=10_000)
        assert page.locator("svg.bars rect").count() > len(ids)
        # The per-plank figures cover all but fewer than one step (2) of the ballots, and move by whole steps.
        counted_before = counted(page.inner_text("#live"), cast=7)
        tally.cast_ballot("GA12", tokens[7], {pid: "no" for pid in ids})
        expect(page.locator("[data-k=ballots]")).to_have_text(re.compile(r"^8 /"), timeout=10_000)
        counted_after = counted(page.inner_text("#live"), cast=8)
        assert counted_after == counted_before or counted_after - counted_before >= 2
        page.screenshot(path=str(shots_dir(tmp_path) / "organizer-dashboard.png"), full_page=True)

        # The stream ends when its page goes away (noticed at the next keep-alive write).
        streams = served.streams
        wait_until(lambda: streams.open == 1)  # one stream per page (earlier pages' streams have ended)
        page.goto(f"{server}/organizer/m/GA12/people")
        wait_until(lambda: streams.open == 0)

        # The hostile roster name is text everywhere.
        page.goto(f"{server}/organizer/m/GA12/people")
        assert XSS in page.inner_text("table")
        assert page.locator("table img").count() == 0

        # Close (the page says it is final), then the projector shows the results.
        page.goto(f"{server}/organizer/m/GA12/dashboard")
        page.click("a:has-text('Close the meeting')")
        assert "final" in page.inner_text("main")
        page.fill("input[name=confirm]", "GA12")
        page.click("button:has-text('Close the meeting')")
        page.wait_for_url(f"{server}/organizer/m/GA12/dashboard")
        assert "Final results" in page.inner_text("#live")

        projector = context.new_page()
        projector.set_viewport_size({"width": 1920, "height": 1080})
        projector.goto(f"{server}/organizer/m/GA12/projector")
        assert "Final results" in projector.inner_text("main")
        assert "PASSES" in projector.inner_html("svg.bars") or "FAILS" in projector.inner_html("svg.bars")
        assert projector.locator("img").count() == 0
        projector.screenshot(path=str(shots_dir(tmp_path) / "organizer-projector.png"), full_page=True)
        projector.close()

        # Export the bundle from the page and verify it on "another machine" (no database, a new process).
        page.goto(f"{server}/organizer/m/GA12")
        with page.expect_download() as download:
            page.click("a:has-text('Meeting bundle')")
        bundle = tmp_path / "GA12-bundle.json"
        download.value.save_as(str(bundle))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", "audit", "verify", str(bundle)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        assert "bundle OK" in proc.stdout and "ballots hash" in proc.stdout
        attendance = page.request.get(f"{server}/organizer/m/GA12/export/attendance.csv").text()
        assert XSS in attendance
        assert dialogs == []
    finally:
        context.close()


def test_text_cost_updates_as_you_type_and_sending_needs_a_second_step(
    browser_context: Any, served: Served, tally: Tally, voting_meeting: str
) -> None:
    from playwright.sync_api import expect

    context = browser_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{served.url}/organizer/login")
        page.fill("input[name=name]", "rosa")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Log in')")
        page.goto(f"{served.url}/organizer/m/GA12/texts")
        expect(page.locator("#count")).to_contain_text("recipients ×")
        page.fill("textarea[name=body]", "Short text")
        expect(page.locator("#count")).to_contain_text("× 1 segment =")
        page.fill("textarea[name=body]", "Asamblea mañana 😀 " * 5)
        expect(page.locator("#count")).to_contain_text("× 2 segments =")
        page.click("button:has-text('Review before sending')")
        assert "Send" in page.inner_text("h1")
        page.click("button.primary:has-text('texts')")
        assert "texts queued" in page.inner_text("main")
    finally:
        context.close()


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours (0-255 components)."""

    def luminance(rgb: tuple[float, ...]) -> float:
        lin = [(c / 255 / 12.92) if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def test_every_organizer_page_passes_axe_and_shows_focus(
    browser_context: Any, served: Served, tally: Tally, voting_meeting: str
) -> None:
    """axe-core (through browser_context) on each organizer page at 1280x800; the focus ring has 3:1 contrast
    against what is behind it; the devices page updates in place instead of reloading."""
    from playwright.sync_api import expect

    from kiosk.device_status import set_device_status

    signin = tally.sign_in_member(voting_meeting, member_id(tally, voting_meeting, "Marcus"))
    assert signin.token
    context = browser_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{served.url}/organizer/login")
    assert_accessible(page)
    page.fill("input[name=name]", "rosa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{served.url}/organizer/")
    for path in ("", "m/GA12", "m/GA12/dashboard", "m/GA12/people", "m/GA12/rsvps", "m/GA12/texts", "devices"):
        page.goto(f"{served.url}/organizer/{path}")
        assert_accessible(page)
    page.goto(f"{served.url}/organizer/m/GA12/people")
    page.click("a:has-text('Reissue ballot code')")
    assert_accessible(page)
    page.goto(f"{served.url}/organizer/m/GA12/state/close")
    assert_accessible(page)
    page.goto(f"{served.url}/organizer/m/GA12/projector")
    assert_accessible(page)
    page.goto(f"{served.url}/verify")
    assert_accessible(page)

    # Keyboard focus on the light page and in the dark header: the ring is at least 3:1 against both.
    page.goto(f"{served.url}/organizer/m/GA12")
    for selector, behind in (("main a", "body"), ("header.top a", "header.top")):
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
        assert page.evaluate("() => document.activeElement.matches(':focus-visible')")
        background = page.evaluate(f"() => getComputedStyle(document.querySelector('{behind}')).backgroundColor")
        assert contrast(rgb(ring), rgb(background)) >= 3, (selector, ring, background)

    # The devices page: what changes arrives without a reload (a typed search or scroll position survives).
    page.goto(f"{served.url}/organizer/devices")
    page.evaluate("() => { window.notReloaded = true; }")
    set_device_status(
        tally.engine, "printer", ok=False, summary="Printer offline: paper out", detail={}, now=tally.clock()
    )
    expect(page.locator("#devices-live")).to_contain_text("Printer offline: paper out", timeout=8000)
    assert page.evaluate("() => window.notReloaded === true")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
