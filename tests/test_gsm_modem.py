"""sms.gsm_modem against the simulated modem on a real pseudo-terminal (tests/sim_modem.py)."""

from __future__ import annotations

import doctest
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sms.gsm_modem
from sms.backends import InboundText, IncompleteText, SendStatus, Signal
from sms.gsm_modem import CmeError, CmsError, GsmModemBackend, ModemCommandError
from sms.pdu import decode_submit
from tests.sim_modem import PROFILES, ModemProfile, SimModem

SPANISH = (
    "¡Hola! Sí, voy a la asamblea del sábado con mi hermana y dos vecinos 🎉✊. "
    "¿Hay guardería? Llevamos comida para compartir 🌮🌮. Gracias por organizar todo esto, "
    "nos vemos allí a las 6 en punto 💪🏽"
)


class FakeClock:
    """Drives the backend's scheduling (sweeps, reconnect backoff) without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator:
    sims: list[SimModem] = []

    def make(profile: ModemProfile | str = "generic") -> SimModem:
        p = PROFILES[profile] if isinstance(profile, str) else profile
        sim = SimModem(tmp_path, p)
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.close()


@pytest.fixture
def make_backend(clock: FakeClock) -> Iterator:
    backends: list[GsmModemBackend] = []

    def make(sim: SimModem, **kw: object) -> GsmModemBackend:
        options: dict = {
            "timeout": 1.0,
            "clock": clock,
            "reconnect_backoff": (2.0, 8.0),
            "sim_busy_wait": 2.0,
        }
        options.update(kw)
        backend = GsmModemBackend(sim.path, **options)
        backends.append(backend)
        return backend

    yield make
    for backend in backends:
        backend.close()


def test_doctests() -> None:
    import sms.modem_at
    import sms.modem_errors

    for module in (sms.gsm_modem, sms.modem_at, sms.modem_errors):
        result = doctest.testmod(module)
        assert result.attempted and result.failed == 0, module.__name__


def test_conforms_to_the_backend_protocol(make_sim, make_backend) -> None:
    from sms.backends import SmsBackend

    backend: SmsBackend = make_backend(make_sim())
    assert backend.name == "gsm_modem"


# ------------------------------------------------------------------------------------ start-up


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_each_profile_starts_up_receives_and_sends(profile: str, make_sim, make_backend) -> None:
    sim = make_sim(profile)
    backend = make_backend(sim, pin="1234")
    status = backend.status()
    assert status.connected is True, status
    assert status.fatal is None
    assert status.signal == Signal(rssi=17, dbm=-79, bars=3)
    assert status.registration == "home"
    assert "ATE0" in sim.commands
    assert "AT+CMGF=0" in sim.commands
    assert any(c.startswith("AT+CNMI=") for c in sim.commands)

    sim.deliver("+34600111222", "Sí, voy con 2")
    [text] = poll_until(backend)
    assert (text.sender, text.body) == ("+34600111222", "Sí, voy con 2")
    assert text.received_at.tzinfo is not None

    result = backend.send("+34600111222", "Confirmed!")
    assert result.status is SendStatus.SENT, result
    assert [s.text for s in sim.sent] == ["Confirmed!"]


def test_wavecom_quirks_fall_back_to_commands_it_takes(make_sim, make_backend) -> None:
    sim = make_sim("wavecom")
    backend = make_backend(sim)
    assert backend.status().connected is True
    assert 'AT+CPMS="SM","SM"' in sim.commands  # after the three-storage form was refused
    assert "AT+CNMI=2,1,0,0" in sim.commands


def test_huawei_command_not_support_is_skipped_not_fatal(make_sim, make_backend) -> None:
    sim = make_sim("huawei")
    backend = make_backend(sim)
    status = backend.status()
    assert status.connected is True
    assert status.operator is None  # AT+COPS? answered COMMAND NOT SUPPORT
    assert status.registration == "home"  # the unsolicited "+CREG: 1" mid-answer was not taken
    before = sim.commands.count("AT+COPS?")
    backend.status()
    assert sim.commands.count("AT+COPS?") == before  # not asked again


def test_pin_is_entered_once_the_sim_stops_being_busy(make_sim, make_backend) -> None:
    sim = make_sim("sim_busy_pin")
    backend = make_backend(sim, pin="1234")
    assert backend.status().connected is True
    assert sim.commands.count('AT+CPIN="1234"') == 1


def test_missing_pin_is_reported_and_never_guessed(make_sim, make_backend, clock) -> None:
    sim = make_sim(ModemProfile("locked", pin="1234"))
    backend = make_backend(sim)
    assert backend.poll() == []
    clock.advance(100)
    assert backend.poll() == []
    status = backend.status()
    assert status.connected is False
    assert "PIN" in str(status.fatal)
    assert not any(c.startswith("AT+CPIN=") for c in sim.commands)
    result = backend.send("+34600111222", "hi")
    assert result.status is SendStatus.TRANSIENT


def test_wrong_pin_is_tried_once_only(make_sim, make_backend, clock) -> None:
    sim = make_sim(ModemProfile("locked", pin="1234"))
    backend = make_backend(sim, pin="9999")
    for _ in range(3):
        backend.poll()
        clock.advance(100)
    assert sim.commands.count('AT+CPIN="9999"') == 1  # three wrong tries would lock the SIM behind its PUK
    assert "refused" in str(backend.status().fatal)


def test_sim_busy_forever_gives_a_cme_error_in_status(make_sim, make_backend) -> None:
    sim = make_sim(ModemProfile("stuck", sim_busy_count=10_000))
    backend = make_backend(sim, sim_busy_wait=0.3)
    status = backend.status()
    assert status.connected is False
    assert "+CME ERROR: 14 (SIM busy)" in str(status.last_error)


# ------------------------------------------------------------------------------------ receiving


def test_multipart_ucs2_out_of_order_arrives_whole(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    indexes = sim.deliver("+34600111222", SPANISH, ucs2=True, order=[2, 0, 1])
    assert len(indexes) == 3
    [text] = poll_until(backend)
    assert text.body == SPANISH
    backend.acknowledge(text.provider_id)
    assert sim.store == {}  # every part's SIM index was deleted


def test_multipart_parts_across_sweeps_are_held_then_delivered(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    from datetime import UTC, datetime

    from sms.pdu import encode_deliver

    pdus = encode_deliver("+34600111222", SPANISH, timestamp=datetime(2026, 11, 29, 12, tzinfo=UTC), ref=3)
    sim.store_pdu(pdus[2])
    sim.store_pdu(pdus[0])
    assert backend.poll() == []
    [held] = backend.status().sim.incomplete_texts
    assert held == IncompleteText(sender="+34600111222", ref=3, total=3, have=(1, 3))
    clock.advance(60)
    assert backend.poll() == []  # still held, not dropped
    sim.store_pdu(pdus[1])
    [text] = poll_until(backend)
    assert text.body == SPANISH
    assert backend.status().sim.incomplete_texts == ()


def test_a_lost_notification_is_caught_by_the_sweep(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim, sweep_interval=30)
    assert backend.poll() == []  # first poll sweeps
    sim.deliver("+34600111222", "YES", notify=False)
    clock.advance(10)
    assert backend.poll() == []  # no +CMTI and no sweep due yet
    clock.advance(25)
    [text] = poll_until(backend)
    assert text.body == "YES"


def test_unsolicited_lines_mid_answer_are_set_aside_and_a_cmti_there_is_read(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    assert backend.poll() == []
    index = sim.store_pdu(_pdu("+34600111222", "maybe"), notify=False)
    sim.inject_next = [
        "RING",
        "^RSSI: 12",
        f'+CMTI: "SM",{index}',
        "+CREG: 5",
        "^BOOT:1,0,0,0,72",
        "+CDS: 25",
    ]
    status = backend.status()  # the injected lines arrive in the middle of the +CSQ answer
    assert status.signal == Signal(rssi=17, dbm=-79, bars=3)
    assert status.registration == "home"
    [text] = poll_until(backend)  # no sweep is due: the +CMTI set aside during status() triggered the read
    assert text.body == "maybe"


def test_unsolicited_line_between_cmgl_header_and_its_pdu(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.deliver("+34600111222", "uno", notify=False)
    sim.deliver("+34600333444", "dos", notify=False)
    sim.inject_next = ['+CMTI: "SM",2', "^RSSI: 3"]  # slipped in after the first +CMGL header
    texts = poll_until(backend, 2)
    assert sorted(t.body for t in texts) == ["dos", "uno"]


def test_pushed_text_and_status_report_inside_a_listing(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.deliver("+34600111222", "uno", notify=False)
    sim.deliver("+34600333444", "dos", notify=False)
    pushed = _pdu("+34600555666", "tres")
    # a status report and a text pushed without storage (+CMT), both between a +CMGL header and its PDU
    sim.inject_next = ["+CDS: 6", "0006D60B911326880736F4", "+CMT: ,23", pushed]
    texts = backend.poll()
    assert sorted(t.body for t in texts) == ["dos", "tres", "uno"]
    [tres] = [t for t in texts if t.body == "tres"]
    backend.acknowledge(tres.provider_id)  # lives in memory only: nothing to delete on the SIM
    assert len(sim.store) == 2
    assert backend.poll() == []


def test_undecodable_pdu_is_kept_on_the_sim_and_reported(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    bad = sim.store_pdu("0791FFFF")
    sim.deliver("+34600111222", "ok")
    assert [t.body for t in poll_until(backend)] == ["ok"]
    assert bad in backend.status().sim.undecodable
    assert bad in sim.store


def test_national_sender_becomes_e164_with_a_default_region(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim, default_region="ES")
    sim.store_pdu(_pdu("612345678", "sí"))
    [text] = poll_until(backend)
    assert text.sender == "+34612345678"


# --------------------------------------------------------------------- acknowledge and restarts


def test_killed_between_reading_and_deleting_reads_the_same_text_again(make_sim, make_backend) -> None:
    sim = make_sim()
    a = make_backend(sim)
    sim.deliver("+34600111222", SPANISH, ucs2=True, order=[1, 2, 0])
    [first] = poll_until(a)
    assert a.poll() == []  # not offered twice in a row
    a.close()  # the process dies before acknowledge

    b = make_backend(sim)
    [again] = poll_until(b)
    assert again == first  # same provider_id, body and time stamp
    assert len(sim.store) == 3
    b.acknowledge(again.provider_id)
    assert sim.store == {}
    b.close()

    c = make_backend(sim)
    assert c.poll() == []


def test_acknowledge_right_after_a_restart_finds_the_text(make_sim, make_backend) -> None:
    sim = make_sim()
    a = make_backend(sim)
    sim.deliver("+34600111222", "YES")
    [text] = poll_until(a)
    a.close()
    b = make_backend(sim)
    b.acknowledge(text.provider_id)  # the gateway had committed it; b never polled
    assert sim.store == {}
    b.acknowledge(text.provider_id)  # twice is harmless


def test_unacknowledged_texts_are_offered_again_later(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim, sweep_interval=30, reoffer_after=120)
    sim.deliver("+34600111222", "YES")
    [text] = poll_until(backend)
    clock.advance(60)
    assert backend.poll() == []
    clock.advance(61)
    assert backend.poll() == [text]


def test_a_reused_sim_slot_is_not_deleted_by_a_stale_acknowledge(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    [index] = sim.deliver("+34600111222", "old")
    [old] = poll_until(backend)
    del sim.store[index]  # someone else deleted it and a new text took the slot
    assert sim.store_pdu(_pdu("+34600999888", "new"), notify=False) == index
    backend.acknowledge(old.provider_id)
    assert index in sim.store
    [new] = poll_until(backend)
    assert new.body == "new"


# ------------------------------------------------------------------------------------- sending


def test_send_gsm7(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    result = backend.send("+34600111222", "RSVP confirmed: Sat 6pm, {hall} [B] ~ €5")
    assert result.status is SendStatus.SENT
    assert result.provider_id == "mr:1"
    [sent] = sim.sent
    assert sent.recipient == "+34600111222"
    assert sent.text == "RSVP confirmed: Sat 6pm, {hall} [B] ~ €5"
    assert sent.concat is None


def test_send_long_ucs2_reply_as_concatenated_parts(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    result = backend.send("+34600111222", SPANISH)
    assert result.status is SendStatus.SENT
    assert len(sim.sent) == 3
    assert [(s.concat.seq, s.concat.total) for s in sim.sent if s.concat] == [(1, 3), (2, 3), (3, 3)]
    assert len({s.concat.ref for s in sim.sent if s.concat}) == 1
    assert "".join(s.text for s in sim.sent) == SPANISH
    assert result.provider_id == "mr:1,2,3"


def test_send_with_echo_still_on(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim._state.echo = True  # a modem that turned echo back on (e.g. after a reset)
    assert backend.send("+34600111222", "hola").status is SendStatus.SENT
    assert [s.text for s in sim.sent] == ["hola"]


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        (42, SendStatus.TRANSIENT, "congestion"),
        (1, SendStatus.PERMANENT, "unassigned number"),
        (331, SendStatus.TRANSIENT, "no network service"),
        (500, SendStatus.TRANSIENT, "unknown error"),
    ],
)
def test_cms_errors_are_classified(code, status, words, make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.send_errors = [code]
    result = backend.send("+34600111222", "hola")
    assert result.status is status
    assert f"+CMS ERROR: {code}" in result.detail and words in result.detail
    assert backend.status().last_error
    assert backend.send("+34600111222", "hola").status is SendStatus.SENT  # the next one goes through


def test_cms_error_on_a_later_part_says_how_far_it_got(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.send_errors = []
    sim.sent.clear()
    # fail the second part only
    original = sim._finish_cmgs

    def second_fails(pdu: str, length: int) -> list[str]:
        if len(sim.sent) == 1:
            return ["+CMS ERROR: 41"]
        return original(pdu, length)

    sim._finish_cmgs = second_fails  # type: ignore[method-assign]
    result = backend.send("+34600111222", SPANISH)
    assert result.status is SendStatus.TRANSIENT
    assert "after 1 of 3 parts" in result.detail


def test_unencodable_recipient_is_permanent_without_touching_the_modem(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    before = len(sim.commands)
    result = backend.send("call me", "hola")
    assert result.status is SendStatus.PERMANENT
    assert len(sim.commands) == before


def test_error_classes_carry_code_and_plain_words() -> None:
    e = CmsError("AT+CMGS=20", 322, "322")
    assert (e.code, e.meaning) == (322, "SIM memory full")
    assert "SIM memory full" in str(e)
    c = CmeError("AT+CPIN?", 10, "10")
    assert isinstance(c, ModemCommandError) and "SIM not inserted" in str(c)
    assert isinstance(sms.gsm_modem.ModemDisconnected("x"), ConnectionError)
    assert isinstance(sms.gsm_modem.ModemTimeout("x"), TimeoutError)


# ------------------------------------------------------------------------------ unplug / replug


def test_unplug_mid_read_then_replug_recovers(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim, sweep_interval=30)
    assert backend.poll() == []
    sim.deliver("+34600111222", "before", notify=False)
    clock.advance(31)
    sim.unplug_on = "AT+CMGL"  # the device vanishes while the sweep waits for its answer
    assert backend.poll() == []
    status = backend.status()
    assert status.connected is False
    assert "disconnected" in str(status.last_error)
    result = backend.send("+34600111222", "hola")
    assert result.status is SendStatus.TRANSIENT
    assert "not connected" in result.detail

    sim.replug()  # same path, freshly powered up (echo on again), same SIM
    assert backend.poll() == []  # backoff not over yet
    clock.advance(2)
    [text] = poll_until(backend)
    assert text.body == "before"
    assert backend.status().connected is True
    sim.deliver("+34600111222", "after")
    assert [t.body for t in poll_until(backend)] == ["after"]
    assert backend.send("+34600111222", "back").status is SendStatus.SENT


def test_unplugged_for_a_while_backs_off_boundedly(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.unplug()
    assert backend.poll() == []  # the failed read notices
    attempts = []
    for _ in range(6):
        clock.advance(8)  # the maximum backoff
        backend.poll()
        attempts.append(backend.status().connected)
    assert attempts == [False] * 6
    sim.replug()
    clock.advance(8)
    assert backend.status().connected is True


def test_acknowledge_while_unplugged_deletes_after_replug(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim)
    sim.deliver("+34600111222", "YES")
    [text] = poll_until(backend)
    sim.unplug()
    backend.poll()
    backend.acknowledge(text.provider_id)  # the gateway committed it meanwhile
    sim.replug()
    clock.advance(8)
    assert backend.poll() == []  # not offered again, and deleted now
    assert sim.store == {}


def test_a_hung_modem_is_reopened_after_repeated_timeouts(make_sim, make_backend, clock) -> None:
    sim = make_sim()
    backend = make_backend(sim, timeout=0.1, sweep_interval=0)
    sim.mute = True
    for _ in range(3):
        assert backend.poll() == []
    status = backend.status()
    assert status.connected is False
    assert "stopped answering" in str(status.last_error)
    sim.mute = False
    clock.advance(2)
    sim.deliver("+34600111222", "back", notify=False)
    assert [t.body for t in backend.poll()] == ["back"]


def test_send_and_poll_from_two_threads(make_sim, make_backend) -> None:
    sim = make_sim()
    backend = make_backend(sim, sweep_interval=0)
    received: list[str] = []
    results = []

    def sender() -> None:
        for i in range(8):
            results.append(backend.send("+34600111222", f"reply {i} ñ"))

    def poller() -> None:
        deadline = time.monotonic() + 5
        while len(received) < 8 and time.monotonic() < deadline:
            for text in backend.poll():
                received.append(text.body)
                backend.acknowledge(text.provider_id)

    threads = [threading.Thread(target=sender), threading.Thread(target=poller)]
    for t in threads:
        t.start()
    for i in range(8):
        sim.deliver("+34600333444", f"text {i}")
    for t in threads:
        t.join(timeout=10)
    assert all(r.status is SendStatus.SENT for r in results)
    assert sorted(s.text for s in sim.sent) == sorted(f"reply {i} ñ" for i in range(8))
    assert sorted(received) == sorted(f"text {i}" for i in range(8))
    assert sim.store == {}


def test_modem_absent_at_start_is_not_an_error_for_the_caller(tmp_path: Path, clock: FakeClock) -> None:
    backend = GsmModemBackend(str(tmp_path / "ttyUSB9"), clock=clock, timeout=0.5)
    try:
        assert backend.poll() == []
        assert backend.send("+34600111222", "hola").status is SendStatus.TRANSIENT
        status = backend.status()
        assert status.connected is False
        assert "cannot open" in str(status.last_error)
    finally:
        backend.close()


# ------------------------------------------------------------------------------------- helpers


def poll_until(backend: GsmModemBackend, count: int = 1, timeout: float = 2.0) -> list[InboundText]:
    """Poll like the gateway does until ``count`` texts came: a +CMTI written by the simulator reaches the
    port a moment later (the pty pushes data asynchronously), just as a real notification may."""
    got: list[InboundText] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += backend.poll()
        if len(got) < count:
            time.sleep(0.01)
    return got


def _pdu(sender: str, text: str) -> str:
    from datetime import UTC, datetime

    from sms.pdu import encode_deliver

    [pdu] = encode_deliver(sender, text, timestamp=datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    return pdu


def test_sim_records_what_was_sent_by_decoding_the_pdus() -> None:
    # the simulator's own decoding, checked once against the codec
    from sms.pdu import encode_submit

    [part] = encode_submit("+34600111222", "hola")
    assert decode_submit(part.pdu).text == "hola"
