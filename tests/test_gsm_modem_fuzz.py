"""Garbage from the modem (random bytes, half lines, fake final results, bad PDUs) never crashes poll()."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.tally import Tally
from sms.backends import BackendStatus, SendStatus
from sms.gateway import Gateway
from sms.gsm_modem import GsmModemBackend
from sms.pdu import encode_deliver
from tests.conftest import FIXTURES
from tests.fuzz_support import E164, SOAK, assert_clean, fuzz_settings
from tests.sim_modem import SimModem

TRICKY = [
    "OK",
    "ERROR",
    "COMMAND NOT SUPPORT",
    "> ",
    "+CMGL: 1,0,,20",
    "+CMGL: x,y",
    "+CMGL:",
    "+CMGR: 0,,23",
    '+CMTI: "SM",99',
    '+CMTI: "ME",',
    "+CMTI: garbage",
    "+CMT: ,22",
    "+CDS: 25",
    "+CMS ERROR: 500",
    "+CME ERROR: SIM busy",
    "+CME ERROR: 14",
    "+CREG: 1,",
    "+CSQ: ,",
    "^RSSI:",
    "RING",
    "0791FF",
    "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
    "00",
    "\x00\x01\x02",
]

lines = st.lists(
    st.one_of(
        st.sampled_from(TRICKY),
        st.text(max_size=60),
        st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    ),
    max_size=6,
)

# KIOSK_SOAK=1 for a longer soak run; the default keeps the suite fast.
FUZZ = settings(
    max_examples=500 if os.environ.get("KIOSK_SOAK") else 20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class _Errors(logging.Handler):
    """Collects ERROR records: the backend's safety net logs one when a parser bug slips through."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> _Errors:
        logging.getLogger("sms").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("sms").removeHandler(self)


@FUZZ
@given(injected=lines, noise=st.binary(max_size=120), before=lines)
def test_garbage_lines_never_crash_poll(injected: list[str], noise: bytes, before: list[str]) -> None:
    threads = threading.active_count()
    with _Errors() as errors, tempfile.TemporaryDirectory() as d, SimModem(Path(d)) as sim:
        backend = GsmModemBackend(sim.path, timeout=0.15, sweep_interval=0.0)
        try:
            sim.deliver("+34600111222", "hola")
            for line in before:
                sim.emit(line)
            sim.noise(noise)
            sim.inject_next = list(injected)
            for _ in range(2):
                got = backend.poll()
                assert isinstance(got, list)
                for text in got:
                    backend.acknowledge(text.provider_id)
            status = backend.status()
            assert isinstance(status, BackendStatus)
            assert backend.send("+34600111222", "ok").status in set(SendStatus)
        finally:
            backend.close()
    assert [r.getMessage() for r in errors.records] == []
    assert threading.active_count() == threads  # the simulator's thread is gone; the backend has none


@FUZZ
@given(pdus=st.lists(st.binary(min_size=1, max_size=175), min_size=1, max_size=4))
def test_stored_garbage_pdus_are_reported_not_fatal(pdus: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as d, SimModem(Path(d)) as sim:
        backend = GsmModemBackend(sim.path, timeout=0.5)
        try:
            for pdu in pdus:
                sim.store_pdu(pdu.hex().upper(), notify=False)
            sim.deliver("+34600111222", "hola", notify=False)
            texts = backend.poll()
            assert "hola" in [t.body for t in texts]
            status = backend.status()
            assert status.connected is True
            # whatever could not be decoded is still on the SIM, reported by index
            undecodable = status.sim.undecodable
            assert isinstance(undecodable, dict)
            assert all(index in sim.store for index in undecodable)
        finally:
            backend.close()


# --- through the gateway into the tally -----------------------------------------------------------------------
# The tests above stop at poll(). Here random texts and broken PDUs go from the simulated modem through
# Gateway.run_once into the tally (SQLite and PostgreSQL): whatever the modem hands over is stored once, clean,
# acknowledged (deleted from the SIM) only after it is stored, and answered only at a valid number.

MODEM_SENDERS = ["+15105550101", "+15105550103", "+34600111222", "+14155550123", "5105550199", "Movistar", "RPA 2"]
modem_bodies = st.one_of(
    st.sampled_from(["yes", "YES 2", "si 3", "no", "maybe", "STOP", "START", "HELP", "Ana Ramírez", "👍", "yes\x00"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.text(min_size=150, max_size=400, alphabet="abc XYZ 123 ñé"),  # several parts
)


def _mangle(pdu: str, cuts: list[tuple[int, int]]) -> str:
    """A delivered PDU with some bytes of its body overwritten (headers mostly intact, user data broken)."""
    raw = bytearray(bytes.fromhex(pdu))
    for at, value in cuts:
        raw[len(raw) // 3 + at % max(1, len(raw) - len(raw) // 3)] = value
    return raw.hex().upper()


@pytest.mark.timeout(3600 if SOAK else 120)
@fuzz_settings(20, 500)
@given(
    texts=st.lists(st.tuples(st.sampled_from(MODEM_SENDERS), modem_bodies, st.booleans()), min_size=1, max_size=3),
    broken=st.lists(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=4), max_size=2),
    garbage=lines,
)
def test_modem_texts_reach_the_tally_clean(
    tally: Tally, texts: list[tuple[str, str, bool]], broken: list[list[tuple[int, int]]], garbage: list[str]
) -> None:
    if not tally.meetings():
        tally.import_roster((FIXTURES / "roster-messy.csv").read_text(encoding="utf-8"))
        tally.create_meeting(code="GA12", title="General Assembly", starts="2026-12-03T19:00")
    gateway = Gateway(tally, organization="RPA", replies_per_hour=1000)
    with _Errors() as errors, tempfile.TemporaryDirectory() as d, SimModem(Path(d)) as sim:
        backend = GsmModemBackend(sim.path, timeout=0.3, sweep_interval=0.0)
        try:
            for sender, body, ucs2 in texts:
                sim.deliver(sender, body, ucs2=ucs2 or any(ord(ch) > 0xFF for ch in body))
            for cuts in broken:
                [pdu] = encode_deliver("+15105550101", "yes 2 please", timestamp=datetime(2026, 12, 1, tzinfo=UTC))
                sim.store_pdu(_mangle(pdu, cuts))
            for line in garbage:
                sim.emit(line)
            received = sum(gateway.run_once(backend, max_sends=0)[0] for _ in range(3))
            # Every whole text is handed over (a mangled PDU may decode too, or stay on the SIM; a garbage "+CMT:"
            # line followed by a PDU line is a text delivered directly). A text seen in an earlier example (same
            # sender, body and simulated time) is a duplicate: acknowledged, stored once.
            assert received >= len(texts)
            assert _inbound_count(tally) >= 1
            # Acknowledged texts are gone from the SIM; what is left is only what could not be decoded.
            assert len(sim.store) <= len(broken)
        finally:
            backend.close()
    assert errors.records == []
    assert all(E164.match(row["recipient"]) for row in gateway.outbound(limit=100))
    assert_clean(tally.engine, "after modem texts")


def _inbound_count(tally: Tally) -> int:
    from sqlalchemy import func, select

    from kiosk.schema import sms_inbound

    with tally.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sms_inbound)).scalar_one()
