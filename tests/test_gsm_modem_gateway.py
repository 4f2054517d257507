"""The real SMS gateway over the GSM modem backend and the simulated modem: RSVPs in, replies out, no doubles."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.schema import sms_inbound
from kiosk.tally import Answer, Tally
from sms.gateway import Gateway
from sms.gsm_modem import GsmModemBackend
from sms.pdu import encode_deliver
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
        json.dumps(backend.status().as_dict())
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


# --- issue 15 item 3: a damaged text is read, stored marked damaged, and deleted from the SIM -------------------


def _cut(pdu: str, octets: int) -> str:
    """The PDU with its last ``octets`` octets gone but TP-UDL unchanged: user data shorter than stated."""
    return pdu[: -2 * octets]


def _stored(gateway: Gateway) -> dict[str, tuple[str, str, bool]]:
    with gateway.engine.connect() as conn:
        rows = conn.execute(
            select(sms_inbound.c.sender, sms_inbound.c.body, sms_inbound.c.intent, sms_inbound.c.damaged)
        ).all()
    return {r.sender: (r.body, r.intent, bool(r.damaged)) for r in rows}


def test_damaged_texts_are_stored_marked_and_deleted_from_the_sim(gateway: Gateway, sim: SimModem) -> None:
    at = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    # "YES see you there!" cut after "YES see you": reads clearly, so it counts and is answered
    [yes] = encode_deliver("+15105550101", "YES see you there!", timestamp=at)
    sim.store_pdu(_cut(yes, 6))
    # a long message cut in the middle of a sentence: not an answer, kept for organizers, no reply
    [rambling] = encode_deliver("+15105550102", "Hi, about the dues vote, I think we should wait until", timestamp=at)
    sim.store_pdu(_cut(rambling, 20))
    # user data longer than stated (garbage after the text): read as stated, marked damaged
    [no] = encode_deliver("+15105550103", "no", timestamp=at)
    sim.store_pdu(no + "DEADBEEF")
    # part 2 of a two-part UCS-2 text cut short
    long_yes = "Sí, ahí estaré con mi esposo 🎉 Gracias por organizar la asamblea, nos vemos el martes en el salón."
    parts = encode_deliver("+15105550104", long_yes, timestamp=at, ref=9, ucs2=True)
    assert len(parts) == 2
    sim.store_pdu(parts[0])
    sim.store_pdu(_cut(parts[1], 9))
    # cut inside the time stamp: who wrote is known, what they wrote is not
    [lost] = encode_deliver("+15105550105", "yes", timestamp=at)
    sim.store_pdu(lost[: lost.index("0B915101550501F5") + 16 + 4 + 6])  # address, PID, DCS, 3 time octets
    backend = GsmModemBackend(sim.path, timeout=1.0)
    try:
        assert turn_until(gateway, backend, 5) == 5
        while gateway.send_one(backend):
            pass
        stored = _stored(gateway)
        assert stored["+15105550101"] == ("YES see you", "yes", True)
        assert stored["+15105550102"][1:] == ("unknown", True)
        assert stored["+15105550102"][0].startswith("Hi, about the dues vote")
        assert stored["+15105550103"] == ("no", "no", True)
        assert stored["+15105550104"][1:] == ("yes", True)
        assert stored["+15105550105"] == ("", "unknown", True)
        current = {r.phone: (r.answer, r.guests) for r in gateway.tally.current_rsvps("GA12")}
        assert current == {
            "+15105550101": (Answer.YES, 0),
            "+15105550103": (Answer.NO, 0),
            "+15105550104": (Answer.YES, 1),
        }
        replied = {s.recipient for s in sim.sent}
        assert replied == {"+15105550101", "+15105550103", "+15105550104"}  # none to the unclear one
        assert sim.store == {}  # every damaged text deleted from the SIM once stored
        assert backend.status().sim.undecodable == {}
        inbox = {t["sender"]: t for t in gateway.inbox()}
        assert set(inbox) == set(stored)  # organizers see every damaged text
    finally:
        backend.close()


def test_a_damaged_text_is_stored_once_when_the_gateway_dies_before_deleting_it(
    gateway: Gateway, sim: SimModem
) -> None:
    [pdu] = encode_deliver("+15105550101", "maybe, if I can get a ride", timestamp=datetime(2026, 12, 1, tzinfo=UTC))
    sim.store_pdu(_cut(pdu, 5))
    first = GsmModemBackend(sim.path, timeout=1.0)
    try:
        deadline = time.monotonic() + 3
        texts = []
        while not texts and time.monotonic() < deadline:
            texts = first.poll()
        [text] = texts
        assert text.damage is not None
        assert gateway.receive(text).damaged
    finally:
        first.close()
    second = GsmModemBackend(sim.path, timeout=1.0)
    try:
        assert turn_until(gateway, second, 1) == 1
        assert len(_stored(gateway)) == 1
        assert sim.store == {}
    finally:
        second.close()
