"""The real SMS gateway over the GSM modem backend and the simulated modem: RSVPs in, replies out, no doubles."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.tally import Answer, Tally
from sms.gateway import Gateway
from sms.gsm_modem import GsmModemBackend
from tests.conftest import FakeClock
from tests.sim_modem import SimModem


@pytest.fixture
def gateway(tally: Tally, roster_csv: str, planks_csv: str, clock: FakeClock) -> Gateway:
    tally.import_roster(roster_csv)
    tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00", place="Hall")
    tally.import_planks("GA12", planks_csv)
    return Gateway(tally, organization="Richmond Progressive Alliance", replies_per_hour=10, clock=clock)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimModem]:
    with SimModem(tmp_path) as sim:
        yield sim


def turn_until(gateway: Gateway, backend: GsmModemBackend, received: int, timeout: float = 3.0) -> int:
    got = 0
    deadline = time.monotonic() + timeout
    while got < received and time.monotonic() < deadline:
        got += gateway.run_once(backend, max_sends=5)[0]
        time.sleep(0.01)
    return got


def test_rsvps_by_text_through_the_modem(gateway: Gateway, sim: SimModem) -> None:
    backend = GsmModemBackend(sim.path, timeout=1.0)
    try:
        sim.deliver("+15105550101", "yes 2")
        sim.deliver("+15105550102", "¡Sí! nos vemos allí 🎉 " * 4, ucs2=True, order=[1, 0])  # two parts
        assert turn_until(gateway, backend, 2) == 2
        while gateway.send_one(backend):
            pass
        replies = {s.recipient: s.text for s in sim.sent}
        assert replies["+15105550101"].startswith("You're a YES for General Assembly")
        assert replies["+15105550102"].startswith("Anotado: SI")
        current = {r.phone: r.answer for r in gateway.tally.current_rsvps("GA12")}
        assert current == {"+15105550101": Answer.YES, "+15105550102": Answer.YES}
        assert sim.store == {}  # acknowledged after commit, so deleted from the SIM
        gateway.report(backend)
        json.dumps(backend.status())
    finally:
        backend.close()


def test_gateway_killed_before_acknowledging_counts_the_text_once(gateway: Gateway, sim: SimModem) -> None:
    sim.deliver("+15105550101", "yes")
    first = GsmModemBackend(sim.path, timeout=1.0)
    try:
        deadline = time.monotonic() + 3
        texts = []
        while not texts and time.monotonic() < deadline:
            texts = first.poll()
        [text] = texts
        gateway.receive(text)  # committed, then the process dies before acknowledge()
    finally:
        first.close()
    second = GsmModemBackend(sim.path, timeout=1.0)
    try:
        assert turn_until(gateway, second, 1) == 1  # read again from the SIM...
        assert len(gateway.tally.rsvp_history("GA12")) == 1  # ...and recognised as already stored
        assert sim.store == {}
    finally:
        second.close()
