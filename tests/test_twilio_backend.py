"""TwilioBackend through the real twilio client against the fake Twilio API on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sms.backends import SendStatus, SmsBackend, SmsConfigError
from sms.twilio_backend import TwilioBackend
from tests.fake_twilio import FakeTwilio

OUR_NUMBER = "+15550001111"
MEMBER = "+15551234567"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    before = set(threading.enumerate())
    with FakeTwilio() as server:
        yield server
    # Stalled handlers are released and joined by close(): nothing outlives the fake.
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []


def backend_for(fake: FakeTwilio, **kwargs: object) -> TwilioBackend:
    kwargs.setdefault("timeout", 2.0)
    return TwilioBackend(fake.account_sid, fake.auth_token, OUR_NUMBER, api_base=fake.base_url, **kwargs)  # type: ignore[arg-type]


def test_is_an_sms_backend(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    assert isinstance(backend, SmsBackend)
    backend.close()


def test_send_through_real_client(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    result = backend.send(MEMBER, "You're a YES for General Assembly")
    assert result.status == SendStatus.SENT
    assert result.provider_id is not None and result.provider_id.startswith("SM")
    [sent] = fake.sent()
    assert (sent.to, sent.from_, sent.body, sent.sid) == (
        MEMBER,
        OUR_NUMBER,
        "You're a YES for General Assembly",
        result.provider_id,
    )
    status = backend.status()
    assert status.sent == 1 and status.last_success_at is not None and status.last_error is None
    backend.close()


def test_unicode_body_round_trips(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    assert backend.send(MEMBER, "¡Sí! Nos vemos 👍").status == SendStatus.SENT
    assert fake.sent()[0].body == "¡Sí! Nos vemos 👍"
    backend.close()


def test_wrong_token_is_transient_with_a_clear_detail(fake: FakeTwilio) -> None:
    backend = TwilioBackend(fake.account_sid, "wrong", OUR_NUMBER, api_base=fake.base_url, timeout=2)
    result = backend.send(MEMBER, "hi")
    assert result.status == SendStatus.TRANSIENT
    assert "401" in result.detail and "20003" in result.detail
    assert fake.sent() == []
    backend.close()


@pytest.mark.parametrize(
    ("code", "http_status", "expected"),
    [
        (21610, 400, SendStatus.OPTED_OUT),
        (21211, 400, SendStatus.PERMANENT),
        (21614, 400, SendStatus.PERMANENT),
        (20429, 429, SendStatus.TRANSIENT),
        (20500, 500, SendStatus.TRANSIENT),
        (None, 503, SendStatus.TRANSIENT),
    ],
)
def test_error_mapping(fake: FakeTwilio, code: int | None, http_status: int, expected: SendStatus) -> None:
    backend = backend_for(fake)
    if code is not None and http_status == 400:
        fake.fail_number(MEMBER, code=code, status=http_status)
    else:
        fake.fail_sends(http_status, code)
    result = backend.send(MEMBER, "hello")
    assert result.status == expected
    assert result.provider_id is None
    assert backend.status().last_error == result.detail
    assert backend.send("+15559990000", "other member").status == (SendStatus.SENT if http_status == 400 else expected)
    backend.close()


def test_invalid_number_is_permanent(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    result = backend.send("12345", "hello")
    assert result.status == SendStatus.PERMANENT
    assert "21211" in result.detail
    backend.close()


def test_transient_failure_then_success(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    fake.fail_sends(500, times=1)
    assert backend.send(MEMBER, "a").status == SendStatus.TRANSIENT
    assert backend.send(MEMBER, "a").status == SendStatus.SENT
    backend.close()


def test_stalled_api_times_out_and_is_not_sent_again(fake: FakeTwilio) -> None:
    backend = backend_for(fake, timeout=0.3)
    fake.stall(5)
    started = time.monotonic()
    result = backend.send(MEMBER, "hello")
    elapsed = time.monotonic() - started
    # Twilio had the request: it may have sent the text, so the gateway must not send it again.
    assert result.status == SendStatus.UNKNOWN
    assert elapsed < 2
    assert "did not answer" in result.detail and "not sent again" in result.detail
    backend.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_server_is_transient_and_fast() -> None:
    # Nothing listens on that port now: like a Pi without internet, the connection is refused.
    port = closed_port()
    backend = TwilioBackend("AC" + "2" * 32, "t", OUR_NUMBER, api_base=f"http://127.0.0.1:{port}", timeout=1)
    started = time.monotonic()
    result = backend.send(MEMBER, "hello")
    assert result.status == SendStatus.TRANSIENT
    assert "Cannot reach Twilio" in result.detail
    assert time.monotonic() - started < 1.5
    assert backend.poll() == []
    assert "Cannot" in str(backend.status().last_error)
    backend.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"account_sid": "XX1"},
        {"auth_token": ""},
        {"from_number": "5550001111"},
        {"timeout": 0},
        {"api_base": "127.0.0.1:80"},
    ],
)
def test_bad_configuration(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {
        "account_sid": "AC" + "1" * 32,
        "auth_token": "t",
        "from_number": OUR_NUMBER,
        "api_base": "http://127.0.0.1:9",
    }
    args.update(kwargs)
    with pytest.raises(SmsConfigError):
        TwilioBackend(**args)  # type: ignore[arg-type]


# --- polling -----------------------------------------------------------------------------------------------


def test_poll_returns_inbound_only_oldest_first(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    now = datetime.now(UTC)
    first = fake.add_inbound(MEMBER, "YES", OUR_NUMBER, now - timedelta(minutes=5))
    second = fake.add_inbound("+15557654321", "no", OUR_NUMBER, now - timedelta(minutes=1))
    fake.add_inbound(MEMBER, "to another number", "+15550002222", now)
    backend.send(MEMBER, "outbound is not inbound")
    texts = backend.poll()
    assert [t.provider_id for t in texts] == [first, second]
    assert texts[0].sender == MEMBER and texts[0].body == "YES"
    assert texts[0].received_at.tzinfo is not None
    assert backend.poll() == []
    backend.close()


def test_poll_dedupes_across_pages_and_calls(fake: FakeTwilio) -> None:
    backend = backend_for(fake, page_size=7)
    now = datetime.now(UTC)
    sids = [fake.add_inbound(MEMBER, f"text {i}", OUR_NUMBER, now - timedelta(seconds=100 - i)) for i in range(30)]
    got = backend.poll()
    assert [t.provider_id for t in got] == sids
    # Paging really happened.
    assert sum(1 for method, path in fake.requests() if method == "GET" and "PageToken" in path) == 4
    for text in got[:20]:
        backend.acknowledge(text.provider_id)
    more = [fake.add_inbound(MEMBER, f"late {i}", OUR_NUMBER) for i in range(3)]
    assert [t.provider_id for t in backend.poll()] == more
    assert backend.poll() == []
    assert backend.seen_sids() == sids[:20]
    backend.close()


def test_a_released_text_is_listed_again_at_the_next_poll(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    sids = [fake.add_inbound(MEMBER, f"text {i}", OUR_NUMBER) for i in range(3)]
    assert [t.provider_id for t in backend.poll()] == sids
    backend.acknowledge(sids[0])
    backend.release(sids[1:])  # the gateway could not store them (the database was locked)
    assert [t.provider_id for t in backend.poll()] == sids[1:]
    assert backend.poll() == []
    backend.close()


def test_poll_survives_restart_with_persisted_seen(fake: FakeTwilio) -> None:
    backend = backend_for(fake, page_size=5)
    for i in range(12):
        fake.add_inbound(MEMBER, f"t{i}", OUR_NUMBER)
    got = backend.poll()
    for text in got[:8]:
        backend.acknowledge(text.provider_id)
    stored = backend.seen_sids()
    backend.close()
    # The gateway crashed after committing 8: the other 4 must come again, the 8 never.
    restarted = backend_for(fake, page_size=5, seen=stored)
    again = restarted.poll()
    assert [t.provider_id for t in again] == [t.provider_id for t in got[8:]]
    restarted.close()


def test_date_filter_is_by_date_only(fake: FakeTwilio) -> None:
    now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    backend = backend_for(fake, lookback=timedelta(hours=1), clock=lambda: now)
    early = fake.add_inbound(MEMBER, "early today", OUR_NUMBER, datetime(2026, 11, 29, 0, 5, tzinfo=UTC))
    fake.add_inbound(MEMBER, "yesterday", OUR_NUMBER, datetime(2026, 11, 28, 23, 55, tzinfo=UTC))
    # Asked for the last hour, Twilio answers the whole day: dedupe by SID, not by time.
    assert [t.provider_id for t in backend.poll()] == [early]
    backend.close()


def test_seen_sids_are_pruned_when_they_leave_the_window(fake: FakeTwilio) -> None:
    clock = {"now": datetime(2026, 11, 29, 12, 0, tzinfo=UTC)}
    backend = backend_for(fake, lookback=timedelta(days=1), clock=lambda: clock["now"])
    old = fake.add_inbound(MEMBER, "old", OUR_NUMBER, datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    new = fake.add_inbound(MEMBER, "new", OUR_NUMBER, datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    for text in backend.poll():
        backend.acknowledge(text.provider_id)
    assert set(backend.seen_sids()) == {old, new}
    clock["now"] = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert backend.poll() == []
    assert backend.seen_sids() == [new]
    backend.close()


def test_poll_error_returns_nothing_and_records_it(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    fake.add_inbound(MEMBER, "yes", OUR_NUMBER)
    fake.fail_lists(500, times=1)
    assert backend.poll() == []
    assert "500" in str(backend.status().last_error)
    assert len(backend.poll()) == 1
    backend.close()


def test_max_new_per_poll_defers_the_rest(fake: FakeTwilio) -> None:
    backend = backend_for(fake, max_new_per_poll=4)
    sids = {fake.add_inbound(MEMBER, f"t{i}", OUR_NUMBER) for i in range(10)}
    got: list[str] = []
    for _ in range(3):
        got += [t.provider_id for t in backend.poll()]
    assert len(got) == len(set(got)) == 10 and set(got) == sids
    backend.close()


def test_send_and_poll_from_two_threads(fake: FakeTwilio) -> None:
    backend = backend_for(fake)
    for i in range(5):
        fake.add_inbound(MEMBER, f"t{i}", OUR_NUMBER)
    results = []
    sender = threading.Thread(target=lambda: results.extend(backend.send(MEMBER, str(i)) for i in range(10)))
    sender.start()
    polled = backend.poll() + backend.poll()
    sender.join(timeout=10)
    assert len(polled) == 5
    assert all(r.status == SendStatus.SENT for r in results) and len(results) == 10
    backend.close()


def test_offline_backoff_skips_sends_then_tries_again(fake: FakeTwilio) -> None:
    ticks = {"now": 0.0}
    backend = backend_for(fake, timeout=0.2, offline_backoff=30.0, monotonic=lambda: ticks["now"])
    fake.stall(5)
    assert backend.send(MEMBER, "a").status == SendStatus.UNKNOWN  # waits out the 0.2 s timeout
    fake.stall(0)
    requests_before = len(fake.requests())
    started = time.monotonic()
    for _ in range(50):  # a queue drained while offline: no request, no waiting
        result = backend.send(MEMBER, "b")
        assert result.status == SendStatus.TRANSIENT and "unreachable" in result.detail
    assert time.monotonic() - started < 0.5
    assert len(fake.requests()) == requests_before
    assert backend.status().connected is False
    ticks["now"] = 31.0
    assert backend.send(MEMBER, "c").status == SendStatus.SENT
    assert backend.status().connected is True
    backend.close()


def test_a_successful_poll_ends_the_backoff(fake: FakeTwilio) -> None:
    backend = backend_for(fake, timeout=0.2, offline_backoff=300.0)
    fake.stall(5)
    backend.send(MEMBER, "a")
    fake.stall(0)
    assert backend.send(MEMBER, "b").status == SendStatus.TRANSIENT
    backend.poll()
    assert backend.send(MEMBER, "c").status == SendStatus.SENT
    backend.close()
