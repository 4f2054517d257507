"""Garbage from the modem (random bytes, half lines, fake final results, bad PDUs) never crashes poll()."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms.backends import SendStatus
from sms.gsm_modem import GsmModemBackend
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
    suppress_health_check=[HealthCheck.too_slow],
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
            assert isinstance(status, dict)
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
            assert status["connected"] is True
            # whatever could not be decoded is still on the SIM, reported by index
            undecodable = status["undecodable"]
            assert isinstance(undecodable, dict)
            assert all(index in sim.store for index in undecodable)
        finally:
            backend.close()
