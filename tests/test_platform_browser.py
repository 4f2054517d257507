"""The public ``/platform`` page in headless Chromium: no login, English and Spanish through its language switch,
axe-core clean in both (``browser_context`` checks every page), the history, and the print stylesheet.

``KIOSK_SCREENSHOTS=1`` writes the documentation's pictures (docs/screenshots/platform-*.png)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import CHROMIUM, LiveServer, assert_accessible
from tests.platform_support import hold_meeting
from tests.test_organizer import organizer_settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
if not CHROMIUM.exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

GA1 = (
    "title,text,threshold,title_es,text_es\n"
    "Rent control and just-cause eviction,Defend and expand rent stabilization and just-cause eviction protections "
    "for every tenant in the city.,majority,Control de alquileres y desalojo con causa justa,Defender y ampliar la "
    "estabilización de alquileres y la protección contra desalojos sin causa justa para cada inquilino.\n"
    "No corporate money,Our candidates accept no contributions from corporations or corporate PACs.,two-thirds,"
    "Sin dinero corporativo,Nuestras candidaturas no aceptan contribuciones de corporaciones ni de sus PAC.\n"
    "Public bank,Study and found a municipal public bank.,majority,Banca pública,Estudiar y fundar un banco "
    "municipal público.\n"
)
GA2 = (
    "title,text,threshold,amends,repeals,title_es,text_es\n"
    "Public bank now,Found a municipal public bank by 2028.,majority,Public bank,,Banca pública ya,"
    "Fundar un banco municipal público antes de 2028.\n"
    "Refinery accountability,Require the refinery to fund air monitoring in every neighborhood.,majority,,,"
    "Responsabilidad de la refinería,Exigir que la refinería pague el monitoreo del aire en cada barrio.\n"
)


@pytest.fixture
def served(tally: Tally, tmp_path: Path, db_url: str) -> Iterator[str]:
    hold_meeting(
        tally,
        "GA12",
        "2026-12-03T19:00",
        GA1,
        {
            "Rent control and just-cause eviction": (31, 9, 2),
            "No corporate money": (30, 12, 0),
            "Public bank": (22, 18, 2),
        },
    )
    hold_meeting(
        tally, "GA13", "2027-01-14T19:00", GA2, {"Public bank now": (27, 8, 3), "Refinery accountability": (12, 20, 6)}
    )
    app = create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})
    server = LiveServer(app)
    try:
        yield server.url
    finally:
        server.stop()


def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" / "screenshots" if os.environ.get("KIOSK_SCREENSHOTS") else tmp_path


def test_platform_page_in_english_and_spanish(browser_context: Any, served: str, tmp_path: Path) -> None:
    context = browser_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.goto(f"{served}/platform", wait_until="load")  # no login: the public page itself, not a redirect
    assert page.url == f"{served}/platform"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Our platform"
    titles = page.locator("article.plank h2").all_inner_texts()
    assert titles == ["Rent control and just-cause eviction", "No corporate money", "Public bank now"]
    assert "Adopted at GA12 (Assembly GA12) on December 3, 2026: 31 yes, 9 no (a majority needed)." in page.content()
    assert "Refinery accountability" not in page.content()  # failed: 12 yes, 20 no
    assert_accessible(page)
    page.screenshot(path=str(shots(tmp_path) / "platform.png"), full_page=True)

    page.click("header nav a[hreflang=es]")  # the language switch
    page.wait_for_url(f"{served}/platform?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Nuestro programa"
    titles = page.locator("article.plank h2").all_inner_texts()
    assert titles == ["Control de alquileres y desalojo con causa justa", "Sin dinero corporativo", "Banca pública ya"]
    assert "Aprobada en GA12 (Assembly GA12) el 3 de diciembre de 2026: 31 a favor, 9 en contra" in page.content()
    assert_accessible(page)
    page.screenshot(path=str(shots(tmp_path) / "platform-es.png"), full_page=True)

    page.click("text=Mostrar también las propuestas enmendadas y derogadas")
    page.wait_for_url("**/platform?lang=es&history=1")
    assert page.locator("article.ended h3").all_inner_texts() == ["Banca pública"]
    assert "Enmendada en GA13 el 14 de enero de 2027, sustituida por «Public bank now»." in page.content()
    assert_accessible(page)
    page.click("header nav a[hreflang=en]")  # the switch keeps the history
    page.wait_for_url("**/platform?lang=en&history=1")
    assert page.locator("h2.history").inner_text() == "No longer in force"
    assert_accessible(page)


def test_platform_prints_without_its_controls(browser_context: Any, served: str) -> None:
    page = browser_context(viewport={"width": 900, "height": 900}).new_page()
    page.goto(f"{served}/platform")
    page.emulate_media(media="print")
    assert not page.locator("[data-print]").is_visible()
    assert not page.locator("header nav").is_visible()
    assert page.locator("article.plank").first.is_visible()
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    page.emulate_media(media="screen")
    assert page.locator("[data-print]").is_visible()
