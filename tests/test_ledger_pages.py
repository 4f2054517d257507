"""The scorecard's pages (issue 17): the public ``/scorecard`` (no login, English and Spanish) and the organizer's
ledger pages: imports with a report (CSV and VoteEvent uploads, hostile files), by official, by plank, the
projector and the CSV download. Flask's test client on SQLite and PostgreSQL; Chromium is in
test_ledger_browser."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask

from kiosk import accounts
from kiosk.tally import Tally
from kiosk.web.organizer import create_organizer_app
from tests.ledger_support import LEDGER, adopt_platform, import_ledger
from tests.test_organizer import PASSWORD, XSS, logged_in, organizer_settings, post


@pytest.fixture
def app(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    adopt_platform(tally)
    return create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})


def upload(name: str, data: bytes | None = None) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data if data is not None else (LEDGER / name).read_bytes()), name


def test_public_scorecard_needs_no_login_in_both_languages(app: Flask, tally: Tally) -> None:
    client = app.test_client()
    empty = client.get("/scorecard")
    assert empty.status_code == 200 and "No officials yet." in empty.get_data(as_text=True)
    import_ledger(tally)
    english = client.get("/scorecard").get_data(as_text=True)
    assert '<html lang="en">' in english and "Scorecard: how our officials voted" in english
    assert "Ana Ruiz" in english and "<strong>100%</strong>" in english and "<strong>33%</strong>" in english
    assert "Answered no to “Rent control” on the questionnaire" in english
    spanish = client.get("/scorecard?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Historial de votaciones" in spanish
    assert "Respondió que no a «Control de alquileres» en el cuestionario" in spanish
    assert "sin votos todavía" in spanish  # Dan Moss: absent only
    by_browser = client.get("/scorecard", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es">' in by_browser


def test_names_and_matters_are_escaped(app: Flask, tally: Tally) -> None:
    tally.import_officials(f'name,office\n"{XSS}",Mayor\n')
    tally.import_votes(f'date,matter,official,vote,plank,yes_means\n2026-03-04,"{XSS}","{XSS}",yes,Rent control,for\n')
    body = app.test_client().get("/scorecard").get_data(as_text=True)
    assert "onerror" in body and "<img src=x" not in body
    client = logged_in(app)
    for path in ("/organizer/ledger", "/organizer/ledger/planks", "/organizer/ledger/projector"):
        assert "<img src=x" not in client.get(path).get_data(as_text=True)
    page = client.get("/organizer/ledger/official", query_string={"name": XSS})
    assert page.status_code == 200 and "<img src=x" not in page.get_data(as_text=True)


def test_imports_from_the_page_with_a_report(app: Flask, tally: Tally) -> None:
    client = logged_in(app)
    page = post(client, "/organizer/ledger/import/officials", {"file": upload("officials-messy.csv")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "4 lines imported (4 added, 0 updated, 0 unchanged), 0 refused." in text
    page = post(client, "/organizer/ledger/import/pledges?lang=es", {"file": upload("pledges-messy.csv")})
    text = page.get_data(as_text=True)
    assert "3 líneas importadas (3 nuevas, 0 actualizadas, 0 sin cambios), 3 rechazadas." in text
    assert "line 6: unknown official &#39;Nobody Known&#39;" in text
    page = post(client, "/organizer/ledger/import/votes", {"file": upload("votes.csv")})
    assert "9 lines imported (9 added" in page.get_data(as_text=True)
    files = [upload(p.name, p.read_bytes()) for p in sorted((LEDGER / "ocd").glob("*.json"))]
    page = post(client, "/organizer/ledger/import/ocd", {"files": files, "map": upload("ocd-map.csv")})
    text = page.get_data(as_text=True)
    # the same meetings as the CSV: the same records (Carla's "not voting" replaces the CSV's yes)
    assert "7 lines imported (0 added, 1 updated, 6 unchanged), 2 refused." in text
    assert "vote_event_rent.json vote 5: vote &#39;paired&#39;" in text


@pytest.mark.parametrize(
    ("what", "files", "message"),
    [
        ("officials", {"file": ("x.csv", b"name\nAna \xff\n")}, "not UTF-8 text"),
        ("officials", {}, "choose a CSV file first"),
        ("votes", {"file": ("x.csv", b"date,official\n")}, "has no &#39;matter&#39;"),
        ("ocd", {"map": ("ocd-map.csv", None)}, "choose the VoteEvent JSON files first"),
        ("ocd", {"files": ("a.json", b"{}")}, "choose the map CSV"),
    ],
)
def test_unusable_uploads_are_one_clear_error_and_change_nothing(
    app: Flask, tally: Tally, what: str, files: dict[str, tuple[str, bytes | None]], message: str
) -> None:
    client = logged_in(app)
    data = {field: upload(name, content) for field, (name, content) in files.items()}
    response = post(client, f"/organizer/ledger/import/{what}", data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page and tally.scorecard() == []


def test_browse_by_official_and_by_plank_projector_and_csv(app: Flask, tally: Tally) -> None:
    import_ledger(tally)
    tally.import_pledges("name,plank,pledge,date\nCarla Díaz,Rent control,yes,2026-01-01\n")
    client = logged_in(app)
    overview = client.get("/organizer/ledger").get_data(as_text=True)
    assert "/organizer/ledger/official?name=Ana+Ruiz" in overview
    carla = client.get("/organizer/ledger/official?name=carla+diaz&lang=es").get_data(as_text=True)
    assert "Se comprometió a apoyar «Control de alquileres» y luego votó en contra 1 vez" in carla
    assert "1 de abril de 2026" in carla and "Ord. 3-26" in carla
    assert client.get("/organizer/ledger/official?name=Nobody").status_code == 404
    assert client.get("/organizer/ledger/official?name=%00").status_code in (400, 404)
    planks = client.get("/organizer/ledger/planks").get_data(as_text=True)
    assert planks.index("Rent control") < planks.index("Public bank") and "answered no" in planks
    projector = client.get("/organizer/ledger/projector?lang=es").get_data(as_text=True)
    assert "Cómo votaron quienes nos representan" in projector and "<strong>33%</strong>" in projector
    csv_file = client.get("/organizer/ledger/scorecard.csv")
    assert csv_file.mimetype == "text/csv" and csv_file.get_data(as_text=True).startswith("name,office,body")
    assert app.test_client().get("/organizer/ledger/scorecard.csv").status_code == 401
    assert client.post("/organizer/ledger/import/roster").status_code in (400, 403, 404)
