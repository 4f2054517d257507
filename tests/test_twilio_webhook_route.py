"""POST /sms/twilio: signatures checked with twilio's RequestValidator, texts spooled without touching the
database (so a locked database cannot slow the answer), then drained by the gateway into the tally."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect
from twilio.request_validator import RequestValidator

from kiosk import db
from kiosk.config import Settings, TwilioSettings
from kiosk.errors import DatabaseError, StorageProblem, storage_problem
from kiosk.tally import Tally
from kiosk.web.app import create_app
from sms.gateway import Gateway
from sms.spool import Spool

TOKEN = "test-auth-token-123"
PUBLIC = "https://kiosk.example.org/sms/twilio"


def make_settings(tmp_path: Path, **twilio: str) -> Settings:
    base = Settings()
    return replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")),
        sms=replace(base.sms, backend="twilio"),
        twilio=replace(
            TwilioSettings(),
            account_sid="AC1",
            auth_token=TOKEN,
            from_number="+15105550000",
            inbound="webhook",
            **twilio,
        ),
    )


def form(sid: str, body: str = "yes 2", sender: str = "+15105550101") -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+15105550000", "Body": body, "AccountSid": "AC1"}


def test_signed_requests_are_spooled_and_forged_refused(tally: Tally, voting_meeting: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_url=PUBLIC)
    client = create_app(settings, tally).test_client()
    params = form("SM1")
    good = RequestValidator(TOKEN).compute_signature(PUBLIC, params)
    wrong = RequestValidator("not-the-token").compute_signature(PUBLIC, params)
    assert client.post("/sms/twilio", data=params).status_code == 403  # unsigned
    assert client.post("/sms/twilio", data=params, headers={"X-Twilio-Signature": wrong}).status_code == 403
    tampered = params | {"Body": "no"}
    assert client.post("/sms/twilio", data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403
    response = client.post("/sms/twilio", data=params, headers={"X-Twilio-Signature": good})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    spool = Spool(settings.data_path / "sms-spool")
    [path] = spool.claim()
    gateway = Gateway(tally, organization="RPA")
    for text in spool.read(path):
        gateway.receive(text)
    spool.done(path)
    [rsvp] = tally.current_rsvps(voting_meeting)
    assert rsvp.answer == "yes" and rsvp.guests == 2


def test_signature_behind_a_proxy_uses_forwarded_headers(tally: Tally, tmp_path: Path) -> None:
    client = create_app(make_settings(tmp_path), tally).test_client()
    params = form("SM2")
    signature = RequestValidator(TOKEN).compute_signature("https://public.example.org/sms/twilio", params)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.org"}
    assert client.post("/sms/twilio", data=params, headers=headers).status_code == 200


def test_webhook_off_unless_configured(tally: Tally, tmp_path: Path) -> None:
    client = create_app(Settings(), tally).test_client()
    assert client.post("/sms/twilio", data=form("SM3")).status_code == 404


def lock_wait_s(engine: Engine) -> float:
    """How long a statement of ``engine``'s waits for another transaction's lock before giving up, in seconds."""
    with engine.connect() as conn:
        if db.is_sqlite(engine):
            return conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() / 1000
        setting = conn.exec_driver_sql("SELECT setting FROM pg_settings WHERE name = 'lock_timeout'").scalar_one()
        return int(setting) / 1000  # in ms


def test_webhook_answers_while_the_database_is_locked(tally: Tally, voting_meeting: str, tmp_path: Path) -> None:
    # The webhook's settings name the locked database itself, so a webhook that opened the tally would meet the lock.
    settings = make_settings(tmp_path, public_url=PUBLIC)
    url = tally.engine.url.render_as_string(hide_password=False)
    settings = replace(settings, database=replace(settings.database, url=url))
    client = create_app(settings, tally).test_client()
    # A request that waited for the lock would take the whole lock timeout (the lock is held past the last post),
    # then fail: the wall-clock bound is that, not a guess at how fast a loaded machine answers.
    waited_s = lock_wait_s(tally.engine)
    locked, release = threading.Event(), threading.Event()

    def hold_write_lock() -> None:
        with tally.unit_of_work() as uow:  # SQLite: BEGIN IMMEDIATE, the write lock
            if not db.is_sqlite(tally.engine):  # PostgreSQL locks nothing until asked: every table, reads too
                tables = ", ".join(inspect(uow.connection).get_table_names())
                uow.connection.exec_driver_sql(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(120)

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    probe = db.make_engine(url, busy_timeout_ms=300)
    try:
        assert locked.wait(10)
        slowest = 0.0
        for i in range(50):
            params = form(f"SMlock{i}", body="yes")
            signature = RequestValidator(TOKEN).compute_signature(PUBLIC, params)
            start = time.perf_counter()
            assert client.post("/sms/twilio", data=params, headers={"X-Twilio-Signature": signature}).status_code == 200
            slowest = max(slowest, time.perf_counter() - start)
            assert slowest < waited_s, f"post {i} took {slowest:.2f} s: it waited for the lock ({waited_s} s)"
        # Still locked after the last post (so locked throughout): storing a text, what the gateway does later,
        # waits for the lock and gives up.
        spool = Spool(settings.data_path / "sms-spool")
        texts = [text for path in spool.claim() for text in spool.read(path)]
        start = time.perf_counter()
        with pytest.raises(DatabaseError) as refused:
            Gateway(Tally(probe, region="US", timezone="America/Los_Angeles"), organization="RPA").receive(texts[0])
        probe_s = time.perf_counter() - start
        assert storage_problem(refused.value) is StorageProblem.BUSY, refused.value
        assert holder.is_alive() and not release.is_set()
    finally:
        release.set()
        holder.join(10)
        probe.dispose()
    print(f"slowest of 50 posts {slowest:.3f} s; a write gave up after {probe_s:.2f} s (0.3 s), the app's {waited_s} s")
    assert sorted(t.provider_id for t in texts) == sorted(f"SMlock{i}" for i in range(50))


def test_torn_spool_line_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.current.write_text(
        '{"id": "SM1", "from": "+15105550101", "body": "yes", "at": "2026-12-01T10:00:00+00:00"}\n{"id": "SM2", "fro'
    )
    [path] = spool.claim()
    assert [t.provider_id for t in spool.read(path)] == ["SM1"]


@pytest.fixture(autouse=True)
def _no_kiosk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
