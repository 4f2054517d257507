"""``kiosk sms run``: the gateway daemon that owns the SMS backend (the modem's serial port, or Twilio polling).

One loop: read new texts (acknowledging each after it is committed), send due texts at the configured rate,
queue due reminders every minute, and report the backend's state for the organizer page. Stops on SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from kiosk.config import Settings
from kiosk.errors import KioskError, describe_storage
from kiosk.sdnotify import notify
from kiosk.tally import Tally
from sms.backends import SmsBackend
from sms.gateway import Gateway
from sms.ratelimit import TokenBucket
from sms.segments import segment_count
from sms.spool import Spool

log = logging.getLogger(__name__)


def run_gateway(
    settings: Settings,
    tally: Tally,
    backend: SmsBackend,
    *,
    stop: threading.Event | None = None,
    poll_interval: float = 2.0,
) -> None:
    stop = stop or threading.Event()
    gateway = Gateway(tally, organization=settings.organization.name, replies_per_hour=settings.sms.replies_per_hour)
    bucket = TokenBucket(settings.sms.rate_per_second, burst=1.0)
    interrupted = gateway.recover_interrupted()
    if interrupted:
        log.warning("%d texts were cut off mid-send by a restart and were not retried", interrupted)
    spool = Spool(settings.data_path / "sms-spool")
    last_reminders = 0.0
    last_report = 0.0
    notify("READY=1")
    while not stop.is_set():
        notify("WATCHDOG=1")  # systemd restarts the gateway if a turn hangs longer than WatchdogSec
        try:
            gateway.receive_all(backend)
            drain_spool(spool, gateway)  # texts the Twilio webhook spooled in the web process
            now = time.monotonic()
            if now - last_reminders > 60:
                gateway.schedule_reminders()
                last_reminders = now
            # Send while due texts remain and the rate allows; a long text costs one token per segment.
            while not stop.is_set():
                notify("WATCHDOG=1")  # a long send-out is still progress
                nxt = gateway.next_due_body()
                if nxt is None:
                    break
                if not bucket.acquire(segment_count(nxt).segments, timeout=poll_interval):
                    break  # not yet: the bucket refills while the loop waits, and no text goes out early
                if not gateway.send_one(backend):
                    break
            if now - last_report > 10:
                gateway.report(backend)
                last_report = now
        except KioskError as exc:  # a lock or a full disk: nothing was taken, the texts wait where they are
            log.warning("SMS gateway paused this turn: %s", describe_storage(exc))
        except Exception:  # the daemon outlives any one bad turn; systemd restarts it if it truly hangs
            log.exception("SMS gateway turn failed")
        gateway.wake.wait(poll_interval)
        gateway.wake.clear()
    backend.close()


def drain_spool(spool: Spool, gateway: Gateway) -> int:
    """Store every spooled text; returns how many were new. A file is deleted only once every text in it is
    committed: a failure (a lock, a full disk) raises and leaves the file for the next turn, where texts
    already stored are recognised by their id and not stored twice."""
    stored = 0
    for path in spool.claim():
        for text in spool.read(path):
            stored += not gateway.receive(text).duplicate
        spool.done(path)
    return stored


def install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping the SMS gateway", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
