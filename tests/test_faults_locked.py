"""The SQLite database locked by another writer for longer than the busy timeout.

Another process holds ``BEGIN EXCLUSIVE`` on the tally file (in WAL mode that blocks writers, not readers) for
longer than the kiosk's busy timeout (300 ms here, 10 s in production). Every writer must then fail plainly and
leave nothing half-written: the attendee sees a translated "try again" message (not a 500, not a traceback) and
keeps an unspent ballot token; the SMS gateway leaves the text on the SIM and in the spool and stores it once
after the lock goes; the print queue and the CLI say so in one line. When the lock is released, the same
actions succeed without a restart.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kiosk import db
from kiosk.config import Settings
from kiosk.errors import DatabaseError
from kiosk.print_queue import PrintQueue
from kiosk.schema import ballots, print_jobs, signins, sms_inbound
from kiosk.tally import MeetingState, Tally
from kiosk.web.app import create_app
from sms.backends import InboundText
from sms.gateway import Gateway
from sms.gsm_modem import GsmModemBackend
from sms.spool import Spool
from tests.conftest import FIXTURES, FakeClock, wait_until
from tests.sim_modem import SimModem

pytestmark = pytest.mark.sqlite_only  # SQLite's file lock; PostgreSQL's lock_timeout is the same DatabaseError

BUSY_MS = 300
LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@contextmanager
def held_write_lock(path: Path) -> Iterator[dict[str, float]]:
    """Another process holds the write lock until the block ends; yields a dict that gets ``held_s``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    figures: dict[str, float] = {}
    start = time.monotonic()
    try:
        # The holder takes the lock at once or fails at once (timeout=5 in LOCK_HOLDER): readline returns.
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        start = time.monotonic()
        yield figures
    finally:
        figures["held_s"] = time.monotonic() - start
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.stdout.close()
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()  # never left holding the lock behind the test
            proc.wait()
            raise
        assert code == 0


@pytest.fixture
def locked_tally(tmp_path: Path, clock: FakeClock) -> Iterator[Tally]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tally.db'}", busy_timeout_ms=BUSY_MS)
    db.upgrade(engine)
    tally = Tally(engine, region="US", timezone="America/Los_Angeles", clock=clock)
    tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", quorum="20%")
    tally.import_planks("GA12", (FIXTURES / "planks.csv").read_text(encoding="utf-8"))
    tally.set_state("GA12", MeetingState.VOTING_OPEN)
    yield tally
    engine.dispose()


@pytest.fixture
def kiosk_app(locked_tally: Tally) -> Iterator[Flask]:
    app = create_app(Settings(), locked_tally, simulated=True, test_config={"TESTING": True})
    yield app
    app.extensions["kiosk"].close()


def db_path(tally: Tally) -> Path:
    return Path(str(tally.engine.url.database))


def count(tally: Tally, table: Any) -> int:
    with tally.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def no_traceback(html: str) -> None:
    assert "Traceback" not in html and "OperationalError" not in html and "sqlite" not in html.lower()


def notice(html: str) -> str:
    match = re.search(r'<p class="notice" role="alert">(.*?)</p>', html, re.S)
    assert match, html
    return match.group(1)


