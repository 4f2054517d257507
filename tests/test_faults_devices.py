"""Devices vanishing mid-job and coming back, with the real kiosk app and the real gateway running.

The printer: the TCP emulator on 127.0.0.1 drops the connection in the middle of a sign-in receipt while the
app's print worker is printing it; the job (claimed before printing) goes back to the queue, the screen and the
organizers' devices status and ``kiosk doctor`` say the printer needs attention, and once the printer is back
that receipt prints whole and every later receipt prints exactly once.

The modem: the simulated modem's pty vanishes mid-send (after ``AT+CMGS``, before the text) and mid-read; the
gateway reports the modem disconnected, the text stays queued (or on the SIM), and once the device is back each
text is sent, or stored, exactly once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Settings
from kiosk.device_status import device_statuses
from kiosk.doctor import Doctor, Options, Status
from kiosk.services import start_services
from kiosk.tally import Tally
from kiosk.web.app import create_app
from sms.gateway import Gateway
from sms.gsm_modem import GsmModemBackend
from tests.conftest import FakeClock, wait_until
from tests.printer_emulator import PrinterEmulator, decode
from tests.sim_modem import SimModem

pytestmark = pytest.mark.sqlite_only  # devices, not the database: one backend is enough


def test_printer_drops_mid_receipt_then_comes_back(
    tally: Tally, voting_meeting: str, app_config: dict[str, Any], tmp_path: Path
) -> None:
    with PrinterEmulator(mode="drop", drop_after=60) as printer:
        base = Settings()
        settings = replace(
            base,
            printer=replace(base.printer, url=printer.url, timeout_s=1.0),
            kiosk=replace(base.kiosk, data_dir=str(tmp_path / "data")),
            database=replace(base.database, url=str(tally.engine.url)),
        )
        services = start_services(settings, tally, simulated=False)
        app = create_app(settings, tally, test_config=app_config, services=services)
        try:
            client = app.test_client()
            client.post("/kiosk/find", data={"by": "name", "q": "Marcus"}, follow_redirects=True)
            html = client.post("/kiosk/signin", data={"pick": "0"}, follow_redirects=True).get_data(as_text=True)
            token = re.search(r'id="receipt-token">([A-Z0-9-]+)<', html).group(1)  # type: ignore[union-attr]
            assert wait_until(lambda: not services.printer_ok())
            [job] = services.queue.jobs()
            assert job.state == "queued" and job.attempts == 1  # claimed, cut off, put back for a whole retry
            status = device_statuses(tally.engine)["printer"]
            assert status["summary"].startswith("Printer needs attention: The connection to the printer")
            assert "dropped while printing" in status["summary"] and "printing it again whole" in status["summary"]
            assert "The printer needs attention; your sign-in is saved." in client.get("/kiosk/signed-in").get_data(
                as_text=True
            )
            # The printer still answers a status query, but the doctor reports what the worker saw.
            findings = {f.check: f for f in Doctor(Options()).check_printer(settings)}
            assert findings["print queue"].status is Status.FAIL
            assert "1 receipt(s) waiting" in findings["print queue"].message
            assert "Printer needs attention" in findings["print queue"].message

            partial = len(printer.jobs)
            printer.mode = "ok"  # back: the retry (after a 2 s backoff) prints the receipt whole
            assert wait_until(lambda: services.printer_ok(), timeout=15)
            client.post("/kiosk/vote")
            form = {f"choice-{p.id}": "yes" for p in tally.planks(voting_meeting)}
            done = client.post("/kiosk/ballot/cast", data=form, follow_redirects=True).get_data(as_text=True)
            verification = re.search(r'id="verification">([A-Z0-9-]+)<', done).group(1)  # type: ignore[union-attr]
            other = app.test_client()
            other.post("/kiosk/find", data={"by": "name", "q": "Keisha"}, follow_redirects=True)
            other.post("/kiosk/signin", data={"pick": "0"})

            # A connection that printed nothing (a status query) is not a receipt.
            def receipts() -> list[str]:
                return [text for text in (decode(job).text for job in printer.jobs[partial:]) if text.strip()]

            assert wait_until(lambda: len(receipts()) >= 3)
            time.sleep(0.3)  # nothing more should come
            whole = receipts()
        finally:
            app.extensions["kiosk"].close()
            services.stop()
    assert len(whole) == 3
    assert sum(token in text for text in whole) == 1  # the cut-off receipt, printed whole once
    assert sum(verification in text for text in whole) == 1
    assert sum("Keisha W." in text for text in whole) == 1
    assert [j.state for j in services.queue.jobs()] == ["printed"] * 3
    assert not any(f.check == "print queue" for f in Doctor(Options()).check_printer(settings))


@pytest.fixture
def gateway(tally: Tally, voting_meeting: str, clock: FakeClock) -> Gateway:
    return Gateway(tally, organization="RPA", clock=clock)


def turns(gateway: Gateway, backend: GsmModemBackend, until: Any, clock: FakeClock, timeout: float = 5.0) -> None:
    """Gateway turns until ``until()``; each turn is half a minute on the gateway's clock (retry backoffs)."""
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        gateway.run_once(backend, max_sends=5)
        clock.advance(seconds=30)
        time.sleep(0.05)
    assert until(), [(r["state"], r["attempts"], r["next_attempt_at"], r["last_error"]) for r in gateway.outbound()]


