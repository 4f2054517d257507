"""The scorecard's pages in headless Chromium (issue 17): an organizer imports the ledger's files through the page
(CSV and several VoteEvent files at once), reads the report, browses by official and by plank, shows the
projector view; the public reads /scorecard. Every page passes axe-core in English and in Spanish.

Set KIOSK_SCREENSHOTS=1 to write docs/screenshots/scorecard-*.png (used by docs/accountability.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import accounts
from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import CHROMIUM, LiveServer, assert_accessible
from tests.ledger_support import LEDGER, adopt_platform
from tests.test_organizer import PASSWORD, organizer_settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture
def served(tally: Tally, tmp_path: Path, db_url: str) -> Iterator[str]:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    adopt_platform(tally)
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally)
    server = LiveServer(app, threads=4)
    try:
        yield server.url
    finally:
        server.stop()


def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" / "screenshots" if os.environ.get("KIOSK_SCREENSHOTS") else tmp_path


def import_file(page: Any, form: str, files: dict[str, Any]) -> str:
    """Upload through one import form; the report's summary."""
    card = page.locator(f"form[action*='/ledger/import/{form}']")
    for name, value in files.items():
        card.locator(f"input[name={name}]").set_input_files(value)
    card.locator("button[type=submit]").click()
    page.wait_for_selector("#import-report")
    assert_accessible(page)
    return page.locator("#import-report p").first.inner_text()


def test_import_browse_and_publish_in_both_languages(
    browser_context: Any, served: str, tally: Tally, tmp_path: Path
) -> None:
    out = shots(tmp_path)
    context = browser_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(f"{served}/organizer/login?next=/organizer/ledger")
    page.fill("input[name=name]", "rosa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{served}/organizer/ledger")
    assert page.locator("#empty").inner_text() == "No officials yet."

    assert import_file(page, "officials", {"file": str(LEDGER / "officials-messy.csv")}).startswith("4 lines")
    assert import_file(page, "pledges", {"file": str(LEDGER / "pledges-messy.csv")}).endswith("3 refused.")
    page.screenshot(path=str(out / "scorecard-import-report.png"), full_page=True)
    events = sorted(str(p) for p in (LEDGER / "ocd").glob("*.json"))
    summary = import_file(page, "ocd", {"files": events, "map": str(LEDGER / "ocd-map.csv")})
    assert summary == "7 lines imported (7 added, 0 updated, 0 unchanged), 2 refused."
    assert "vote_event_rent.json vote 5" in page.locator("#import-report").inner_text()
    # The council's own minutes (CSV) for the same meetings: what the VoteEvents lacked, and one correction.
    summary = import_file(page, "votes", {"file": str(LEDGER / "votes.csv")})
    assert summary == "9 lines imported (2 added, 1 updated, 6 unchanged), 0 refused."
    assert import_file(page, "pledges", {"file": str(LEDGER / "pledges-2026.csv")}).startswith("1 lines imported")

    # Spanish from the switch, then by official, by plank and the projector in both languages.
    page.goto(f"{served}/organizer/ledger")
    page.click("header a[hreflang=es]")
    page.wait_for_url("**lang=es**")
    assert page.locator("h1").inner_text() == "Historial de votaciones: cómo votaron quienes nos representan"
    for lang in ("en", "es"):
        page.goto(f"{served}/organizer/ledger?lang={lang}")
        assert_accessible(page)
        page.click("table.scorecard a:has-text('Ben Okafor')")
        page.wait_for_url("**/ledger/official?**")
        assert "Ben Okafor" in page.locator("h1").inner_text()
        assert_accessible(page)
        if lang == "en":
            page.goto(f"{served}/organizer/ledger/official?name=Carla+D%C3%ADaz")
            assert "Pledged to support “Rent control”, then voted against it once" in page.content()
            page.screenshot(path=str(out / "scorecard-official.png"), full_page=True)
        page.goto(f"{served}/organizer/ledger/planks?lang={lang}")
        assert_accessible(page)
        if lang == "es":
            assert page.locator("h2").first.inner_text() == "Control de alquileres"
        page.goto(f"{served}/organizer/ledger/projector?lang={lang}")
        assert_accessible(page)
        page.screenshot(path=str(out / f"scorecard-projector{'-es' if lang == 'es' else ''}.png"))

    # The public page: no login (a fresh context), both languages.
    public = browser_context(viewport={"width": 1024, "height": 768}).new_page()
    for lang, heading in (("en", "Scorecard: how our officials voted"), ("es", "Historial de votaciones")):
        public.goto(f"{served}/scorecard?lang={lang}")
        assert public.locator("h1").inner_text().startswith(heading)
        assert public.locator("table.scorecard tbody tr").count() == 4
        assert_accessible(public)
        public.screenshot(path=str(out / f"scorecard-public{'-es' if lang == 'es' else ''}.png"), full_page=True)
    assert public.locator("form[action*=logout]").count() == 0
