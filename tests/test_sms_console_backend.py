"""The console backend: the protocol's behaviour without a provider."""

from __future__ import annotations

import logging

import pytest

from sms.backends import ConsoleBackend, SendStatus, SmsBackend


def test_is_an_sms_backend() -> None:
    assert isinstance(ConsoleBackend(), SmsBackend)


def test_send_logs_and_records(caplog: pytest.LogCaptureFixture) -> None:
    backend = ConsoleBackend()
    with caplog.at_level(logging.INFO, logger="sms.backends"):
        result = backend.send("+15551234567", "You're a YES")
    assert result.status == SendStatus.SENT and result.provider_id
    [sent] = backend.sent()
    assert (sent.to, sent.body, sent.provider_id) == ("+15551234567", "You're a YES", result.provider_id)
    assert "You're a YES" in caplog.text
    assert backend.status().sent == 1


def test_configured_failures() -> None:
    backend = ConsoleBackend({"+15550000000": SendStatus.OPTED_OUT})
    result = backend.send("+15550000000", "hi")
    assert result.status == SendStatus.OPTED_OUT and result.provider_id is None
    assert backend.sent() == []
    assert backend.status().last_error


def test_inject_poll_acknowledge() -> None:
    backend = ConsoleBackend()
    a = backend.inject("+15551234567", "YES")
    b = backend.inject("+15557654321", "no")
    assert backend.poll() == [a, b]
    assert backend.poll() == []
    assert backend.unacknowledged() == [a, b]
    backend.acknowledge(a.provider_id)
    assert backend.unacknowledged() == [b]
    assert a.received_at.tzinfo is not None


def test_a_released_text_comes_back_first() -> None:
    backend = ConsoleBackend()
    a = backend.inject("+15551234567", "YES")
    b = backend.inject("+15557654321", "no")
    assert backend.poll() == [a, b]
    c = backend.inject("+15557654322", "yes 1")
    backend.release([b.provider_id])
    assert backend.poll() == [b, c] and backend.unacknowledged() == [a, b, c]


def test_closed_backend_refuses_sends_transiently() -> None:
    backend = ConsoleBackend()
    backend.close()
    assert backend.send("+15551234567", "x").status == SendStatus.TRANSIENT