def test_signin_and_vote_wait_out_a_lock_plainly_and_then_succeed(kiosk_app: Flask, locked_tally: Tally) -> None:
    client: FlaskClient = kiosk_app.test_client()
    client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
    with held_write_lock(db_path(locked_tally)) as held:
        started = time.monotonic()
        refused = client.post("/kiosk/signin", data={"pick": "0"})
        waited = time.monotonic() - started
    assert held["held_s"] > BUSY_MS / 1000
    assert BUSY_MS / 1000 * 0.9 <= waited < 5  # waited out the busy timeout, then answered
    html = refused.get_data(as_text=True)
    assert refused.status_code == 503
    no_traceback(html)
    assert "busy" in notice(html) and "Nothing was saved" in notice(html)
    assert count(locked_tally, signins) == 0  # nothing half-written

    # The lock is gone: the same choice on the same screen signs in, without a restart.
    signed = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True)
    assert signed.status_code == 200 and 'id="receipt-token"' in signed.get_data(as_text=True)
    token = re.search(r'id="receipt-token">([A-Z0-9-]+)<', signed.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post("/kiosk/vote")
    form = {f"choice-{p.id}": "yes" for p in locked_tally.planks("GA12")}

    with held_write_lock(db_path(locked_tally)):
        refused = client.post("/kiosk/ballot/cast", data=form)
        client.post("/kiosk/lang", data={"lang": "es", "next": "/kiosk/ballot"})
        refused_es = client.post("/kiosk/ballot/cast", data=form)
    for response in (refused, refused_es):
        assert response.status_code == 503
        no_traceback(response.get_data(as_text=True))
    assert "your ballot code is still good" in notice(refused.get_data(as_text=True))
    assert "su código de votación sigue valiendo" in notice(refused_es.get_data(as_text=True))
    assert count(locked_tally, ballots) == 0
    assert locked_tally.check_token("GA12", token)  # the token is NOT spent
    # One press (the confirm button, or a tap) goes back to the same ballot: nothing to type again.
    assert 'href="/kiosk/ballot" data-confirm' in refused_es.get_data(as_text=True)
    assert "Volver a mi boleta" in refused_es.get_data(as_text=True)
    assert client.get("/kiosk/ballot").status_code == 200

    cast = client.post("/kiosk/ballot/cast", data=form, follow_redirects=True)
    assert cast.status_code == 200 and 'id="verification"' in cast.get_data(as_text=True)
    assert count(locked_tally, ballots) == 1
    assert locked_tally.results("GA12").ballots_cast == 1


def test_a_walkin_and_the_results_page_under_a_lock(kiosk_app: Flask, locked_tally: Tally) -> None:
    client = kiosk_app.test_client()
    with held_write_lock(db_path(locked_tally)):
        walkin = client.post("/kiosk/walkin", data={"name": "Ana Walk-In", "phone": ""})
        results = client.get("/results/GA12")  # a reader: WAL readers are not blocked by the writer
    assert walkin.status_code == 503
    no_traceback(walkin.get_data(as_text=True))
    assert results.status_code == 200
    assert client.post("/kiosk/walkin", data={"name": "Ana Walk-In", "phone": ""}).status_code == 303


def test_modem_text_stays_on_the_sim_until_stored_once(locked_tally: Tally, clock: FakeClock, tmp_path: Path) -> None:
    gateway = Gateway(locked_tally, organization="RPA", clock=clock)
    with SimModem(tmp_path) as sim:
        # The default re-offer delay (ten sweeps: 5 minutes) does not apply: the gateway releases a text it
        # could not store, so the first turn after the lock stores it.
        backend = GsmModemBackend(sim.path, timeout=1.0)
        try:
            sim.deliver("+15105550101", "yes 2")
            with held_write_lock(db_path(locked_tally)):
                with pytest.raises(DatabaseError, match="locked"):
                    deadline = time.monotonic() + 5
                    while time.monotonic() < deadline:
                        gateway.run_once(backend)  # raises on the first text it cannot store
                assert len(sim.store) == 1  # not acknowledged: still on the SIM
            assert count(locked_tally, sms_inbound) == 0
            assert gateway.run_once(backend)[0] == 1 and sim.store == {}
            assert count(locked_tally, sms_inbound) == 1
            [rsvp] = locked_tally.current_rsvps("GA12")
            assert rsvp.guests == 2
        finally:
            backend.close()


def test_spooled_texts_wait_in_the_spool_and_are_stored_once(
    locked_tally: Tally, clock: FakeClock, tmp_path: Path
) -> None:
    from sms.daemon import drain_spool

    gateway = Gateway(locked_tally, organization="RPA", clock=clock)
    spool = Spool(tmp_path / "sms-spool")
    at = datetime(2026, 12, 1, 18, tzinfo=UTC)
    for i in range(3):
        spool.append(InboundText(f"SM{i}", f"+1510555010{i + 1}", "yes", at))
    with held_write_lock(db_path(locked_tally)):
        with pytest.raises(DatabaseError):
            drain_spool(spool, gateway)
        spool.append(InboundText("SM3", "+15105550104", "no", at))  # the webhook keeps spooling meanwhile
    assert count(locked_tally, sms_inbound) == 0
    assert sum(len(Spool.read(p)) for p in sorted(spool.folder.glob("*.jsonl"))) == 4  # all still spooled
    assert drain_spool(spool, gateway) == 4
    assert drain_spool(spool, gateway) == 0
    assert count(locked_tally, sms_inbound) == 4
    assert not list(spool.folder.glob("*.jsonl"))


def test_print_queue_and_cli_say_it_in_one_line(
    locked_tally: Tally, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk import cli

    queue = PrintQueue(locked_tally.engine)
    queue.submit("test", "before", "{}")
    path = db_path(locked_tally)
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{path}"\nbusy_timeout_ms = {BUSY_MS}\n', encoding="utf-8")
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    with held_write_lock(path):
        with pytest.raises(DatabaseError) as caught:
            queue.submit("test", "during", "{}")
        command = ["meeting", "create", "--code", "GA13", "--title", "Next", "--starts", "2026-12-10T19:00"]
        code = cli.main(["--config", str(config), *command])
    message = str(caught.value)
    assert "\n" not in message and "database is locked" in message and "nothing was saved" in message
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "database is locked" in err and "nothing was saved" in err
    assert count(locked_tally, print_jobs) == 1
    assert queue.submit("test", "during", "{}")


def test_a_receipt_printed_while_the_database_locks_is_recorded_once(locked_tally: Tally) -> None:
    from contextlib import ExitStack

    from hardware.printer import open_printer
    from kiosk.receipts import Receipt
    from tests.printer_emulator import PrinterEmulator
    from tests.test_print_queue import receipt

    queue = PrintQueue(locked_tally.engine)
    with PrinterEmulator() as emulator, ExitStack() as lock:
        printer = open_printer(emulator.url, timeout=1)

        class LockedRightAfterPrinting:
            def print_receipt(self, data: Any) -> None:
                printer.print_receipt(data)
                lock.enter_context(held_write_lock(db_path(locked_tally)))

        queue.submit("signin", "signin:1", receipt(1).to_json())
        with pytest.raises(DatabaseError):
            queue.run_once(LockedRightAfterPrinting(), Receipt.from_json)
        [job] = queue.jobs()
        assert job.state == "printing"  # on paper, but the database could not be told yet
        lock.close()
        assert queue.run_once(printer, Receipt.from_json) == 0  # records the outcome, prints nothing again
        [job] = queue.jobs()
        assert job.state == "printed" and job.payload is None
        assert len(emulator.wait_for_jobs(1)) == 1


def test_the_gateway_daemon_pauses_through_a_lock_and_then_stores_each_text_once(
    locked_tally: Tally, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import threading

    from sms.backends import ConsoleBackend
    from sms.daemon import run_gateway

    base = Settings()
    settings = replace(base, kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")))
    spool = Spool(settings.data_path / "sms-spool")
    backend = ConsoleBackend()
    stop = threading.Event()
    daemon = threading.Thread(
        target=run_gateway, args=(settings, locked_tally, backend), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    at = datetime(2026, 12, 1, 18, tzinfo=UTC)
    caplog.set_level(logging.WARNING)
    daemon.start()
    try:
        with held_write_lock(db_path(locked_tally)) as held:
            for i in range(3):
                spool.append(InboundText(f"SMd{i}", f"+1510555010{i + 1}", "yes", at))
            backend.inject("+15105550109", "yes")  # polled, refused, released: offered again after the lock
            time.sleep(1.0)  # a few turns of the daemon, each waiting out the busy timeout
            assert count(locked_tally, sms_inbound) == 0
        assert wait_until(lambda: count(locked_tally, sms_inbound) == 4)
        assert wait_until(lambda: not list(spool.folder.glob("draining-*.jsonl")))
    finally:
        stop.set()
        daemon.join(10)
    assert not daemon.is_alive()
    paused = [r for r in caplog.records if "SMS gateway paused this turn: the database is busy" in r.getMessage()]
    assert paused and all(r.exc_info is None for r in paused)  # one plain line each, no traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert count(locked_tally, sms_inbound) == 4 and backend.unacknowledged() == []
    print(f"lock held {held['held_s']:.2f} s; the daemon paused {len(paused)} turns")


def test_organizer_pages_answer_a_lock_with_a_plain_503(locked_tally: Tally, tmp_path: Path) -> None:
    from kiosk import accounts
    from kiosk.web.organizer import create_organizer_app

    accounts.add_organizer(locked_tally.engine, "rosa", "correct horse battery")
    base = Settings()
    settings = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")),
        database=replace(base.database, url=str(locked_tally.engine.url)),
    )
    app = create_organizer_app(settings, locked_tally, test_config={"TESTING": True})
    client = app.test_client()

    def log_in() -> Any:
        page = client.get("/organizer/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        form = {"name": "rosa", "password": "correct horse battery", "csrf_token": match.group(1)}
        return client.post("/organizer/login", data=form)

    with held_write_lock(Path(locked_tally.engine.url.database or "")):
        answer = log_in()  # a login writes (the attempt is recorded): it cannot while the lock is held
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    assert answer.get_data(as_text=True).startswith("The database is busy; nothing was saved.")
    assert log_in().status_code == 302
