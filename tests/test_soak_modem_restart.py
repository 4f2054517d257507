"""Found by the kill -9 soak (tests/test_soak_kill.py): a gateway killed while the modem waited for a text's
PDU after ``AT+CMGS`` left the modem in text-entry mode, where it swallows every later command, "AT" included,
so every restarted gateway failed to start the modem and the SIM filled up for good."""

from __future__ import annotations

from pathlib import Path

import serial

from sms.gsm_modem import GsmModemBackend
from tests.sim_modem import SimModem


def _die_mid_send(port: str) -> None:
    """What a SIGKILLed gateway leaves behind: the modem got ``AT+CMGS=n`` and is waiting for the PDU."""
    with serial.Serial(port, 115200, timeout=1) as raw:
        raw.write(b"AT+CMGS=20\r")
        assert raw.read_until(b"> ").endswith(b"> ")


def test_a_gateway_started_after_one_killed_mid_send_starts_the_modem(tmp_path: Path) -> None:
    with SimModem(tmp_path) as sim:
        _die_mid_send(sim.path)
        sim.deliver("+14155550123", "YES")
        backend = GsmModemBackend(sim.path, timeout=1.0, sweep_interval=0.0)
        try:
            assert backend.status().connected is True
            texts = backend.poll()
            assert [(t.sender, t.body) for t in texts] == [("+14155550123", "YES")]
            backend.acknowledge(texts[0].provider_id)
            assert sim.store == {}
            assert sim.sent == []  # the cut-off text was cancelled, not sent with whatever came next
        finally:
            backend.close()


def test_starting_a_modem_in_command_mode_still_works(tmp_path: Path) -> None:
    with SimModem(tmp_path) as sim:
        backend = GsmModemBackend(sim.path, timeout=1.0)
        try:
            assert backend.send("+14155550123", "hello").status.name == "SENT"
            assert len(sim.sent) == 1
        finally:
            backend.close()
