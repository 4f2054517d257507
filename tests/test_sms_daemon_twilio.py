"""The gateway daemon end to end over the real Twilio client and the fake Twilio API on loopback: a text polled
from the API becomes an RSVP and the reply goes back through the API; in webhook mode the API is never polled."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from kiosk.config import Settings, TwilioSettings
from kiosk.tally import Tally
from sms.daemon import run_gateway
from sms.factory import open_backend
from tests.fake_twilio import FakeTwilio

OUR_NUMBER = "+15105550000"


def settings_for(fake: FakeTwilio, inbound: str) -> Settings:
    base = Settings()
    return replace(
        base,
        sms=replace(base.sms, backend="twilio", rate_per_second=50.0),
        twilio=replace(
            TwilioSettings(),
            account_sid=fake.account_sid,
            auth_token=fake.auth_token,
            from_number=OUR_NUMBER,
            inbound=inbound,
            api_base=fake.base_url,
        ),
    )


def run_until(settings: Settings, tally: Tally, condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    backend = open_backend(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_gateway, args=(settings, tally, backend), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)


def test_polled_text_becomes_an_rsvp_and_the_reply_goes_out(tally: Tally, voting_meeting: str) -> None:
    with FakeTwilio() as fake:
        settings = settings_for(fake, "poll")
        fake.add_inbound("+15105550101", "YES 2", OUR_NUMBER)
        run_until(settings, tally, lambda: len(fake.sent()) >= 1)
        [reply] = fake.sent()
    assert reply.to == "+15105550101" and reply.body.startswith("You're a YES for General Assembly")
    [rsvp] = tally.current_rsvps(voting_meeting)
    assert rsvp.guests == 2 and rsvp.source == "sms"


def test_webhook_mode_never_polls_the_api(tally: Tally, voting_meeting: str) -> None:
    with FakeTwilio() as fake:
        settings = settings_for(fake, "webhook")
        fake.add_inbound("+15105550101", "YES", OUR_NUMBER)
        run_until(settings, tally, lambda: False, timeout=0.5)
        assert not any(method == "GET" for method, _ in fake.requests())
    assert tally.current_rsvps(voting_meeting) == []


def test_daemon_never_sends_faster_than_the_limit(tally: Tally, voting_meeting: str) -> None:
    from sms.gateway import Gateway

    with FakeTwilio() as fake:
        base = settings_for(fake, "webhook")
        # 0.5 text/s is slower than the daemon's turn (0.05 s): a send-out of 3 must take at least 4 s.
        settings = replace(base, sms=replace(base.sms, rate_per_second=0.5))
        gateway = Gateway(tally, organization="RPA")
        for n in range(3):
            gateway.queue_text(f"+1510555012{n}", "Reminder: General Assembly tomorrow at 7 pm.")
        start = time.monotonic()
        run_until(settings, tally, lambda: len(fake.sent()) >= 3, timeout=15)
        elapsed = time.monotonic() - start
        assert len(fake.sent()) == 3
    assert elapsed >= 3.9