def test_modem_unplugged_mid_send_then_back_sends_once(gateway: Gateway, clock: FakeClock, tmp_path: Path) -> None:
    with SimModem(tmp_path) as sim:
        backend = GsmModemBackend(sim.path, timeout=1.0, reconnect_backoff=(0.1, 0.2))
        try:
            assert gateway.queue_text("+15105550101", "See you Thursday")
            sim.unplug_on = "AT+CMGS"  # the device vanishes as the send starts
            assert gateway.send_one(backend)
            [row] = gateway.outbound()
            assert row["state"] == "queued" and "disconnected" in row["last_error"]
            gateway.report(backend)
            [status] = [v for k, v in device_statuses(gateway.engine).items() if k.startswith("sms")]
            assert status["ok"] is False and "disconnected" in status["summary"]
            assert sim.sent == []

            sim.replug()
            turns(gateway, backend, lambda: gateway.outbound()[0]["state"] == "sent", clock)
            clock.advance(seconds=3600)
            for _ in range(3):
                gateway.run_once(backend, max_sends=5)
            assert [s.text for s in sim.sent] == ["See you Thursday"]  # once, not lost, not doubled
            gateway.report(backend)
            [status] = [v for k, v in device_statuses(gateway.engine).items() if k.startswith("sms")]
            assert status["ok"] is True
        finally:
            backend.close()


def test_modem_unplugged_mid_read_then_back_stores_once(gateway: Gateway, clock: FakeClock, tmp_path: Path) -> None:
    with SimModem(tmp_path) as sim:
        backend = GsmModemBackend(sim.path, timeout=1.0, reconnect_backoff=(0.1, 0.2), sweep_interval=0)
        try:
            sim.unplug_on = "AT+CMGR"  # vanishes while reading the new text
            sim.deliver("+15105550101", "yes 2")
            deadline = time.monotonic() + 3
            while sim.unplug_on is not None and time.monotonic() < deadline:
                gateway.run_once(backend)
            assert sim.unplug_on is None and len(sim.store) == 1  # unplugged before the read: still on the SIM
            assert backend.status().connected is False
            sim.replug()
            turns(gateway, backend, lambda: sim.store == {}, clock)
            for _ in range(3):
                gateway.run_once(backend)
            history = gateway.tally.rsvp_history("GA12")
            assert len(history) == 1 and history[0].guests == 2
            turns(gateway, backend, lambda: gateway.outbound() and gateway.outbound()[0]["state"] == "sent", clock)
            assert len(sim.sent) == 1 and "YES" in sim.sent[0].text, [s.text for s in sim.sent]  # one reply
        finally:
            backend.close()


@pytest.fixture(autouse=True)
def _no_kiosk_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    yield


class _UnplugAfterTheRadioSent(SimModem):
    """The modem takes the text and sends it, then the USB device vanishes before it can answer ``+CMGS``."""

    cut_next = True

    def _finish_cmgs(self, pdu: str, length: int) -> list[str]:
        lines = super()._finish_cmgs(pdu, length)
        if self.cut_next:
            self.cut_next = False
            self._stop.set()
            threading.Thread(target=self.unplug, daemon=True).start()
            return []
        return lines


def test_modem_unplugged_after_the_radio_sent_is_not_sent_twice(
    gateway: Gateway, clock: FakeClock, tmp_path: Path
) -> None:
    sim = _UnplugAfterTheRadioSent(tmp_path)
    backend = GsmModemBackend(sim.path, timeout=1.0, reconnect_backoff=(0.1, 0.2))
    try:
        assert gateway.queue_text("+15105550101", "See you Thursday")
        assert gateway.send_one(backend)
        sim.replug()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and gateway.outbound()[0]["state"] == "queued":
            gateway.run_once(backend, max_sends=5)
            clock.advance(seconds=30)
            time.sleep(0.05)
        assert [s.text for s in sim.sent] == ["See you Thursday"]
        [text] = gateway.outbound()
        assert text["state"] == "failed" and "may have sent it; not sent again" in text["last_error"]
    finally:
        backend.close()
        sim.close()
