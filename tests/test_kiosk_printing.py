"""The kiosk pages with the real services: sign-in and ballot receipts go through the print queue to a printer
(the TCP emulator), a printer in trouble is reported kindly, and the demo's phone and receipt pages work."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.config import Settings
from kiosk.services import Services, start_services
from kiosk.tally import Tally
from kiosk.web.app import create_app
from tests.printer_emulator import PrinterEmulator, decode


def settings_for(printer_url: str) -> Settings:
    base = Settings()
    return replace(base, printer=replace(base.printer, url=printer_url, timeout_s=1.0))


@pytest.fixture
def emulator() -> Iterator[PrinterEmulator]:
    with PrinterEmulator() as printer:
        yield printer


def make_app(tally: Tally, settings: Settings, app_config: dict[str, Any], simulated: bool) -> tuple[Flask, Services]:
    services = start_services(settings, tally, simulated=simulated)
    app = create_app(settings, tally, simulated=simulated, test_config=app_config, services=services)
    return app, services


def sign_in_and_vote(client: FlaskClient, tally: Tally, code: str) -> tuple[str, str]:
    client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
    html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
    token = re.search(r'id="receipt-token">([A-Z0-9-]+)<', html).group(1)  # type: ignore[union-attr]
    client.post("/kiosk/vote")
    form = {f"choice-{p.id}": "yes" for p in tally.planks(code)}
    done = client.post("/kiosk/ballot/cast", data=form, follow_redirects=True).get_data(as_text=True)
    verification = re.search(r'id="verification">([A-Z0-9-]+)<', done).group(1)  # type: ignore[union-attr]
    return token, verification


def test_signin_and_ballot_receipts_print(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any], emulator: PrinterEmulator
) -> None:
    app, services = make_app(tally, settings_for(emulator.url), app_config, simulated=False)
    try:
        token, verification = sign_in_and_vote(app.test_client(), tally, voting_meeting)
        jobs = emulator.wait_for_jobs(2, timeout=10)
    finally:
        app.extensions["kiosk"].close()
        services.stop()
    signin_text, ballot_text = (decode(job).text for job in jobs[:2])
    assert "Marcus B." in signin_text and token in signin_text
    assert verification in ballot_text and "Marcus" not in ballot_text
    jobs_left = services.queue.jobs()
    assert all(j.payload is None for j in jobs_left)  # token and code erased once printed
    assert not any(verification.replace("-", "") in j.dedupe_key.replace("-", "") for j in jobs_left)
    assert not any(token.replace("-", "") in j.dedupe_key.replace("-", "") for j in jobs_left)


def test_printer_trouble_is_said_and_the_signin_kept(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any]
) -> None:
    with PrinterEmulator(mode="refuse") as offline:
        app, services = make_app(tally, settings_for(offline.url), app_config, simulated=False)
        try:
            client = app.test_client()
            client.post("/kiosk/find", data={"by": "name", "q": "Keisha"}, follow_redirects=True)
            client.post("/kiosk/signin", data={"pick": "0"})
            deadline = time.monotonic() + 10
            while services.printer_ok() and time.monotonic() < deadline:
                time.sleep(0.05)
            html = client.get("/kiosk/signed-in").get_data(as_text=True)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    assert "The printer needs attention; your sign-in is saved." in html
    assert tally.results(voting_meeting).ballots_issued == 1 and services.queue.pending() == 1


@pytest.mark.sqlite_only
def test_a_receipt_that_cannot_be_queued_is_said_plainly(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any]
) -> None:
    # The database takes the sign-in but refuses the print job (as when the disk fills between the two; see
    # tests/test_faults_disk_full.py for a real full disk). Here the queue's table is gone once the app is up.
    with PrinterEmulator() as printer:
        app, services = make_app(tally, settings_for(printer.url), app_config, simulated=False)
        with tally.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE print_jobs RENAME TO print_jobs_gone")
        try:
            client = app.test_client()
            client.post("/kiosk/find", data={"by": "name", "q": "Keisha"}, follow_redirects=True)
            html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    assert "your receipt could not be printed. Write down your ballot code below" in html
    assert "will print when it is fixed" not in html  # nothing is queued: it would never print
    assert 'id="receipt-token"' in html and tally.results(voting_meeting).ballots_issued == 1


def test_demo_phone_and_receipt_pages(tally: Tally, voting_meeting: str, app_config: dict[str, Any]) -> None:
    app, services = make_app(tally, Settings().simulated(), app_config, simulated=True)
    try:
        client = app.test_client()
        assert client.post("/simulate/phone", data={"from": "+15105550101", "body": "yes 2"}).status_code == 302
        deadline = time.monotonic() + 10
        page = ""
        while "You&#39;re a YES" not in page and time.monotonic() < deadline:
            time.sleep(0.1)
            page = client.get("/simulate/phone?from=%2B15105550101").get_data(as_text=True)
        assert "yes 2" in page and "You&#39;re a YES for General Assembly" in page
        sign_in_and_vote(client, tally, voting_meeting)
        deadline = time.monotonic() + 10
        while len(services.printer.recent()) < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        receipts = client.get("/simulate/receipts").get_data(as_text=True)
        assert "Marcus B." in receipts
    finally:
        app.extensions["kiosk"].close()
        services.stop()
    assert [r.answer for r in tally.current_rsvps(voting_meeting)] == ["yes"]


def test_demo_pages_absent_outside_simulation(tally: Tally, app_config: dict[str, Any]) -> None:
    app, services = make_app(tally, Settings(), app_config, simulated=False)
    try:
        client = app.test_client()
        assert client.get("/simulate/phone").status_code == 404
        assert client.get("/simulate/receipts").status_code == 404
    finally:
        app.extensions["kiosk"].close()
        services.stop()


def test_button_presses_reach_the_devices_status(tally: Tally, voting_meeting: str, app_config: dict[str, Any]) -> None:
    from kiosk.device_status import device_statuses

    app, services = make_app(tally, Settings().simulated(), app_config, simulated=True)
    try:
        client = app.test_client()
        assert client.post("/simulate/button/yes").status_code == 204
        deadline = time.monotonic() + 10
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = device_statuses(tally.engine).get("buttons") or {}
            if str(status.get("detail", {}).get("yes", "")).startswith("1 presses"):
                break
            time.sleep(0.1)
    finally:
        app.extensions["kiosk"].close()
        services.stop()
    assert status["ok"] and status["detail"]["yes"].startswith("1 presses")
    assert status["detail"]["no"] == "0 presses"


@pytest.mark.sqlite_only
def test_a_printer_status_that_cannot_be_read_is_logged_not_shown(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # The device status lives in the database: when it cannot be read (here its table is gone), the signed-in page
    # still shows the sign-in and says nothing about the printer, and the log keeps the reason.
    with PrinterEmulator() as printer:
        app, services = make_app(tally, settings_for(printer.url), app_config, simulated=False)
        try:
            client = app.test_client()
            client.post("/kiosk/find", data={"by": "name", "q": "Keisha"}, follow_redirects=True)
            client.post("/kiosk/signin", data={"pick": "0"})
            with tally.engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE device_status RENAME TO device_status_gone")
            with caplog.at_level(logging.WARNING, logger="kiosk.web.kiosk"):
                html = client.get("/kiosk/signed-in").get_data(as_text=True)
            unreadable = caplog.text
            caplog.clear()
            # A bug in the check (not a database trouble) is logged with its traceback, and the page still renders.
            app.extensions["kiosk"].printer_ok = lambda: 1 // 0 == 0
            with caplog.at_level(logging.WARNING, logger="kiosk.web.kiosk"):
                buggy = client.get("/kiosk/signed-in").get_data(as_text=True)
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    assert 'id="receipt-token"' in html and "printer needs attention" not in html
    assert "printer status unknown" in unreadable and "device_status" in unreadable
    assert 'id="receipt-token"' in buggy and "ZeroDivisionError" in caplog.text


def test_the_receipts_verification_link_works_on_the_organizer_listener(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any], emulator: PrinterEmulator, tmp_path: Any
) -> None:
    """One verification address: the receipt's QR code, the receipt's text and the kiosk's "cast" screen all
    give BASE/verify/CODE, BASE being where the organizer listener is reached, and that address answers there."""
    from urllib.parse import urlsplit

    from kiosk.config import organizer_public_url, verification_url
    from kiosk.web.organizer import create_organizer_app

    settings = settings_for(emulator.url)
    settings = replace(settings, organizer=replace(settings.organizer, host="127.0.0.1", port=8181))
    assert organizer_public_url(settings) == "http://127.0.0.1:8181"
    public = replace(settings, organizer=replace(settings.organizer, public_url="https://vote.example.org/"))
    assert verification_url(public, "ABCD-EFGH") == "https://vote.example.org/verify/ABCD-EFGH"
    app, services = make_app(tally, settings, app_config, simulated=False)
    try:
        client = app.test_client()
        _token, verification = sign_in_and_vote(client, tally, voting_meeting)
        done = client.get("/kiosk/done").get_data(as_text=True)
        jobs = emulator.wait_for_jobs(2, timeout=10)
    finally:
        app.extensions["kiosk"].close()
        services.stop()
    url = f"http://127.0.0.1:8181/verify/{verification}"
    receipt = decode(jobs[1])
    assert receipt.qr == [url]
    assert url in receipt.text.replace("\n", "")
    assert f'id="verify-url">{url}<' in done
    organizer = create_organizer_app(replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path))), tally)
    page = organizer.test_client().get(urlsplit(url).path)
    assert page.status_code == 200 and "was counted" in page.get_data(as_text=True)
    assert app.test_client().get(urlsplit(url).path).status_code == 404  # the kiosk's listener has no such page


@pytest.mark.parametrize(
    ("number", "lang", "expected"),
    [
        ("+1 510 555 0199", "en", "Text YES to +1 510 555 0199 to RSVP"),
        ("+1 510 555 0199", "es", "Envíe SÍ al +1 510 555 0199 para confirmar"),
        ("", "en", None),
        ("", "es", None),
    ],
)
def test_signin_receipt_gives_the_rsvp_number_or_nothing(
    tally: Tally,
    voting_meeting: str,
    app_config: dict[str, Any],
    emulator: PrinterEmulator,
    number: str,
    lang: str,
    expected: str | None,
) -> None:
    """ "Next time, RSVP by text" prints with the configured number, or not at all (never "ask for our number")."""
    settings = settings_for(emulator.url)
    settings = replace(settings, organization=replace(settings.organization, sms_number=number))
    app, services = make_app(tally, settings, app_config, simulated=False)
    try:
        client = app.test_client()
        client.post("/kiosk/lang", data={"lang": lang, "next": "/kiosk/"})
        client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
        client.post("/kiosk/signin", data={"pick": "0"})
        text = decode(emulator.wait_for_jobs(1, timeout=10)[0]).text
    finally:
        app.extensions["kiosk"].close()
        services.stop()
    flat = " ".join(text.split())
    intro = {"en": "RSVP by text", "es": "por mensaje"}[lang]
    if expected is None:
        assert intro not in flat and "número" not in flat and "number" not in flat.lower()
    else:
        assert expected in flat
