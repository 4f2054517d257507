"""Contests on the web (issue 16, contests-core): the organizer's set-up page (add, edit, move, remove, import;
frozen once voting opens), the public /verify page and the printed ballot receipt showing a ballot's rankings
in English and Spanish."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kiosk import accounts
from kiosk.tally import MeetingState, Tally
from kiosk.web.organizer import create_organizer_app
from tests.conftest import member_id
from tests.printer_emulator import PrinterEmulator, decode
from tests.test_contests import CONTESTS_CSV
from tests.test_kiosk_printing import make_app, settings_for
from tests.test_organizer import PASSWORD, logged_in, organizer_settings, post


@pytest.fixture
def organizer(tally: Tally, tmp_path: Path, db_url: str) -> Flask:
    accounts.add_organizer(tally.engine, "rosa", PASSWORD)
    return create_organizer_app(organizer_settings(tmp_path, db_url), tally, test_config={"TESTING": True})


@pytest.fixture
def draft(tally: Tally, roster_csv: str) -> str:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    return "GA12"


def _upload(text: str) -> dict[str, Any]:
    return {"file": (io.BytesIO(text.encode("utf-8")), "contests.csv")}


def test_setup_page_adds_edits_moves_and_removes_contests(tally: Tally, draft: str, organizer: Flask) -> None:
    client = logged_in(organizer)
    added = post(
        client,
        "/organizer/m/GA12/contests",
        {
            "title": "Treasurer",
            "title_es": "Tesorería",
            "seats": "1",
            "method": "",
            "threshold": "60%",
            "candidates": "Ana Díaz\n\n  Luis   Ortega \n",
            "no_endorsement": "on",
        },
        follow_redirects=True,
    )
    assert "Contest added: Treasurer (3 candidates)" in added.get_data(as_text=True)
    (treasurer,) = tally.contests(draft)
    assert [c.name for c in treasurer.candidates] == ["Ana Díaz", "Luis Ortega", "No endorsement"]
    assert treasurer.candidates[-1].no_endorsement and str(treasurer.threshold_percent) == "60"
    assert treasurer.title_in("es").text == "Tesorería"

    refused = post(
        client,
        "/organizer/m/GA12/contests",
        {"title": "Board", "seats": "2", "method": "irv", "candidates": "A\nB\nC"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Contest not added: instant-runoff (irv) fills one seat" in refused and len(tally.contests(draft)) == 1

    post(
        client,
        f"/organizer/m/GA12/contests/{treasurer.id}/edit",
        {
            "title": "Treasurer",
            "title_es": "",
            "seats": "2",
            "method": "stv",
            "threshold": "",
            "decimal_places": "6",
            "candidates": "Luis Ortega\nAna Díaz\nMei Chen",
        },
    )
    (edited,) = tally.contests(draft)
    assert [c.name for c in edited.candidates] == ["Luis Ortega", "Ana Díaz", "Mei Chen"]
    assert (edited.seats, str(edited.method), edited.threshold_percent, edited.decimal_places) == (2, "stv", None, 6)
    assert edited.tiebreak_seed == treasurer.tiebreak_seed  # editing keeps the seed drawn at set-up
    assert edited.title_in("es").lang == "en"  # the translation emptied: the original is shown

    post(client, "/organizer/m/GA12/import/contests", _upload(CONTESTS_CSV), content_type="multipart/form-data")
    assert [c.title for c in tally.contests(draft)] == ["Treasurer", "Mayor endorsement", "Steering committee"]
    post(client, f"/organizer/m/GA12/contests/{edited.id}/move", {"direction": "down"})
    assert [c.title for c in tally.contests(draft)][:2] == ["Mayor endorsement", "Treasurer"]

    post(client, f"/organizer/m/GA12/contests/{edited.id}/remove", {})  # not confirmed: kept
    assert len(tally.contests(draft)) == 3
    post(client, f"/organizer/m/GA12/contests/{edited.id}/remove", {"confirm": "yes"})
    assert [c.title for c in tally.contests(draft)] == ["Mayor endorsement", "Steering committee"]
    page = client.get("/organizer/m/GA12").get_data(as_text=True)
    assert 'id="contests"' in page and "Respaldo para la alcaldía" in page and "Import contests" in page


def test_bad_contests_upload_reports_the_line_and_changes_nothing(tally: Tally, draft: str, organizer: Flask) -> None:
    client = logged_in(organizer)
    bad = "contest,candidate,seats\nMayor,Ana,1\nMayor,Luis,2\n"
    page = post(
        client,
        "/organizer/m/GA12/import/contests",
        _upload(bad),
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "line 3: seats &#39;2&#39; differs" in page and tally.contests(draft) == []
    report = post(
        client, "/organizer/m/GA12/import/contests", _upload(CONTESTS_CSV), content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Contests import report" in report and "2 added" in report


def test_setup_page_contests_frozen_once_voting_opens(tally: Tally, draft: str, organizer: Flask) -> None:
    tally.import_contests(draft, CONTESTS_CSV)
    tally.set_state(draft, MeetingState.VOTING_OPEN)
    client = logged_in(organizer)
    mayor = tally.contests(draft)[0]
    answers = [
        post(client, "/organizer/m/GA12/contests", {"title": "Late", "candidates": "A\nB"}, follow_redirects=True),
        post(
            client,
            f"/organizer/m/GA12/contests/{mayor.id}/edit",
            {"title": "X", "candidates": "A"},
            follow_redirects=True,
        ),
        post(client, f"/organizer/m/GA12/contests/{mayor.id}/remove", {"confirm": "yes"}, follow_redirects=True),
        post(
            client,
            "/organizer/m/GA12/import/contests",
            _upload(CONTESTS_CSV),
            content_type="multipart/form-data",
            follow_redirects=True,
        ),
    ]
    for answer in answers:
        assert "cannot change once voting has opened" in answer.get_data(as_text=True)
    assert tally.contests(draft)[0] == mayor and len(tally.contests(draft)) == 2
    page = client.get("/organizer/m/GA12").get_data(as_text=True)
    assert "Contests are fixed once voting has opened." in page and "Ana Díaz" in page


def _cast_ranked(tally: Tally, code: str, name: str) -> Any:
    mayor, steering = tally.contests(code)
    by_name = {c.name: c.id for c in mayor.candidates}
    token = tally.sign_in_member(code, member_id(tally, code, name)).token
    assert token
    return tally.cast_ballot(code, token, {}, {mayor.id: [by_name["Mei Chen"], by_name["Ana Díaz"]], steering.id: []})


def test_verify_page_shows_rankings_in_english_and_spanish(tally: Tally, draft: str, organizer: Flask) -> None:
    tally.import_contests(draft, CONTESTS_CSV)
    tally.set_state(draft, MeetingState.VOTING_OPEN)
    cast = _cast_ranked(tally, draft, "Marcus")
    client = organizer.test_client()
    english = client.get(f"/verify/{cast.verification_code}").get_data(as_text=True)
    assert "<h3>Mayor endorsement</h3>" in english
    assert '<ol class="ranked"><li>Mei Chen</li><li>Ana Díaz</li></ol>' in english
    assert "You ranked nobody in this contest." in english
    spanish = client.get(f"/verify/{cast.verification_code}?lang=es").get_data(as_text=True)
    assert "<h3>Respaldo para la alcaldía</h3>" in spanish and "No marcó ninguna preferencia." in spanish
    assert '<ol class="ranked"><li>Mei Chen</li><li>Ana Díaz</li></ol>' in spanish


@pytest.mark.parametrize("language", ["en", "es"])
def test_ballot_receipt_prints_rankings_when_the_meeting_shows_choices(
    tally: Tally, draft: str, app_config: dict[str, Any], language: str
) -> None:
    tally.update_meeting(draft, show_choices_on_receipt=True)
    tally.import_contests(draft, CONTESTS_CSV)
    tally.set_state(draft, MeetingState.VOTING_OPEN)
    mayor, steering = tally.contests(draft)
    ids = {c.name: c.id for c in mayor.candidates}
    token = tally.sign_in_member(draft, member_id(tally, draft, "Marcus")).token
    with PrinterEmulator() as emulator:
        app, services = make_app(tally, settings_for(emulator.url), app_config, simulated=False)
        try:
            client = app.test_client()
            if language == "es":
                client.post("/kiosk/lang", data={"lang": "es"})
            assert client.post("/kiosk/token", data={"token": token}).status_code == 303
            form = {f"rank-{mayor.id}": f"{ids['Luis Ortega']},{ids['Ana Díaz']}", f"rank-{steering.id}": ""}
            assert client.post("/kiosk/ballot/cast", data=form).status_code == 303
            (job,) = emulator.wait_for_jobs(1, timeout=10)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    text = decode(job).text
    heading, title, nothing = {
        "en": ("Your rankings", "Mayor endorsement", "(nobody ranked)"),
        "es": ("Su orden de preferencia", "Respaldo para la alcald", "(no marc"),
    }[language]
    assert heading in text and title in text and nothing in text
    assert "1. Luis Ortega" in text and "2. Ana D" in text and "Marcus" not in text
