"""After a failed command the AT channel gets back in step before trusting the line again.

A stray final-looking line ("+CMS ERROR: 500" out of nowhere) or a timeout ends one command early while its
real answer is still on the way; read as the answer to the next command, ``AT+CMGR=k`` would return the text of
another slot and the backend would (rightly) refuse to delete a slot that seems to have changed, leaving
committed texts on the SIM. The simulated modem holds one answer back until the next command arrives, so the
misattribution happens every time, not one run in four.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sms.backends import InboundText
from sms.gsm_modem import GsmModemBackend
from tests.sim_modem import SimModem

SPANISH = (
    "¡Hola! Sí, voy a la asamblea del sábado con mi hermana y dos vecinos. ¿Hay guardería? Llevamos comida "
    "para compartir. Gracias por organizar todo esto, nos vemos allí a las 6 en punto. Un abrazo a todo el "
    "equipo, y a la comisión de finanzas también: ¡ánimo! 🌮"
)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimModem]:
    with SimModem(tmp_path) as modem:
        yield modem


@pytest.fixture
def backend(sim: SimModem) -> Iterator[GsmModemBackend]:
    with GsmModemBackend(sim.path, timeout=0.3, sweep_interval=0.0) as b:
        yield b


def _poll_until(backend: GsmModemBackend, count: int, timeout: float = 3.0) -> list[InboundText]:
    got: list[InboundText] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += backend.poll()
    return got


def _two_texts(sim: SimModem, backend: GsmModemBackend) -> list[InboundText]:
    long_indexes = sim.deliver("+15105550101", SPANISH, ucs2=True)
    assert len(long_indexes) > 1
    sim.deliver("+34600111222", "\t")
    texts = _poll_until(backend, 2)
    assert sorted(t.body for t in texts) == sorted([SPANISH, "\t"])
    return texts


def _acknowledge_all(backend: GsmModemBackend, texts: list[InboundText]) -> None:
    """What the gateway does: acknowledge a committed text, poll, acknowledge the next... The first
    acknowledge fails half-way; the poll after it sends a different command (the sweep's AT+CMGL) than the one
    whose answer is late, so a misattributed answer shows."""
    for text in texts:
        backend.acknowledge(text.provider_id)
        backend.poll()
    for _ in range(2):
        assert backend.poll() == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("stray", ["+CMS ERROR: 500", "OK"])
def test_a_stray_final_line_before_a_late_answer_is_not_taken_for_the_next_commands(
    stray: str, sim: SimModem, backend: GsmModemBackend, caplog: pytest.LogCaptureFixture
) -> None:
    texts = sorted(_two_texts(sim, backend), key=lambda t: len(t.body), reverse=True)  # the long text first
    # the safety read before deleting slot 1 meets a stray final line at once; its real answer comes late (an
    # error realigns the channel; a stray OK looks like an empty slot, which makes the backend look again)
    sim.hold_answer_to = "AT+CMGR="
    sim.stray_before_held = [stray]
    with caplog.at_level(logging.INFO, logger="sms"):
        _acknowledge_all(backend, texts)
    assert sim.store == {}  # every committed text deleted
    assert "changed since it was read" not in caplog.text
    assert sim._held is None  # the held answer was asked for and read away


@pytest.mark.timeout(30)
def test_a_late_answer_after_a_timeout_is_read_away_not_misattributed(
    sim: SimModem, backend: GsmModemBackend, caplog: pytest.LogCaptureFixture
) -> None:
    texts = sorted(_two_texts(sim, backend), key=lambda t: len(t.body), reverse=True)
    sim.hold_answer_to = "AT+CMGR="  # answered only after the backend gave up waiting (0.3 s)
    with caplog.at_level(logging.INFO, logger="sms"):
        _acknowledge_all(backend, texts)
    assert sim.store == {}
    assert "changed since it was read" not in caplog.text
    assert "AT+CMGF?" in sim.commands  # the marker that put the channel back in step


@pytest.mark.timeout(30)
def test_no_marker_while_all_is_well(sim: SimModem, backend: GsmModemBackend) -> None:
    texts = _two_texts(sim, backend)
    _acknowledge_all(backend, texts)
    assert sim.store == {}
    assert "AT+CMGF?" not in sim.commands
